import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openArchiveCache, parseIntegrity, STALE_TEMP_MS, tryParseIntegrity } from './archive-cache.js';
import type { ArchiveCache } from './archive-cache.js';
import { expectAssayError } from './test-helpers/expect.js';

function sri(algorithm: 'sha512' | 'sha384' | 'sha256', data: Buffer): string {
  return `${algorithm}-${createHash(algorithm).update(data).digest('base64')}`;
}

function hexOf(data: Buffer, algorithm = 'sha512'): string {
  return createHash(algorithm).update(data).digest('hex');
}

let tmp = '';
let dir = '';
let clock = 0;

beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'assay-archive-cache-'));
  dir = path.join(tmp, 'cache');
  clock = Date.UTC(2026, 0, 1);
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function open(maxBytes?: number): Promise<ArchiveCache> {
  return openArchiveCache({ dir, now: () => clock, ...(maxBytes === undefined ? {} : { maxBytes }) });
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

describe('parseIntegrity', () => {
  const data = Buffer.from('hello');
  it.each(['sha512', 'sha384', 'sha256'] as const)('accepts %s and names the entry by its hex digest', (algorithm) => {
    const parsed = parseIntegrity(sri(algorithm, data));
    expect(parsed.algorithm).toBe(algorithm);
    expect(parsed.hex).toBe(hexOf(data, algorithm));
  });

  const good = sri('sha512', data);
  const hostile: [string, string][] = [
    ['empty', ''],
    ['sha1', `sha1-${createHash('sha1').update(data).digest('base64')}`],
    ['md5', `md5-${createHash('md5').update(data).digest('base64')}`],
    ['upper-case algorithm', good.replace('sha512', 'SHA512')],
    ['path traversal', 'sha512-../../../../etc/passwd'],
    ['slashes of the right length', `sha512-${'/'.repeat(86)}==`],
    ['short digest', `sha512-${createHash('sha256').update(data).digest('base64')}`],
    ['two hashes', `${good} ${sri('sha256', data)}`],
    ['an option', `${good}?foo`],
    ['leading space', ` ${good}`],
    ['trailing newline', `${good}\n`],
    ['missing padding', good.replace(/=+$/, '')],
    ['url-safe base64', good.replace(/\+/g, '-').replace(/\//g, '_')],
    ['non-canonical padding bits', `${good.slice(0, -3)}B==`],
    ['huge', `sha512-${'A'.repeat(100_000)}`],
    ['control characters', `sha512-\u001b[31m${good.slice(7)}`],
  ];
  it.each(hostile)('refuses %s', (_label, text) => {
    expect(() => parseIntegrity(text)).toThrow(/not a usable integrity string/);
    expect(tryParseIntegrity(text)).toBeUndefined();
  });

  it('keeps slashes of a real digest out of the key', () => {
    // Find data whose base64 digest holds a slash, so the key test is meaningful.
    let sample = Buffer.from('0');
    for (let i = 0; !sri('sha512', sample).includes('/'); i += 1) sample = Buffer.from(String(i));
    expect(parseIntegrity(sri('sha512', sample)).hex).toMatch(/^[0-9a-f]{128}$/);
  });
});

describe('openArchiveCache', () => {
  it('makes a missing dir', async () => {
    const cache = await open();
    expect(cache.dir).toBe(dir);
    expect(existsSync(dir)).toBe(true);
  });

  it('refuses a cache dir that is a symbolic link', async () => {
    const real = path.join(tmp, 'real');
    await mkdir(real);
    await symlink(real, dir);
    const error = await expectAssayError(open());
    expect(error.category).toBe('usage');
    expect(error.message).toBe(`cache dir ${dir} is a symbolic link, which is never followed; choose another with --cache-dir`);
  });

  it('refuses a cache dir that is a file', async () => {
    await writeFile(dir, 'x');
    expect((await expectAssayError(open())).message).toMatch(/is not a directory/);
  });

  it('refuses a cache dir owned by someone else', async () => {
    if (process.getuid?.() === 0) {
      await mkdir(dir);
      await chown(dir, 4242, 4242);
    } else {
      dir = path.parse(tmp).root;
    }
    const error = await expectAssayError(open());
    expect(error.category).toBe('usage');
    expect(error.message).toMatch(/is owned by uid \d+, not by this user/);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a cap of %s', async (cap) => {
    expect((await expectAssayError(open(cap))).category).toBe('usage');
  });
});

describe('ArchiveCache', () => {
  const a = Buffer.from('archive a '.repeat(100));
  const b = Buffer.from('archive b '.repeat(100));
  const c = Buffer.from('archive c '.repeat(100));

  it('stores by integrity in a two-level fan-out and finds it again', async () => {
    const cache = await open();
    expect(await cache.get(sri('sha512', a))).toBeUndefined();
    const put = await cache.put(sri('sha512', a), a);
    const hex = hexOf(a);
    expect(put).toEqual({ stored: true, size: a.length, path: path.join(dir, 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex) });
    expect(await cache.get(sri('sha512', a))).toBe(put.path);
    expect(await cache.read(sri('sha512', a), 1_000_000)).toEqual(a);
    expect(await filesUnder(dir)).toEqual([path.join('sha512', hex.slice(0, 2), hex.slice(2, 4), hex)]);
  });

  it('reads an entry larger than one read chunk back whole', async () => {
    const cache = await open();
    const big = randomBytes(2 * 1024 * 1024 + 123);
    await cache.put(sri('sha512', big), big);
    expect((await cache.read(sri('sha512', big), 4 * 1024 * 1024))?.equals(big)).toBe(true);
  });

  it('accepts a stream', async () => {
    const cache = await open();
    async function* chunks(): AsyncGenerator<Buffer> {
      yield a.subarray(0, 10);
      yield a.subarray(10);
    }
    await cache.put(sri('sha256', a), chunks());
    expect(await cache.read(sri('sha256', a), 1_000_000)).toEqual(a);
  });

  it('refuses bytes that do not match the integrity and leaves nothing behind', async () => {
    const cache = await open();
    const error = await expectAssayError(cache.put(sri('sha512', a), b));
    expect(error.category).toBe('integrity');
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('leaves nothing behind when a put is aborted', async () => {
    const cache = await open();
    const controller = new AbortController();
    async function* chunks(): AsyncGenerator<Buffer> {
      yield a.subarray(0, 10);
      controller.abort();
      yield a.subarray(10);
    }
    await expect(cache.put(sri('sha512', a), chunks(), { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('survives concurrent puts of the same key', async () => {
    const cache = await open();
    const results = await Promise.all(Array.from({ length: 12 }, () => cache.put(sri('sha512', a), a)));
    expect(results.every((r) => r.stored)).toBe(true);
    expect(await filesUnder(dir)).toHaveLength(1);
    expect(await cache.read(sri('sha512', a), 1_000_000)).toEqual(a);
  });

  it.each([
    ['a flipped byte', (data: Buffer) => Buffer.concat([data.subarray(0, 5), Buffer.from('X'), data.subarray(6)])],
    ['a truncated file', (data: Buffer) => data.subarray(0, data.length - 1)],
    ['an appended byte', (data: Buffer) => Buffer.concat([data, Buffer.from('X')])],
    ['an empty file', () => Buffer.alloc(0)],
  ])('treats %s as a miss and deletes it', async (_label, corrupt) => {
    const cache = await open();
    const { path: file } = await cache.put(sri('sha512', a), a);
    await writeFile(file ?? '', corrupt(a));
    expect(await cache.get(sri('sha512', a))).toBeUndefined();
    expect(existsSync(file ?? '')).toBe(false);
    expect((await cache.put(sri('sha512', a), a)).stored).toBe(true);
    expect(await cache.get(sri('sha512', a))).toBe(file);
  });

  it('never follows a link planted as an entry', async () => {
    const cache = await open();
    const outside = path.join(tmp, 'outside');
    await writeFile(outside, a);
    const hex = hexOf(a);
    const folder = path.join(dir, 'sha512', hex.slice(0, 2), hex.slice(2, 4));
    await mkdir(folder, { recursive: true });
    await symlink(outside, path.join(folder, hex));
    expect(await cache.get(sri('sha512', a))).toBeUndefined();
    expect(await readFile(outside)).toEqual(a);
    expect((await cache.stats()).entries).toBe(0);
  });

  it('never follows a link planted as a fan-out folder', async () => {
    const cache = await open();
    const outside = path.join(tmp, 'outside');
    const hex = hexOf(a);
    await mkdir(path.join(outside, hex.slice(2, 4)), { recursive: true });
    await writeFile(path.join(outside, hex.slice(2, 4), hex), a);
    await mkdir(path.join(dir, 'sha512'), { recursive: true });
    await symlink(outside, path.join(dir, 'sha512', hex.slice(0, 2)));
    expect(await cache.get(sri('sha512', a))).toBeUndefined();
    expect((await cache.stats()).entries).toBe(0);
    // A put replaces the link with a real folder and leaves the outside file alone.
    await cache.put(sri('sha512', a), a);
    expect(await cache.get(sri('sha512', a))).toBe(path.join(dir, 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex));
    expect(existsSync(path.join(outside, hex.slice(2, 4), hex))).toBe(true);
  });

  it('refuses to read an entry over the archive cap', async () => {
    const cache = await open();
    await cache.put(sri('sha512', a), a);
    const error = await expectAssayError(cache.read(sri('sha512', a), 10));
    expect(error.message).toMatch(/--max-archive-size/);
  });

  it('prunes least recently used entries first, a hit counting as a use', async () => {
    const cache = await open();
    for (const data of [a, b, c]) {
      clock += 1000;
      const { path: file } = await cache.put(sri('sha512', data), data);
      await utimes(file ?? '', new Date(clock), new Date(clock));
    }
    clock += 1000;
    expect(await cache.get(sri('sha512', a))).toBeDefined();
    const result = await cache.prune({ maxBytes: a.length * 2 });
    expect(result).toMatchObject({ removed: 1, freedBytes: b.length, remainingEntries: 2, remainingBytes: a.length + c.length });
    expect(await cache.get(sri('sha512', b))).toBeUndefined();
    expect(await cache.get(sri('sha512', a))).toBeDefined();
    expect(await cache.get(sri('sha512', c))).toBeDefined();
  });

  it('prunes before a put that would go over the cap', async () => {
    const cache = await open(a.length * 2 + 10);
    for (const data of [a, b, c]) {
      clock += 1000;
      const { path: file } = await cache.put(sri('sha512', data), data);
      await utimes(file ?? '', new Date(clock), new Date(clock));
      expect((await cache.stats()).totalBytes).toBeLessThanOrEqual(cache.maxBytes);
    }
    expect(await cache.get(sri('sha512', a))).toBeUndefined();
    expect((await cache.stats()).entries).toBe(2);
  });

  it('keeps parallel puts of different archives under the cap', async () => {
    const archives = Array.from({ length: 8 }, (_, i) => Buffer.alloc(1000, i));
    const cache = await open(2500);
    await Promise.all(archives.map((data) => cache.put(sri('sha512', data), data)));
    const stats = await cache.stats();
    expect(stats.totalBytes).toBeLessThanOrEqual(2500);
    expect(stats.entries).toBe(2);
    expect(stats.tempFiles).toBe(0);
  });

  it('notices a cache dir swapped for a link after it was opened', async () => {
    const cache = await open();
    await cache.put(sri('sha512', a), a);
    await rm(dir, { recursive: true });
    await mkdir(path.join(tmp, 'elsewhere'));
    await symlink(path.join(tmp, 'elsewhere'), dir);
    expect((await expectAssayError(cache.get(sri('sha512', a)))).message).toMatch(/is a symbolic link/);
    expect((await expectAssayError(cache.put(sri('sha512', a), a))).message).toMatch(/is a symbolic link/);
    expect(await readdir(path.join(tmp, 'elsewhere'))).toEqual([]);
  });

  it('does not keep an archive larger than the whole cap', async () => {
    const cache = await open(a.length - 1);
    expect(await cache.put(sri('sha512', a), a)).toEqual({ stored: false, size: a.length });
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('stops reading a stream once it is over the whole cap', async () => {
    const cache = await open(3000);
    let pulled = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        pulled += 1;
        yield Buffer.alloc(1000, 1);
      }
    }
    const result = await cache.put(sri('sha512', a), endless());
    expect(result.stored).toBe(false);
    expect(pulled).toBe(4);
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('removes temp files older than an hour, and only those', async () => {
    const cache = await open();
    await cache.put(sri('sha512', a), a);
    const stale = path.join(dir, 'tmp', `${'0'.repeat(16)}-${randomBytes(8).toString('hex')}.tmp`);
    const fresh = path.join(dir, 'tmp', `${'1'.repeat(16)}-${randomBytes(8).toString('hex')}.tmp`);
    const foreign = path.join(dir, 'tmp', 'notes.txt');
    for (const file of [stale, fresh, foreign]) await writeFile(file, 'partial');
    const old = new Date(clock - STALE_TEMP_MS - 1000);
    await utimes(stale, old, old);
    await utimes(foreign, old, old);
    await utimes(fresh, new Date(clock), new Date(clock));
    expect((await cache.stats()).tempFiles).toBe(2);
    const result = await cache.prune();
    expect(result).toMatchObject({ removed: 0, staleTempFiles: 1, remainingEntries: 1 });
    expect([existsSync(stale), existsSync(fresh), existsSync(foreign)]).toEqual([false, true, true]);
  });

  it('reports stats and ignores names that are not entries', async () => {
    const cache = await open();
    clock += 5000;
    await cache.put(sri('sha512', a), a);
    await cache.put(sri('sha384', b), b);
    await writeFile(path.join(dir, 'sha512', 'README'), 'not an entry');
    await mkdir(path.join(dir, 'sha256', 'zz', 'zz'), { recursive: true });
    await writeFile(path.join(dir, 'sha256', 'zz', 'zz', 'x'.repeat(64)), 'not an entry');
    const stats = await cache.stats();
    expect(stats).toMatchObject({ dir, entries: 2, totalBytes: a.length + b.length, tempFiles: 0, oldestUse: clock, newestUse: clock });
  });
});
