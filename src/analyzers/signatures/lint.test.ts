import { describe, expect, it } from 'vitest';
import type { LibraryRule } from './library.js';
import { MAX_GROUP_DEPTH, analyzePattern, lint } from './lint.js';
import type { YarString } from './yar-parse.js';

function regex(value: string): YarString {
  return { id: '$a', kind: 'regex', value, line: 1 };
}

function hex(value: string): YarString {
  return { id: '$a', kind: 'hex', value, line: 1 };
}

function ruleWith(strings: YarString[]): LibraryRule {
  const rule = { id: 'x', path: 'x.yar', syntax: [], ruleNames: ['x'], samples: { match: ['m'], nomatch: ['n'] }, strings };
  return rule as unknown as LibraryRule;
}

describe('analyzePattern on groups', () => {
  it.each([
    ['an alternation of good atoms', '[a-z0-9\\-]{1,63}\\.(duckdns\\.org|ddns\\.net|no-ip\\.(org|biz))\\b'],
    ['a required group repeated', '(evil\\.example){2}'],
    ['a group with +', 'x(stratum|xmrig)+y'],
    ['a non-capturing group', '(?:duckdns|dynu\\.net)'],
    ['nested groups, each alternative good', '((duck|ddns)dns\\.org|(dynu|afraid)\\.(com|net))'],
    ['a whole-pattern alternation of good atoms', 'duckdns\\.org|sytes\\.net'],
    ['a short group beside a good run', '(nc|netcat) -e \\/bin\\/sh'],
    ['a hex escape run', '\\xF3\\xA0\\x81\\xA1'],
    ['an optional group beside a good run', 'ab(cd)?\\/bin\\/sh'],
  ])('finds a distinctive atom in %s', (_name, source) => {
    expect(analyzePattern(regex(source)).distinctive).toBe(true);
  });

  it.each([
    ['one short alternative', '\\b(nc|netcat)\\b'],
    ['one short alternative nested', 'x((duckdns|dd)\\.io)'],
    ['an optional group (?)', 'x(duckdns\\.org)?'],
    ['an optional group (*)', 'x(duckdns\\.org)*'],
    ['an optional group ({0,3})', 'x(duckdns\\.org){0,3}'],
    ['an optional group ({,3})', 'x(duckdns\\.org){,3}'],
    ['a required group inside an optional one', 'x((duckdns\\.org))?'],
    ['a whole-pattern alternation with one short side', 'duckdns\\.org|ab'],
    ['an empty alternative', '(duckdns\\.org|)'],
    ['literals split by a group', 'ab(c|d)ef'],
    ['an unclosed group', 'x(duckdns\\.org'],
  ])('finds no distinctive atom in %s', (_name, source) => {
    expect(analyzePattern(regex(source)).distinctive).toBe(false);
  });

  it('shows the weakest alternative when a group gives the atom', () => {
    expect(analyzePattern(regex('[a-z]{1,9}\\.(duckdns\\.org|ddns\\.net)')).atom).toBe('ddns.net');
  });

  it('does not analyse groups nested deeper than the cap', () => {
    const at = (depth: number): string => `${'('.repeat(depth)}duckdns\\.org${')'.repeat(depth)}`;
    expect(analyzePattern(regex(at(MAX_GROUP_DEPTH))).distinctive).toBe(true);
    expect(analyzePattern(regex(at(MAX_GROUP_DEPTH + 1))).distinctive).toBe(false);
  });

  it('still reports unbounded patterns inside deep groups', () => {
    const source = `${'('.repeat(40)}a.*b${')'.repeat(40)}`;
    expect(analyzePattern(regex(source)).unbounded).toEqual(['unbounded pattern .*']);
  });

  it.each([
    ['alternatives of good runs', '2F ( 62 69 6E 2F | 75 73 72 2F )', true],
    ['nested alternatives of good runs', '( 63 6D 64 2E | ( 6E 63 61 74 | 62 61 73 68 ) )', true],
    ['one short alternative', '( 62 69 6E 2F | 75 73 )', false],
    ['a not-byte wildcard', '~00 41 42 43 44', true],
    ['a not-byte splitting a run', '41 42 ~00 43 44', false],
  ])('hex strings: %s', (_name, source, distinctive) => {
    expect(analyzePattern(hex(source)).distinctive).toBe(distinctive);
  });
});

describe('lint on alternations', () => {
  it.each([
    ['a group of good atoms', '[a-z0-9\\-]{1,63}\\.(duckdns\\.org|ddns\\.net|no-ip\\.(org|biz))\\b', ''],
    ['a group with a short alternative', '\\b(nc|netcat)[ \\t]{1,8}-e', 'no string has an atom'],
    ['an optional group', '[a-z]{1,9}(\\.duckdns\\.org)?', 'no string has an atom'],
  ])('%s', (_name, source, expected) => {
    const messages = lint(ruleWith([regex(source)])).map((p) => p.message).join('\n');
    if (expected === '') expect(messages).toBe('');
    else expect(messages).toContain(expected);
  });

  it('stays linear on many open braces and groups', () => {
    const source = `${'a{'.repeat(100_000)}${'(x|'.repeat(50_000)}`;
    const started = performance.now();
    const report = analyzePattern(regex(source));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(report.distinctive).toBe(false);
  });
});
