import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkspaceReader } from '../core/analyzer.js';
import type { WorkspaceFile } from '../core/workspace.js';
import { createCachingReader, createMemoryReader, createWorkspaceReader, readerFor } from './reader.js';

const LIMITS = { maxTextBytes: 1024, timeoutMs: 10_000 };

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'assay-reader-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function counting(inner: WorkspaceReader): { reader: WorkspaceReader; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    reader: {
      readText: (f) => (reads.push(`text:${f.path}`), inner.readText(f)),
      readBytes: (f, max) => (reads.push(`bytes:${f.path}`), inner.readBytes(f, max)),
    },
  };
}

async function file(name: string, content: string | Buffer): Promise<WorkspaceFile> {
  await writeFile(path.join(root, name), content);
  return { path: name, size: Buffer.byteLength(content), type: 'text' };
}

describe('caching workspace reader', () => {
  it('reads a file from disk once for all analyzers, as text and as bytes', async () => {
    const a = await file('a.js', 'const a = "é";\n');
    const { reader, reads } = counting(createWorkspaceReader(root, LIMITS));
    const cached = createCachingReader(reader, LIMITS.maxTextBytes, 4096);
    expect(await cached.readText(a)).toBe('const a = "é";\n');
    expect(await cached.readText(a)).toBe('const a = "é";\n');
    expect((await cached.readBytes(a)).toString('utf8')).toBe('const a = "é";\n');
    expect((await cached.readBytes(a, 5)).toString('utf8')).toBe('const');
    expect(reads).toEqual(['bytes:a.js']);
    expect(cached.cachedBytes).toBe(a.size);
  });

  it('hands out copies of bytes, so one analyzer cannot change what the next reads', async () => {
    const a = await file('a.bin', Buffer.from([1, 2, 3, 4]));
    const cached = createCachingReader(createWorkspaceReader(root, LIMITS), LIMITS.maxTextBytes, 4096);
    const first = await cached.readBytes(a);
    first.fill(0);
    expect([...(await cached.readBytes(a))]).toEqual([1, 2, 3, 4]);
  });

  it('keeps no more than its budget and reads the rest from disk each time', async () => {
    const a = await file('a.txt', 'x'.repeat(600));
    const b = await file('b.txt', 'y'.repeat(600));
    const { reader, reads } = counting(createWorkspaceReader(root, LIMITS));
    const cached = createCachingReader(reader, LIMITS.maxTextBytes, 1000);
    await cached.readText(a);
    await cached.readText(b);
    await cached.readText(a);
    await cached.readText(b);
    expect(reads).toEqual(['bytes:a.txt', 'text:b.txt', 'text:b.txt']);
    expect(cached.cachedBytes).toBe(600);
  });

  it('does not remember a file whose size differs from the listing', async () => {
    const listed = { ...(await file('a.txt', 'short')), size: 3 };
    const { reader, reads } = counting(createWorkspaceReader(root, LIMITS));
    const cached = createCachingReader(reader, LIMITS.maxTextBytes, 4096);
    await cached.readBytes(listed);
    await cached.readBytes(listed);
    expect(reads).toEqual(['bytes:a.txt', 'bytes:a.txt']);
    expect(cached.cachedBytes).toBe(0);
  });

  it('refuses a file over the text cap as text and gives its first bytes only, uncached', async () => {
    const big = await file('big.txt', 'z'.repeat(2000));
    const cached = createCachingReader(createWorkspaceReader(root, LIMITS), LIMITS.maxTextBytes, 1 << 20);
    await expect(cached.readText(big)).rejects.toThrow(/over the 1024-byte text cap/);
    expect((await cached.readBytes(big)).length).toBe(1024);
    expect(cached.cachedBytes).toBe(0);
  });

  it.each([
    ['a file left out of the workspace', async () => ({ ...(await file('gone.txt', 'x')), omitted: true }), /left out of the workspace/],
    ['a path that leaves the root', () => Promise.resolve<WorkspaceFile>({ path: '../etc/passwd', size: 10, type: 'text' }), /outside the workspace/],
    [
      'a link where a file was listed',
      async () => {
        await writeFile(path.join(root, 'real.txt'), 'secret');
        await symlink(path.join(root, 'real.txt'), path.join(root, 'link.txt'));
        return { path: 'link.txt', size: 6, type: 'text' } as WorkspaceFile;
      },
      /ELOOP|symbolic link|not a regular file/,
    ],
  ])('refuses %s exactly as the plain reader does', async (_label, make, message) => {
    const target = await make();
    const cached = createCachingReader(createWorkspaceReader(root, LIMITS), LIMITS.maxTextBytes, 1 << 20);
    await expect(cached.readText(target)).rejects.toThrow(message);
    await expect(cached.readBytes(target)).rejects.toThrow(message);
    expect(cached.cachedBytes).toBe(0);
  });
});

describe('memory reader', () => {
  const listed = (name: string, size: number, omitted = false): WorkspaceFile => ({ path: name, size, type: 'javascript', ...(omitted ? { omitted } : {}) });
  const contents = new Map<string, Uint8Array>([
    ['a.js', Buffer.from('const a = 1;')],
    ['big.txt', Buffer.alloc(2048, 0x61)],
  ]);
  const reader = createMemoryReader(contents, LIMITS);

  it('reads text and capped bytes, each read a copy', async () => {
    expect(await reader.readText(listed('a.js', 12))).toBe('const a = 1;');
    expect((await reader.readBytes(listed('big.txt', 2048), 10)).length).toBe(10);
    const first = await reader.readBytes(listed('a.js', 12));
    first.fill(0);
    expect((await reader.readBytes(listed('a.js', 12))).toString()).toBe('const a = 1;');
    expect(Buffer.from(contents.get('a.js') ?? []).toString()).toBe('const a = 1;');
  });

  it.each([
    ['a file over the text cap, as text', () => reader.readText(listed('big.txt', 2048)), /over the 1024-byte text cap/],
    ['an omitted file', () => reader.readBytes(listed('a.js', 12, true)), /left out of the workspace/],
    ['a path the contents do not hold', () => reader.readBytes(listed('../etc/passwd', 1)), /not in the workspace/],
  ])('refuses %s', async (_label, read, message) => {
    await expect(read()).rejects.toThrow(message);
  });

  it('is the reader for a workspace with contents, and a workspace with neither is an error', () => {
    expect(() => readerFor({}, undefined, LIMITS)).toThrow(/neither a directory nor contents/);
    expect(readerFor({}, contents, LIMITS)).toBeDefined();
  });
});
