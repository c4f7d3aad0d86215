import { describe, it, expect } from 'vitest';
import { parseRules, requirementOf } from './yara-syntax.js';

function need(condition: string): string {
  const [rule] = parseRules(`rule r { strings: $a = "x" $b = { 41 [1-2] 42 } $c = /a\\/b{1,3}/ condition: ${condition} }`);
  const req = rule === undefined ? undefined : requirementOf(rule.condition);
  if (req === undefined) return 'anything';
  return [req.strings ? 'strings' : '', ...req.magic.map((m) => m.toString('hex'))].filter(Boolean).join('+');
}

describe('requirementOf', () => {
  it.each([
    ['any of them', 'strings'],
    ['all of ($a, $b*)', 'strings'],
    ['2 of them', 'strings'],
    ['0 of them', 'anything'],
    ['none of them', 'anything'],
    ['$a and $b', 'strings'],
    ['$a or filesize < 10', 'anything'],
    ['filesize < 100', 'anything'],
    ['not $a', 'anything'],
    ['$a at 0', 'strings'],
    ['#a >= 2', 'strings'],
    ['#a == 0', 'anything'],
    ['uint32(0) == 0x464c457f', '7f454c46'],
    ['uint16(0) == 0x5a4d and filesize < 10MB', '4d5a'],
    ['0xfeedfacf == uint32be(0)', 'feedfacf'],
    ['(uint16(0) == 0x5a4d) or $a', 'strings+4d5a'],
    ['any of them and uint16(0) == 0x5a4d', '4d5a'],
    ['uint32(4) == 1', 'anything'],
  ])('%s → %s', (condition, expected) => {
    expect(need(condition)).toBe(expected);
  });

  it('reads typed meta and skips braces inside hex strings and comments', () => {
    const [r] = parseRules('// rule fake {\nrule real : tag { meta: s = "a\\"b" n = -3 t = true strings: $h = { 7B 7D } /* } */ condition: $h }');
    expect(r?.name).toBe('real');
    expect(r?.meta).toEqual({ s: 'a"b', n: -3, t: true });
    expect(r?.stringsText).toContain('{ 7B 7D }');
    expect(r?.condition.map((t) => t.text)).toEqual(['$h']);
  });
});
