import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import type { Target } from '../core/target.js';
import type { Workspace } from '../core/workspace.js';
import { fetchWorkspace } from './index.js';
import type { FetchWorkspaceOptions } from './index.js';
import { makeBareRepo } from './test-helpers/git-repo.js';
import { buildPackageTarball, sha512Integrity, startRegistryServer } from './test-helpers/registry-server.js';
import type { FakeRegistry } from './test-helpers/registry-server.js';

let tmp = '';
let registry: FakeRegistry;
let tarballFile = '';
let dir = '';
let repoUrl = '';
let commit = '';
let npmIntegrity = '';

const PKG = (version: string): string => JSON.stringify({ name: 'dispatch-demo', version });

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'assay-dispatch-'));
  const npmTarball = await buildPackageTarball({ 'package.json': PKG('3.0.0'), 'index.js': '' });
  npmIntegrity = sha512Integrity(npmTarball);
  registry = await startRegistryServer({ 'dispatch-demo': { distTags: { latest: '3.0.0' }, versions: { '3.0.0': { tarball: npmTarball } } } });
  tarballFile = path.join(tmp, 'dispatch-demo-2.0.0.tgz');
  await writeFile(tarballFile, await buildPackageTarball({ 'package.json': PKG('2.0.0'), 'index.js': '' }));
  dir = path.join(tmp, 'dir');
  await mkdir(dir);
  await writeFile(path.join(dir, 'package.json'), PKG('1.0.0'));
  const repo = makeBareRepo(tmp, 'dispatch', [{ files: { 'package.json': PKG('4.0.0') } }]);
  repoUrl = repo.url;
  commit = repo.commits[0] ?? '';
});

afterAll(async () => {
  await registry.close();
  await rm(tmp, { recursive: true, force: true });
});

function options(): FetchWorkspaceOptions {
  return { limits: DEFAULT_WORKSPACE_LIMITS, signal: AbortSignal.timeout(30_000), tmpDir: tmp, registry: registry.url, cacheDir: path.join(tmp, 'cache'), retries: 0 };
}

describe('fetchWorkspace', () => {
  const cases: [string, () => Target, (ws: Workspace) => void][] = [
    ['npm', () => ({ kind: 'npm', spec: 'npm:dispatch-demo@3.0.0', name: 'dispatch-demo' }), (ws) => {
      expect(ws.version).toBe('3.0.0');
      expect(ws.integrity).toBe(npmIntegrity);
    }],
    ['git', () => ({ kind: 'git', spec: repoUrl }), (ws) => {
      expect(ws.commit).toBe(commit);
      expect(ws.version).toBe('4.0.0');
    }],
    ['tarball', () => ({ kind: 'tarball', spec: tarballFile }), (ws) => expect(ws.version).toBe('2.0.0')],
    ['dir', () => ({ kind: 'dir', spec: dir }), (ws) => expect(ws.version).toBe('1.0.0')],
  ];
  it.each(cases)('dispatches a %s target', async (kind, target, check) => {
    const made = await fetchWorkspace(target(), options());
    try {
      expect(made.workspace.target.kind).toBe(kind);
      expect(made.workspace.files.some((f) => f.path === 'package.json')).toBe(true);
      check(made.workspace);
    } finally {
      await made.dispose();
    }
  });

  it('refuses an unknown kind', async () => {
    await expect(fetchWorkspace({ kind: 'ftp', spec: 'x' } as unknown as Target, options())).rejects.toMatchObject({ category: 'usage' });
  });
});
