import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AssayError, isAbortError } from '../core/errors.js';
import { DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import type { Target } from '../core/target.js';
import { WorkspaceSchema } from '../core/workspace.js';
import { buildTgz, type TarEntry, writeArchive } from './test-helpers/tar-builder.js';
import { type FetchContext, workspaceFromArchive, workspaceFromDirectory } from './workspace.js';
import { expectAssayError, rootOf } from './test-helpers/expect.js';

const TARGET: Target = { kind: 'npm', spec: 'npm:fixture@1.0.0' };

let sandbox: string;
let tmpDir: string;
let counter = 0;

beforeAll(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 'assay-workspace-'));
});

afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

beforeEach(async () => {
  counter += 1;
  tmpDir = path.join(sandbox, `tmp-${counter}`);
  await mkdir(tmpDir);
});

function ctx(signal: AbortSignal = new AbortController().signal): FetchContext {
  return { limits: DEFAULT_WORKSPACE_LIMITS, signal, tmpDir };
}

function pkg(manifest: string, extra: TarEntry[] = []): Buffer {
  return buildTgz([{ path: 'package/package.json', body: manifest }, { path: 'package/lib/index.js', body: 'module.exports = 1;\n' }, ...extra]);
}

describe('workspaceFromArchive', () => {
  it('makes a read-only workspace that dispose() removes', async () => {
    const made = await workspaceFromArchive(pkg('{"name":"fixture","version":"1.0.0"}'), TARGET, {}, ctx());
    const ws = made.workspace;
    expect(WorkspaceSchema.safeParse(ws).success).toBe(true);
    expect(ws).toMatchObject({ name: 'fixture', version: '1.0.0', target: TARGET, incomplete: false, findings: [] });
    expect(ws.files).toEqual([
      { path: 'lib/index.js', size: 20, type: 'javascript' },
      { path: 'package.json', size: 36, type: 'json' },
    ]);
    expect(ws.totalBytes).toBe(56);
    expect(await readFile(path.join(rootOf(ws), 'lib/index.js'), 'utf8')).toBe('module.exports = 1;\n');
    expect((await stat(path.join(rootOf(ws), 'lib/index.js'))).mode & 0o777).toBe(0o444);
    expect((await stat(path.join(rootOf(ws), 'lib'))).mode & 0o777).toBe(0o555);
    expect((await stat(rootOf(ws))).mode & 0o777).toBe(0o555);
    expect((await stat(path.dirname(rootOf(ws)))).mode & 0o777).toBe(0o555);
    expect(path.dirname(path.dirname(rootOf(ws)))).toBe(tmpDir);

    await made.dispose();
    await made.dispose();
    expect(existsSync(rootOf(ws))).toBe(false);
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('takes identity from the caller before package.json', async () => {
    const identity = { name: 'registry-name', version: '2.0.0', integrity: 'sha512-abc', commit: 'f'.repeat(40) };
    const made = await workspaceFromArchive(pkg('{"name":"fixture","version":"1.0.0"}'), TARGET, identity, ctx());
    expect(made.workspace).toMatchObject(identity);
    await made.dispose();
  });

  it.each([
    ['wrong-typed fields are ignored', '{"name":42,"version":["1"]}', {}],
    ['a byte-order mark is tolerated', '\ufeff{"name":"bom","version":"0.0.1"}', { name: 'bom', version: '0.0.1' }],
    ['other fields do not matter', '{"name":"n","scripts":7}', { name: 'n' }],
  ])('package.json: %s', async (_label, manifest, expected) => {
    const made = await workspaceFromArchive(pkg(manifest), TARGET, {}, ctx());
    expect({ name: made.workspace.name, version: made.workspace.version }).toEqual({ name: undefined, version: undefined, ...expected });
    await made.dispose();
  });

  it.each([
    ['truncated JSON', '{"name": "x",', /^package\.json is not valid JSON: .+/],
    ['not JSON at all', 'name = "x"', /^package\.json is not valid JSON: .+/],
    ['an array', '[1, 2]', /^package\.json is not valid JSON: the top level is an array, not an object$/],
    ['null', 'null', /^package\.json is not valid JSON: the top level is null, not an object$/],
    ['a string', '"fixture"', /^package\.json is not valid JSON: the top level is a string, not an object$/],
  ])('a root package.json that is %s is an error, and the temp dir goes', async (_label, manifest, message) => {
    const error = await expectAssayError(workspaceFromArchive(pkg(manifest), TARGET, { name: 'given' }, ctx()));
    expect(error.category).toBe('invalidInput');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('leaves nothing behind when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(workspaceFromArchive(pkg('{}'), TARGET, {}, ctx(controller.signal))).rejects.toSatisfy(isAbortError);
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('removes the half-made workspace when aborted mid-extraction', async () => {
    // 1 GiB of zeros behind a small file: still draining (over the single-file cap) when the abort lands.
    const file = path.join(sandbox, `abort-${counter}.tgz`);
    await writeArchive(file, [
      { path: 'package/package.json', body: '{"name":"slow"}' },
      { path: 'package/zeros.bin', zeros: 1024 * 1024 * 1024 },
      { path: 'package/late.js', body: 'late' },
    ]);
    const archive = await readFile(file);
    const controller = new AbortController();
    let sawFirstFile = false;
    const poll = setInterval(() => {
      const dirs = readdirSync(tmpDir);
      if (dirs.some((dir) => existsSync(path.join(tmpDir, dir, 'package', 'package.json')))) {
        sawFirstFile = true;
        controller.abort();
      }
    }, 2);
    try {
      await expect(workspaceFromArchive(archive, TARGET, {}, ctx(controller.signal))).rejects.toSatisfy(isAbortError);
    } finally {
      clearInterval(poll);
    }
    expect(sawFirstFile).toBe(true);
    expect(await readdir(tmpDir)).toEqual([]);
  });
});

describe('workspaceFromDirectory', () => {
  it('uses the directory in place and dispose() removes nothing', async () => {
    const dir = path.join(tmpDir, 'project');
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await writeFile(path.join(dir, 'package.json'), '{"name":"local","version":"0.0.0"}');
    await writeFile(path.join(dir, 'src', 'main.ts'), 'export {};\n');
    const made = await workspaceFromDirectory(dir, { kind: 'dir', spec: dir }, { commit: 'a'.repeat(40) }, ctx());
    expect(made.workspace).toMatchObject({ root: await realpath(dir), name: 'local', version: '0.0.0', commit: 'a'.repeat(40), incomplete: false });
    expect(made.workspace.files.map((f) => `${f.path}:${f.type}`)).toEqual(['package.json:json', 'src/main.ts:typescript']);
    await made.dispose();
    expect(existsSync(path.join(dir, 'src', 'main.ts'))).toBe(true);
  });

  it.each([
    ['a missing directory', 'notFound', /^directory not found: /],
    ['a file', 'invalidInput', /^not a directory: /],
    ['an empty directory', 'invalidInput', /^nothing to scan: .* is empty \(no regular files\)$/],
  ])('%s is an error', async (label, category, message) => {
    const target = path.join(tmpDir, 'thing');
    if (label === 'a file') await writeFile(target, 'x');
    if (label === 'an empty directory') await mkdir(target);
    const error = await expectAssayError(workspaceFromDirectory(target, { kind: 'dir', spec: target }, {}, ctx()));
    expect(error.category).toBe(category);
    expect(error.message).toMatch(message);
  });
});
