import { describe, expect, it } from 'vitest';
import { commandOf } from './main.js';

describe('commandOf', () => {
  it.each([
    [['scan', 'x'], 'scan'],
    [['--debug', 'check', '--offline'], 'check'],
    [['--help'], undefined],
    [[], undefined],
    [['nosuch', 'scan'], undefined],
    [['constructor'], undefined],
    [['__proto__'], undefined],
  ] as [string[], string | undefined][])('%j → %s', (argv, name) => {
    expect(commandOf(argv)).toBe(name);
  });
});
