import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAbortError } from '../core/errors.js';
import { DEFAULT_WORKSPACE_LIMITS, type WorkspaceLimits } from '../core/limits.js';
import { walkDirectory } from './walk.js';

let sandbox: string;
let counter = 0;

beforeAll(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 'assay-walk-'));
});

afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

/** Writes a tree from `{ 'a/b.js': 'content' }`. */
async function tree(files: Record<string, string | Buffer>): Promise<string> {
  counter += 1;
  const root = path.join(sandbox, `tree-${counter}`);
  await mkdir(root);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), content);
  }
  return root;
}

function walk(root: string, limits: Partial<WorkspaceLimits> = {}, signal = new AbortController().signal) {
  return walkDirectory(root, { ...DEFAULT_WORKSPACE_LIMITS, ...limits }, signal);
}

describe('walkDirectory', () => {
  it('lists regular files sorted, with POSIX paths, sizes and types', async () => {
    const root = await tree({ 'z.js': 'z', 'b/c.ts': 'cc', 'a.json': '{}', 'b/a/deep.md': '# x', 'B.txt': 'upper' });
    const result = await walk(root);
    expect(result.files).toEqual([
      { path: 'B.txt', size: 5, type: 'text' },
      { path: 'a.json', size: 2, type: 'json' },
      { path: 'b/a/deep.md', size: 3, type: 'markdown' },
      { path: 'b/c.ts', size: 2, type: 'typescript' },
      { path: 'z.js', size: 1, type: 'javascript' },
    ]);
    expect(result).toMatchObject({ totalBytes: 13, findings: [], incomplete: false, refused: 0 });
  });

  it('never follows symbolic links, and reports each one', async () => {
    const outside = await tree({ 'secret.txt': 'top secret', 'more/key.pem': 'k' });
    const root = await tree({ 'index.js': 'i' });
    await symlink(outside, path.join(root, 'dir-link'));
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'file-link.js'));
    await symlink('does-not-exist', path.join(root, 'broken'));
    const result = await walk(root);
    expect(result.files.map((f) => f.path)).toEqual(['index.js']);
    const links = result.findings.filter((f) => f.ruleId === 'workspace/link-entry');
    expect(links.map((f) => f.location?.file)).toEqual(['broken', 'dir-link', 'file-link.js']);
    expect(links[1]?.evidence).toBe(`dir-link -> ${outside}`);
    expect(links.every((f) => f.severity === 'low')).toBe(true);
    expect(result.refused).toBe(3);
  });

  it('skips node_modules and .git at any depth', async () => {
    const root = await tree({
      'index.js': 'i',
      'node_modules/dep/index.js': 'd',
      '.git/config': '[core]',
      'packages/a/node_modules/x/y.js': 'y',
      'packages/a/src/.git/HEAD': 'ref',
      'packages/a/src/ok.js': 'ok',
      'docs/node_modules.md': 'a file, not the folder',
    });
    const result = await walk(root);
    expect(result.files.map((f) => f.path)).toEqual(['docs/node_modules.md', 'index.js', 'packages/a/src/ok.js']);
    expect(result.findings).toEqual([]);
  });

  it('reports sockets and FIFOs without reading them', async () => {
    const root = await tree({ 'index.js': 'i' });
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(path.join(root, 'sock'), resolve));
    try {
      const result = await walk(root);
      expect(result.files.map((f) => f.path)).toEqual(['index.js']);
      const special = result.findings.filter((f) => f.ruleId === 'workspace/special-entry');
      expect(special.map((f) => f.evidence)).toEqual(['FIFO pipe', 'socket sock']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('stops at maxFiles with a finding', async () => {
    const root = await tree(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}.js`, `${i}`])));
    const result = await walk(root, { maxFiles: 3 });
    expect(result.files.map((f) => f.path)).toEqual(['f0.js', 'f1.js', 'f2.js']);
    expect(result.incomplete).toBe(true);
    expect(result.findings.map((f) => f.ruleId)).toEqual(['workspace/file-count-limit']);
    expect(result.findings[0]?.message).toContain('--max-files');
  });

  it('lists a file over maxFileBytes as omitted, still typed', async () => {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(5000)]);
    const root = await tree({ 'big.node': elf, 'a.js': 'a' });
    const result = await walk(root, { maxFileBytes: 1000 });
    expect(result.files).toEqual([
      { path: 'a.js', size: 1, type: 'javascript' },
      { path: 'big.node', size: 5004, type: 'elf', omitted: true },
    ]);
    expect(result.totalBytes).toBe(1);
    expect(result.incomplete).toBe(false);
    expect(result.findings.map((f) => f.ruleId)).toEqual(['workspace/file-too-large']);
  });

  it('stops at maxUnpackedBytes with a finding', async () => {
    const root = await tree({ 'a.bin': Buffer.alloc(600), 'b.bin': Buffer.alloc(600), 'c.bin': Buffer.alloc(600) });
    const result = await walk(root, { maxUnpackedBytes: 1500 });
    expect(result.files.map((f) => f.path)).toEqual(['a.bin', 'b.bin']);
    expect(result.incomplete).toBe(true);
    expect(result.findings.map((f) => f.ruleId)).toEqual(['workspace/unpacked-size-limit']);
  });

  it('honours an aborted signal', async () => {
    const root = await tree({ 'a.js': 'a' });
    const controller = new AbortController();
    controller.abort();
    await expect(walk(root, {}, controller.signal)).rejects.toSatisfy(isAbortError);
  });
});
