import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodedBlob, shannonEntropy } from './blobs.js';
import { longestJsfuckRun } from './obfuscation.js';

describe('encodedBlob', () => {
  it('reports long random base64 with its length and entropy', () => {
    const value = randomBytes(3000).toString('base64');
    const blob = encodedBlob(value);
    expect(blob?.encoding).toBe('base64');
    expect(blob?.length).toBe(value.length);
    expect(blob?.entropy).toBeGreaterThan(5.5);
    expect(blob?.message).toMatch(/^a 4000-character base64 string \(entropy \d\.\d bits\/char\)$/);
  });

  it.each([
    ['AGFzbQEAAAA', 'a WebAssembly module'],
    ['H4sIAAAAAAAA', 'gzip data'],
    ['TVqQAAMAAAAE', 'a Windows executable'],
    ['f0VMRgIBAQAA', 'an ELF executable'],
  ])('recognises %s… as %s', (prefix, kind) => {
    expect(encodedBlob(prefix + randomBytes(1500).toString('base64'))?.message).toContain(`probably ${kind}`);
  });

  it('reports hex and non-asset data URIs', () => {
    expect(encodedBlob(randomBytes(800).toString('hex'))?.encoding).toBe('hex');
    expect(encodedBlob(`data:application/javascript;base64,${randomBytes(1500).toString('base64')}`)?.encoding).toBe('base64');
  });

  it.each([
    ['an image data URI', `data:image/png;base64,${randomBytes(1500).toString('base64')}`],
    ['a font data URI', `data:font/woff2;base64,${randomBytes(1500).toString('base64')}`],
    ['a source map', `data:application/json;charset=utf-8;base64,${randomBytes(1500).toString('base64')}`],
    ['raw base64 of a PNG', `iVBORw0KGgo${randomBytes(1500).toString('base64')}`],
    ['short base64', randomBytes(500).toString('base64')],
    ['a run of one letter', 'A'.repeat(5000)],
    ['prose', 'lorem ipsum dolor sit amet '.repeat(100)],
    ['an identifier alphabet', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.repeat(2).slice(0, 100)],
  ])('ignores %s', (_name, value) => {
    expect(encodedBlob(value)).toBeUndefined();
  });

  it('computes entropy', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abab')).toBe(1);
  });
});

describe('longestJsfuckRun', () => {
  it('measures runs of []()!+ ignoring whitespace, linearly', () => {
    expect(longestJsfuckRun('a(![]+[])[+[]]b')).toBe(13);
    expect(longestJsfuckRun('[] \n ()')).toBe(4);
    const started = performance.now();
    expect(longestJsfuckRun('[]'.repeat(1_000_000))).toBe(2_000_000);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
