import { describe, expect, it } from 'vitest';
import { MAX_PARSE_TOKENS, estimateTokens } from './parse.js';

describe('estimateTokens', () => {
  it.each([
    ['nothing', '', 0],
    ['white space only', ' \n\t\r  ', 0],
    ['one word', 'const', 1],
    ['words and punctuation', 'const a = b(1);', 8],
    ['a run of word characters, $ and _ included', 'a_b$c9 x', 2],
    ['non-ASCII letters as word characters', 'const café = 1', 4],
    ['every punctuation character', ';;;', 3],
    ['a sequence of identifiers', 'a,a,a', 5],
    // Strings and comments count as code: syntax hidden behind a misread quote is never under-counted.
    ['inside a string', '"a b;"', 5],
    ['inside a comment', '/* a; */', 6],
  ])('counts %s', (_label, text, tokens) => {
    expect(estimateTokens(text)).toBe(tokens);
  });

  it('puts four million statements of `;` far over the cap and a large real-shaped script under it', () => {
    expect(estimateTokens(';'.repeat(4_000_000))).toBeGreaterThan(MAX_PARSE_TOKENS);
    // Minified code runs at 0.25–0.5 tokens per byte; 2 MiB of this line is about 0.7 million.
    const line = 'function f(e,t){return e&&t?Object.assign({},e,{name:t.name,description:t.description}):null}\n';
    expect(estimateTokens(line.repeat(Math.ceil((2 * 1024 * 1024) / line.length)))).toBeLessThan(MAX_PARSE_TOKENS);
  });
});
