import { describe, expect, it } from 'vitest';
import { MAX_PARSE_TOKENS, estimateTokens, parseTokenCap, tokenCapText } from './parse.js';

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

describe('parseTokenCap', () => {
  it.each([
    ['unset', {}, MAX_PARSE_TOKENS, 'the 1,500,000-token cap'],
    ['lowered for a retry', { maxParseTokens: 629_145 }, 629_145, 'the 629,145-token cap (lowered from 1,500,000 for a retry after the analysis ran out of heap)'],
    ['never raised above the cap', { maxParseTokens: 9_000_000 }, MAX_PARSE_TOKENS, 'the 1,500,000-token cap'],
  ])('is the default unless lowered: %s', (_label, limits, cap, text) => {
    expect(parseTokenCap(limits)).toBe(cap);
    expect(tokenCapText(parseTokenCap(limits), limits)).toBe(text);
  });
});
