import { describe, expect, it } from 'vitest';
import { compileStringCondition, parseStringDefs, regexIsLocal } from './string-condition.js';
import { tokenize } from './yara-syntax.js';

describe('regexIsLocal', () => {
  it.each([
    ['/abc/', true],
    ['/a$/', false],
    ['/^a/', false],
    ['/a\\$b/', true],
    ['/[A-Za-z_$][A-Za-z0-9_$]{0,40}/', true],
    ['/[^a-z]x/', true],
    ['/[]$]x/', true],
    ['/[^]^]x/', true],
    ['/[\\]]$/', false],
    ['/[a](^|x)/', false],
    ['/x[$]$/', false],
  ])('%s → %s', (regex, local) => {
    expect(regexIsLocal(regex)).toBe(local);
  });
});

describe('parseStringDefs', () => {
  it.each([
    ['$a = "x"', true],
    ['$a = { 41 42 }', true],
    ['$a = /\\.pipe\\([A-Za-z_$]{0,4}\\.stdin\\)/', true],
    ['$a = /^x/', false],
    ['$a = "x" private', false],
    ['$a = "x" nocase wide fullword', true],
  ])('%s batch-safe: %s', (text, safe) => {
    expect(parseStringDefs(text)?.[0]?.batchSafe).toBe(safe);
  });

  it('gives up on anonymous-looking or malformed entries', () => {
    expect(parseStringDefs('$a "x"')).toBeUndefined();
  });
});

describe('compileStringCondition', () => {
  const ids = ['$a', '$b', '$c'];
  const cases: [string, string[], boolean | undefined][] = [
    ['$a and ($b or $c)', ['$a', '$c'], true],
    ['$a and ($b or $c)', ['$b', '$c'], false],
    ['2 of them', ['$a', '$c'], true],
    ['all of ($a, $b)', ['$a'], false],
    ['none of them', [], true],
    ['not $a', ['$a'], false],
    ['#a > 2', ['$a'], undefined],
    ['$a at 0', ['$a'], undefined],
    ['filesize < 10', [], undefined],
  ];
  it.each(cases)('%s with %j → %s', (condition, present, expected) => {
    const test = compileStringCondition(tokenize(condition), ids);
    if (expected === undefined) {
      expect(test).toBeUndefined();
      return;
    }
    expect(test?.((id) => present.includes(id))).toBe(expected);
  });
});
