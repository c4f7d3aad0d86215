import { describe, expect, it } from 'vitest';
import { countInvisible, escapeHtml, escapeHtmlMarked, invisibleMarker } from './escape.js';

describe('escapeHtml', () => {
  it.each([
    ['plain text', 'plain text'],
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['"><img src=x onerror=alert(1)>', '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'],
    ["' onmouseover='x", '&#39; onmouseover=&#39;x'],
    ['a & b &amp;', 'a &amp; b &amp;amp;'],
    ['\u001b[31mred\u001b[0m', '⟨U+001B⟩[31mred⟨U+001B⟩[0m'],
    ['abc\u202efed', 'abc⟨U+202E⟩fed'],
    ['\u2066iso\u2069', '⟨U+2066⟩iso⟨U+2069⟩'],
    ['zero\u200bwidth\ufeff', 'zero⟨U+200B⟩width⟨U+FEFF⟩'],
    ['tag \u{e0041}', 'tag ⟨U+E0041⟩'],
    ['nul\u0000 del\u007f c1\u0085', 'nul⟨U+0000⟩ del⟨U+007F⟩ c1⟨U+0085⟩'],
    ['soft\u00adhyphen', 'soft⟨U+00AD⟩hyphen'],
    ['lone \ud800 surrogate', 'lone ⟨U+D800⟩ surrogate'],
    ['emoji 😀 kept', 'emoji 😀 kept'],
    ['line\nand\ttab', 'line\nand\ttab'],
    ['é ü 中文', 'é ü 中文'],
  ])('%j', (input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
  });

  it('leaves nothing that could open a tag or end an attribute', () => {
    const hostile = '<>"\'&'.repeat(1000);
    expect(escapeHtml(hostile)).not.toMatch(/[<>"']/);
  });

  it('handles long hostile text whole', () => {
    const long = '\u200b<'.repeat(200_000);
    expect(escapeHtml(long)).toBe('⟨U+200B⟩&lt;'.repeat(200_000));
  });
});

describe('escapeHtmlMarked', () => {
  it('wraps markers in a span and escapes the rest', () => {
    expect(escapeHtmlMarked('<b>\u202e</b>')).toBe('&lt;b&gt;<span class="inv">⟨U+202E⟩</span>&lt;/b&gt;');
  });

  it('matches escapeHtml once the spans are removed', () => {
    const text = 'a\u200bb<c>\u001b[0m\u{e0001}';
    expect(escapeHtmlMarked(text).replace(/<\/?span[^>]*>/g, '')).toBe(escapeHtml(text));
  });

  it('counts the characters it marks', () => {
    expect(countInvisible('a\u200bb\u202ec\u{e0041}')).toBe(3);
    expect(countInvisible('clean')).toBe(0);
    expect(invisibleMarker('\u0007')).toBe('⟨U+0007⟩');
  });
});
