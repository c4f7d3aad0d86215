import { describe, expect, it } from 'vitest';
import { BADGE_COLORS, escapeXml, notScannedBadge, renderBadge, scoreBadge, textWidth } from './badge.js';

describe('escapeXml', () => {
  it.each([
    ['<script>', '&lt;script&gt;'],
    [`a"b'c&d`, 'a&quot;b&apos;c&amp;d'],
    ['nul\u0000esc\u001b', 'nul?esc?'],
    ['bidi\u202e', 'bidi?'],
    ['ok é', 'ok é'],
  ])('%j', (input, expected) => {
    expect(escapeXml(input)).toBe(expected);
  });
});

describe('badges', () => {
  it.each([
    ['pass', 'A', 95, true, 'A 95'],
    ['review', 'C', 61, true, 'C 61'],
    ['fail', 'F', 5, true, 'F 5'],
    ['pass', 'B', 80, false, 'B 80?'],
  ] as const)('colours a %s badge', (verdict, grade, value, complete, message) => {
    const badge = scoreBadge('demo', { value, grade, verdict, complete });
    expect(badge.message).toBe(message);
    expect(badge.color).toBe(BADGE_COLORS[verdict]);
    const svg = renderBadge(badge);
    expect(svg).toContain(`fill="${BADGE_COLORS[verdict]}"`);
    expect(svg).toContain(`>${message}</text>`);
  });

  it('sizes the badge from the text length', () => {
    const short = renderBadge(scoreBadge('x', { value: 5, grade: 'F', verdict: 'fail', complete: true }));
    const long = renderBadge(notScannedBadge('x'));
    const width = (svg: string): number => Number(/width="(\d+)"/.exec(svg)?.[1]);
    expect(width(short)).toBe(textWidth('mcp-assay') + textWidth('F 5'));
    expect(width(long)).toBeGreaterThan(width(short));
  });

  it('escapes a hostile package name in the title and keeps the SVG well formed', () => {
    const name = '</title><script>alert(1)</script>\u0000\u202e&';
    const svg = renderBadge(notScannedBadge(name));
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;??&amp;: not scanned');
    expect(svg).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u202e]/);
    expect(svg.match(/<title>/g)).toHaveLength(1);
    expect(BADGE_COLORS.unknown).toBe(notScannedBadge(name).color);
  });

  it('cuts a very long name', () => {
    const svg = renderBadge(notScannedBadge('n'.repeat(10_000)));
    expect(svg.length).toBeLessThan(2000);
  });
});
