import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKSPACE_LIMITS, type WorkspaceLimits } from '../core/limits.js';
import type { Target } from '../core/target.js';
import type { Workspace } from '../core/workspace.js';
import { contentsMismatch } from '../core/workspace.js';
import { MemoryBudget } from './memory.js';
import { buildTar, buildTgz, type TarEntry, TYPE } from './test-helpers/tar-builder.js';
import { type FetchContext, type MadeWorkspace, workspaceFromArchive } from './workspace.js';

const TARGET: Target = { kind: 'tarball', spec: 'fixture.tgz' };
const MANIFEST: TarEntry = { path: 'package/package.json', body: '{"name":"fixture","version":"1.0.0"}' };
const MiB = 1024 * 1024;

function ctx(memory: MemoryBudget | undefined, limits: Partial<WorkspaceLimits> = {}, signal = new AbortController().signal): FetchContext {
  return { limits: { ...DEFAULT_WORKSPACE_LIMITS, ...limits }, signal, tmpDir: os.tmpdir(), ...(memory !== undefined ? { memory } : {}) };
}

/** Everything the two paths must agree on: the listing, findings and identity (not where the files are). */
function shape(workspace: Workspace): unknown {
  const { root: _root, ...rest } = workspace;
  return rest;
}

/** The bytes of every kept file, read from wherever the workspace is. */
async function bytesOf(made: MadeWorkspace): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of made.workspace.files) {
    if (file.omitted === true) continue;
    const bytes = made.contents?.get(file.path) ?? (await readFile(path.join(made.workspace.root ?? '', file.path)));
    out[file.path] = Buffer.from(bytes).toString('base64');
  }
  return out;
}

async function outcome(archive: Buffer, memory: MemoryBudget | undefined, limits: Partial<WorkspaceLimits>): Promise<{ shape: unknown; bytes: Record<string, string>; inMemory: boolean } | { error: string }> {
  let made: MadeWorkspace | undefined;
  try {
    made = await workspaceFromArchive(archive, TARGET, {}, ctx(memory, limits));
    return { shape: shape(made.workspace), bytes: await bytesOf(made), inMemory: made.contents !== undefined };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  } finally {
    await made?.dispose();
  }
}

// Each archive is a reconstruction of a hostile-input case the disk path has its own test for (extract.test.ts).
const HOSTILE: [string, Buffer, Partial<WorkspaceLimits>][] = [
  ['traversal, absolute and backslash names', buildTgz([MANIFEST, { path: 'package/../../evil.js', body: 'x' }, { path: '/etc/evil', body: 'x' }, { path: 'package\\..\\win', body: 'x' }, { path: 'package/ok.js', body: 'ok' }]), {}],
  ['symbolic and hard links, a device and a fifo', buildTgz([MANIFEST, { path: 'package/l', type: TYPE.symlink, linkpath: '/etc/passwd' }, { path: 'package/h', type: TYPE.hardLink, linkpath: 'package/package.json' }, { path: 'package/dev', type: TYPE.charDevice }, { path: 'package/pipe', type: TYPE.fifo }]), {}],
  ['a file written "through" a refused link', buildTgz([MANIFEST, { path: 'package/dir', type: TYPE.symlink, linkpath: '/tmp' }, { path: 'package/dir/x.js', body: 'through' }]), {}],
  ['a duplicated file (the last copy wins)', buildTgz([MANIFEST, { path: 'package/a.js', body: 'first' }, { path: 'package/a.js', body: 'second, longer' }]), {}],
  ['a file where a directory was and the other way round', buildTgz([MANIFEST, { path: 'package/d/x.js', body: 'x' }, { path: 'package/d', body: 'file now' }, { path: 'package/f', body: 'f' }, { path: 'package/f/y.js', body: 'y' }]), {}],
  ['no shared top folder', buildTgz([{ path: 'package.json', body: '{"name":"flat"}' }, { path: 'lib/a.js', body: 'a' }]), {}],
  ['binary and bidi-named files', buildTgz([MANIFEST, { path: 'package/bin/tool', body: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0xff, 0xfe]) }, { path: 'package/\u202Egnp.js', body: 'x' }]), {}],
  ['the file-count cap', buildTgz([MANIFEST, ...Array.from({ length: 6 }, (_v, i) => ({ path: `package/f${i}.js`, body: `${i}` }))]), { maxFiles: 3 }],
  ['the single-file cap', buildTgz([MANIFEST, { path: 'package/big.js', body: 'x'.repeat(5000) }, { path: 'package/small.js', body: 'y' }]), { maxFileBytes: 1000 }],
  ['the unpacked-size cap (a bomb)', buildTgz([MANIFEST, { path: 'package/zeros.bin', body: Buffer.alloc(2 * MiB) }, { path: 'package/after.js', body: 'z' }]), { maxUnpackedBytes: MiB }],
  ['a plain tar', buildTar([MANIFEST, { path: 'package/a.js', body: 'a' }]), {}],
  ['compressed twice', gzipSync(buildTgz([MANIFEST])), {}],
  ['a truncated body', buildTgz([MANIFEST, { path: 'package/short.js', body: 'abc', size: 4096 }]), {}],
  ['not an archive', Buffer.from('just text, no archive here at all'.repeat(20)), {}],
  ['an archive of links only', buildTgz([{ path: 'package/l', type: TYPE.symlink, linkpath: 'x' }]), {}],
  ['malformed package.json', buildTgz([{ path: 'package/package.json', body: '{"name": "x",' }]), {}],
];

describe('workspaces in memory', () => {
  it.each(HOSTILE)('%s: the same workspace and bytes as on disk, and the budget given back', async (_label, archive, limits) => {
    const budget = new MemoryBudget(64 * MiB);
    const [onDisk, inMemory] = [await outcome(archive, undefined, limits), await outcome(archive, budget, limits)];
    if ('error' in onDisk) {
      expect(inMemory).toEqual(onDisk);
    } else {
      expect(inMemory).toEqual({ ...onDisk, inMemory: true });
      expect(onDisk.inMemory).toBe(false);
    }
    expect(budget.usedBytes).toBe(0);
  });

  it('holds its bytes until disposed, with no root and contents that match the listing', async () => {
    const budget = new MemoryBudget(64 * MiB);
    const made = await workspaceFromArchive(buildTgz([MANIFEST, { path: 'package/a.js', body: 'abc' }]), TARGET, {}, ctx(budget));
    expect(made.workspace.root).toBeUndefined();
    expect(made.workspace.name).toBe('fixture');
    expect(made.contents && contentsMismatch(made.workspace, made.contents)).toBeUndefined();
    expect(budget.usedBytes).toBe(36 + 3);
    await made.dispose();
    await made.dispose();
    expect(budget.usedBytes).toBe(0);
  });

  it('unpacks to disk a package the budget cannot hold, and one that arrives while the budget is taken', async () => {
    const archive = buildTgz([MANIFEST, { path: 'package/big.js', body: 'x'.repeat(4096) }]);
    const small = new MemoryBudget(1024);
    const tooBig = await workspaceFromArchive(archive, TARGET, {}, ctx(small));
    expect(tooBig.contents).toBeUndefined();
    expect(tooBig.workspace.root).toBeDefined();
    expect(small.usedBytes).toBe(0);
    await tooBig.dispose();

    const shared = new MemoryBudget(6000);
    const first = await workspaceFromArchive(archive, TARGET, {}, ctx(shared));
    const second = await workspaceFromArchive(archive, TARGET, {}, ctx(shared));
    expect([first.contents !== undefined, second.contents !== undefined]).toEqual([true, false]);
    await Promise.all([first.dispose(), second.dispose()]);
    expect(shared.usedBytes).toBe(0);
  });

  it('gives the budget back when aborted', async () => {
    const budget = new MemoryBudget(64 * MiB);
    const controller = new AbortController();
    controller.abort(new DOMException('stop', 'AbortError'));
    await expect(workspaceFromArchive(buildTgz([MANIFEST]), TARGET, {}, ctx(budget, {}, controller.signal))).rejects.toThrow(/stop/);
    expect(budget.usedBytes).toBe(0);
  });
});

describe('MemoryBudget', () => {
  it('reserves up to its size and never goes below zero', () => {
    const budget = new MemoryBudget(10);
    expect([budget.tryReserve(6), budget.tryReserve(5), budget.tryReserve(4)]).toEqual([true, false, true]);
    budget.release(20);
    expect(budget.usedBytes).toBe(0);
  });
});
