import { describe, expect, it } from 'vitest';
import { fingerprintOf, makeFinding } from './finding.js';
import { parseSize } from './limits.js';
import { REDACTED, escapeTerminal, hasHiddenCharacters, redactSecrets, segmentAt, truncateText } from './text.js';

describe('redactSecrets', () => {
  it.each([
    ['github token', 'token ghp_0123456789abcdefghijABCDEFGHIJ012345 end', 'ghp_'],
    ['npm token', 'npm_0123456789abcdefghijABCDEFGHIJ012345', 'npm_0'],
    ['aws key id', 'key=AKIAABCDEFGHIJKLMNOP', 'AKIAABCD'],
    ['openai style', 'sk-proj-abcdefghijklmnopqrstuvwxyz012345', 'abcdefghijklmnop'],
    ['named secret', 'API_KEY=hunter2hunter2', 'hunter2'],
    ['json secret', '"client_secret": "s3cr3t-value-here"', 's3cr3t'],
    ['private key', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----', 'b3BlbnNza'],
  ])('hides a %s', (_name, text, secret) => {
    const out = redactSecrets(text);
    expect(out).toContain(REDACTED);
    expect(out).not.toContain(secret);
  });

  it.each([
    ['an env reference', 'API_KEY=$API_KEY', 'API_KEY=$API_KEY'],
    ['ordinary code', 'const x = fetch(url)', 'const x = fetch(url)'],
    ['a short value', 'token=abc', 'token=abc'],
  ])('leaves %s alone', (_name, text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it('stays fast on long hostile input', () => {
    const text = `${'secret'.repeat(20_000)}=${'a'.repeat(50_000)}`;
    const started = performance.now();
    redactSecrets(text);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('truncateText', () => {
  it('cuts on a code point boundary and marks the cut', () => {
    expect(truncateText('abcdef', 4)).toBe('abc…');
    expect(truncateText('abc', 4)).toBe('abc');
    const emoji = truncateText('😀😀😀😀', 3);
    expect(emoji.endsWith('…')).toBe(true);
    expect(emoji).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe('escapeTerminal', () => {
  it.each([
    ['ANSI', '\u001b[31mred', '\\u{1b}[31mred'],
    ['bell', 'a\u0007b', 'a\\u{7}b'],
    ['bidi override', 'abc\u202etxt', 'abc\\u{202e}txt'],
    ['zero width', 'a\u200bb', 'a\\u{200b}b'],
    ['newline', 'a\nb', 'a\\u{a}b'],
    ['C1 CSI', 'a\u009bb', 'a\\u{9b}b'],
    ['plain text', 'héllo wörld', 'héllo wörld'],
  ])('%s', (_name, input, expected) => {
    expect(escapeTerminal(input)).toBe(expected);
  });

  it('keeps newlines only in multiline mode', () => {
    expect(escapeTerminal('a\nb\u001b', true)).toBe('a\nb\\u{1b}');
    expect(hasHiddenCharacters('a\u2066b')).toBe(true);
    expect(hasHiddenCharacters('plain')).toBe(false);
  });
});

describe('findings', () => {
  const rule = { id: 'test/rule', title: 'T', severity: 'low', kind: 'capability', description: 'd', recommendation: 'r' } as const;

  it('redacts and truncates evidence before fingerprinting it', () => {
    const f = makeFinding(rule, 'test', { location: { file: 'a.js' }, evidence: `TOKEN=abcdefghijkl ${'x'.repeat(1000)}` });
    expect(f.evidence).not.toContain('abcdefghijkl');
    expect((f.evidence ?? '').length).toBeLessThanOrEqual(200);
  });

  it('gives the same fingerprint whatever the whitespace, and a different one per file or rule', () => {
    expect(fingerprintOf('a/b', 'f.js', 'x  =\n 1')).toBe(fingerprintOf('a/b', 'f.js', 'x = 1'));
    expect(fingerprintOf('a/b', 'f.js', 'x')).not.toBe(fingerprintOf('a/b', 'g.js', 'x'));
    expect(fingerprintOf('a/b', 'f.js', 'x')).not.toBe(fingerprintOf('a/c', 'f.js', 'x'));
  });
});

describe('parseSize', () => {
  it.each([
    ['512', 512],
    ['64k', 65536],
    ['100MB', 100 * 1024 * 1024],
    ['1GiB', 1024 ** 3],
    ['1.5m', Math.floor(1.5 * 1024 * 1024)],
  ])('%s → %i', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'abc', '-1', '0', '10 parsecs', '1e9'])('rejects %j', (text) => {
    expect(parseSize(text)).toBeUndefined();
  });
});

describe('segmentAt', () => {
  it.each([
    ['the first segment', [0, 10, 20], 0, 0],
    ['inside the first', [0, 10, 20], 9, 0],
    ['exactly at a start', [0, 10, 20], 10, 1],
    ['inside the last', [0, 10, 20], 25, 2],
    ['past the end', [0, 10, 20], 1_000, 2],
    ['a single segment', [0], 5, 0],
    ['empty segments share a start: the last of them', [0, 5, 5, 5, 9], 5, 3],
  ])('finds %s', (_label, starts, offset, index) => {
    expect(segmentAt(starts, offset)).toBe(index);
  });
});
