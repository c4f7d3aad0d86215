import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AssayError } from '../core/errors.js';
import { DEFAULT_WORKSPACE_LIMITS, type WorkspaceLimits } from '../core/limits.js';
import type { Workspace } from '../core/workspace.js';
import { fetchTarballFile } from './tarball.js';
import { buildTar, buildTgz, type StreamEntry, writeArchive } from './test-helpers/tar-builder.js';
import { rootOf } from './test-helpers/expect.js';
import type { MadeWorkspace } from './workspace.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

let sandbox: string;
let tmpDir: string;
let made: MadeWorkspace | undefined;
let counter = 0;

beforeAll(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 'assay-tarball-'));
});

afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

beforeEach(async () => {
  counter += 1;
  tmpDir = path.join(sandbox, `tmp-${counter}`);
  await mkdir(tmpDir);
  return async () => {
    await made?.dispose();
    made = undefined;
    expect(await readdir(tmpDir)).toEqual([]);
  };
});

function ctx(limits: Partial<WorkspaceLimits> = {}) {
  return { limits: { ...DEFAULT_WORKSPACE_LIMITS, ...limits }, signal: new AbortController().signal, tmpDir };
}

async function fetchFile(file: string, limits: Partial<WorkspaceLimits> = {}): Promise<Workspace> {
  made = await fetchTarballFile({ kind: 'tarball', spec: file }, ctx(limits));
  return made.workspace;
}

async function failure(file: string, limits: Partial<WorkspaceLimits> = {}): Promise<AssayError> {
  try {
    made = await fetchTarballFile({ kind: 'tarball', spec: file }, ctx(limits));
  } catch (error) {
    expect(error).toBeInstanceOf(AssayError);
    return error as AssayError;
  }
  throw new Error('expected a failure');
}

async function sri(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest('base64')}`;
}

function ruleIds(ws: Workspace): string[] {
  return ws.findings.map((f) => f.ruleId);
}

const MANIFEST: StreamEntry = { path: 'package/package.json', body: '{"name":"big","version":"1.0.0"}' };

describe('fetchTarballFile', () => {
  it.each([
    ['.tgz', (entries: Parameters<typeof buildTgz>[0]) => buildTgz(entries)],
    ['.tar', (entries: Parameters<typeof buildTar>[0]) => buildTar(entries)],
  ])('extracts a %s file and records its sha512 integrity', async (ext, build) => {
    const file = path.join(sandbox, `small-${counter}${ext}`);
    await writeFile(file, build([MANIFEST, { path: 'package/index.js', body: 'export {}' }]));
    const ws = await fetchFile(file);
    expect(ws).toMatchObject({ name: 'big', version: '1.0.0', integrity: await sri(file), incomplete: false });
    expect(ws.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    expect(ws.files.map((f) => f.path)).toEqual(['index.js', 'package.json']);
  });

  it.each([
    ['a missing file', 'notFound', /^archive not found: /, async () => path.join(sandbox, 'missing.tgz')],
    ['a directory', 'invalidInput', /is a directory, not a \.tgz\/\.tar archive$/, async () => sandbox],
    ['a file that is not an archive', 'invalidInput', /^archive is truncated or corrupt: not a gzip or tar archive$/, async () => {
      const file = path.join(sandbox, 'readme.tgz');
      await writeFile(file, '# not an archive\n'.repeat(64));
      return file;
    }],
    ['a truncated .tgz', 'invalidInput', /^archive is truncated or corrupt: /, async () => {
      const file = path.join(sandbox, 'cut.tgz');
      await writeFile(file, buildTgz([MANIFEST, { path: 'package/a.bin', body: Buffer.alloc(300_000, 0x33) }]));
      await truncate(file, 200);
      return file;
    }],
  ])('%s → %s', async (_label, category, message, make) => {
    const error = await failure(await make());
    expect(error.category).toBe(category);
    expect(error.message).toMatch(message);
  });

  it('refuses a file over maxArchiveBytes from its size alone', async () => {
    const file = path.join(sandbox, 'over.tgz');
    await writeFile(file, Buffer.alloc(5000));
    const error = await failure(file, { maxArchiveBytes: 4096 });
    expect(error.category).toBe('invalidInput');
    expect(error.message).toContain('--max-archive-size');
    expect(error.message).toContain('5000 bytes');
  });
});

describe('big archives', () => {
  let bomb: string;

  beforeAll(async () => {
    // 1 GiB of zeros at gzip level 9: about a megabyte on disk.
    bomb = path.join(sandbox, 'bomb.tgz');
    await writeArchive(bomb, [MANIFEST, { path: 'package/zeros.bin', zeros: GiB }, { path: 'package/late.js', body: 'late' }], { gzip: 9 });
  });

  it('the bomb is one: about 1000:1', async () => {
    expect((await stat(bomb)).size).toBeLessThan(GiB / 900);
  });

  it('stops a gzip bomb at the unpacked cap, promptly, dropping the partial file', async () => {
    const started = Date.now();
    const ws = await fetchFile(bomb, { maxUnpackedBytes: 64 * MiB, maxFileBytes: 2 * GiB });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(ws.files.map((f) => f.path)).toEqual(['package.json']);
    expect(existsSync(path.join(rootOf(ws), 'zeros.bin'))).toBe(false);
    expect(ws.incomplete).toBe(true);
    expect(ruleIds(ws)).toEqual(['workspace/unpacked-size-limit']);
    expect(ws.findings[0]?.message).toContain(`${64 * MiB} bytes`);
    // The integrity still covers the whole file, not just what was unpacked.
    expect(ws.integrity).toBe(await sri(bomb));
  });

  it('skips the 1 GiB file at maxFileBytes and still stops the stream at maxUnpackedBytes', async () => {
    const ws = await fetchFile(bomb, { maxUnpackedBytes: 256 * MiB, maxFileBytes: MiB });
    expect(ws.files).toEqual([
      { path: 'package.json', size: 32, type: 'json' },
      { path: 'zeros.bin', size: GiB, type: 'binary', omitted: true },
    ]);
    expect(ws.incomplete).toBe(true);
    expect(ruleIds(ws).sort()).toEqual(['workspace/file-too-large', 'workspace/unpacked-size-limit']);
  });

  it('stops the bomb with the default caps too', async () => {
    const started = Date.now();
    const ws = await fetchFile(bomb);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(ws.files.find((f) => f.path === 'zeros.bin')).toMatchObject({ omitted: true });
    expect(ws.files.some((f) => f.path === 'late.js')).toBe(false);
    expect(ws.incomplete).toBe(true);
    expect(ruleIds(ws)).toContain('workspace/unpacked-size-limit');
  });

  it('stops 100,000 tiny files at the default file-count cap', async () => {
    const file = path.join(sandbox, 'many.tgz');
    function* entries(): Generator<StreamEntry> {
      yield MANIFEST;
      for (let i = 0; i < 100_000; i++) yield { path: `package/f/${String(i).padStart(6, '0')}.js`, body: `module.exports=${i};` };
    }
    await writeArchive(file, entries(), { gzip: 6 });
    const ws = await fetchFile(file);
    expect(ws.files).toHaveLength(DEFAULT_WORKSPACE_LIMITS.maxFiles);
    expect(ws.incomplete).toBe(true);
    expect(ruleIds(ws)).toEqual(['workspace/file-count-limit']);
    expect(ws.findings[0]?.message).toContain(`file-count cap of ${DEFAULT_WORKSPACE_LIMITS.maxFiles}`);
    expect((await readdir(path.join(rootOf(ws), 'f'))).length).toBe(DEFAULT_WORKSPACE_LIMITS.maxFiles - 1);
  });

  it('skips one 500 MB file with the default caps and keeps the others', async () => {
    const file = path.join(sandbox, 'large-file.tgz');
    await writeArchive(file, [
      MANIFEST,
      { path: 'package/before.js', body: 'before' },
      { path: 'package/data/huge.bin', zeros: 500_000_000 },
      { path: 'package/after.js', body: 'after' },
    ]);
    const ws = await fetchFile(file);
    expect(ws.files).toEqual([
      { path: 'after.js', size: 5, type: 'javascript' },
      { path: 'before.js', size: 6, type: 'javascript' },
      { path: 'data/huge.bin', size: 500_000_000, type: 'binary', omitted: true },
      { path: 'package.json', size: 32, type: 'json' },
    ]);
    expect(existsSync(path.join(rootOf(ws), 'data', 'huge.bin'))).toBe(false);
    expect(ws.incomplete).toBe(false);
    expect(ruleIds(ws)).toEqual(['workspace/file-too-large']);
    expect(ws.findings[0]?.location?.file).toBe('data/huge.bin');
  });
});
