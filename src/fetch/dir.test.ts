import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, realpath, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssayError } from '../core/errors.js';
import { DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import { fetchDirectory } from './dir.js';
import { buildTgz } from './test-helpers/tar-builder.js';
import type { FetchContext } from './workspace.js';

let sandbox: string;
let tmpDir: string;

beforeAll(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 'assay-dir-'));
  tmpDir = path.join(sandbox, 'tmp');
  await mkdir(tmpDir);
});

afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

function ctx(): FetchContext {
  return { limits: DEFAULT_WORKSPACE_LIMITS, signal: new AbortController().signal, tmpDir };
}

async function failure(spec: string): Promise<AssayError> {
  try {
    await fetchDirectory({ kind: 'dir', spec }, ctx());
  } catch (error) {
    expect(error).toBeInstanceOf(AssayError);
    return error as AssayError;
  }
  throw new Error('expected a failure');
}

describe('fetchDirectory', () => {
  it('walks a project in place: links not followed, node_modules skipped', async () => {
    const dir = path.join(sandbox, 'project');
    await mkdir(path.join(dir, 'node_modules', 'dep'), { recursive: true });
    await writeFile(path.join(dir, 'package.json'), '{"name":"my-server","version":"3.1.0"}');
    await writeFile(path.join(dir, 'server.js'), 'console.log(1)');
    await writeFile(path.join(dir, 'node_modules', 'dep', 'index.js'), 'x');
    await symlink('/etc', path.join(dir, 'etc'));
    const made = await fetchDirectory({ kind: 'dir', spec: dir }, ctx());
    const ws = made.workspace;
    expect(ws).toMatchObject({ root: await realpath(dir), name: 'my-server', version: '3.1.0', incomplete: false });
    expect(ws.files.map((f) => f.path)).toEqual(['package.json', 'server.js']);
    expect(ws.findings.map((f) => `${f.ruleId} ${f.location?.file}`)).toEqual(['workspace/link-entry etc']);
    await made.dispose();
    expect(await readFile(path.join(dir, 'server.js'), 'utf8')).toBe('console.log(1)');
  });

  it('extracts a .tgz given as a directory target, with its integrity', async () => {
    const archive = buildTgz([{ path: 'package/package.json', body: '{"name":"packed"}' }]);
    const file = path.join(sandbox, 'packed.tgz');
    await writeFile(file, archive);
    const made = await fetchDirectory({ kind: 'dir', spec: file }, ctx());
    expect(made.workspace.name).toBe('packed');
    expect(made.workspace.integrity).toBe(`sha512-${createHash('sha512').update(archive).digest('base64')}`);
    await made.dispose();
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it.each([
    ['a missing path', 'notFound', /^directory not found: /, async () => path.join(sandbox, 'missing')],
    ['a path through a file', 'notFound', /^directory not found: /, async () => path.join(sandbox, 'plain.txt', 'sub')],
    ['a file that is not an archive', 'invalidInput', /is a file that is not a \.tgz\/\.tar archive$/, async () => path.join(sandbox, 'plain.txt')],
    ['an empty directory', 'invalidInput', /^nothing to scan: .*empty is empty/, async () => {
      const empty = path.join(sandbox, 'empty');
      await mkdir(path.join(empty, 'node_modules', 'only'), { recursive: true });
      await writeFile(path.join(empty, 'node_modules', 'only', 'x.js'), 'x');
      return empty;
    }],
    ['a directory with a broken package.json', 'invalidInput', /^package\.json is not valid JSON: /, async () => {
      const broken = path.join(sandbox, 'broken');
      await mkdir(broken, { recursive: true });
      await writeFile(path.join(broken, 'package.json'), '{"name": ');
      return broken;
    }],
  ])('%s → %s', async (_label, category, message, make) => {
    await writeFile(path.join(sandbox, 'plain.txt'), 'just text, long enough to sniff? no.');
    const error = await failure(await make());
    expect(error.category).toBe(category);
    expect(error.message).toMatch(message);
    expect(await readdir(tmpDir)).toEqual([]);
  });
});
