import { createHash } from 'node:crypto';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../core/workspace.js';
import { hashExecutables, sha256Of } from './hash.js';

const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(57)]);
let root: string;
let outside: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'assay-hash-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'assay-hash-out-'));
  await writeFile(path.join(root, 'addon.node'), ELF);
  await writeFile(path.join(outside, 'secret'), 'not yours');
  await symlink(path.join(outside, 'secret'), path.join(root, 'link.node'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const signal = new AbortController().signal;

describe('hashExecutables', () => {
  it('hashes executables found by content and skips other and omitted files', async () => {
    const workspace: Workspace = {
      root,
      target: { kind: 'dir', spec: root },
      files: [
        { path: 'addon.node', size: ELF.length, type: 'elf' },
        { path: 'README.md', size: 1, type: 'markdown' },
        { path: 'huge.bin', size: 1e9, type: 'pe', omitted: true },
      ],
      totalBytes: ELF.length,
      findings: [],
      incomplete: false,
    };
    const hashes = await hashExecutables(workspace, signal);
    expect([...hashes]).toEqual([['addon.node', createHash('sha256').update(ELF).digest('hex')]]);
  });

  it.each([
    ['a link', 'link.node', /ELOOP|symbolic link/],
    ['a path out of the root', '../escape.node', /outside the workspace/],
  ])('refuses %s', async (_name, relative, error) => {
    await expect(sha256Of(root, relative, signal)).rejects.toThrow(error);
  });
});
