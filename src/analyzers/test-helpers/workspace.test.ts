import { access } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { guessFileType, makeTestWorkspace } from './workspace.js';
import { rootOf } from '../../fetch/test-helpers/expect.js';

describe('makeTestWorkspace', () => {
  it('writes the files and lists them with sizes and rough types', async () => {
    const { ctx, cleanup } = await makeTestWorkspace({
      'package.json': '{"name": "demo", "version": "1.0.0"}',
      'src/index.ts': 'export {}',
      'bin/tool': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1]),
      'docker/Dockerfile': 'FROM x',
    });
    try {
      expect(ctx.workspace.files).toEqual([
        { path: 'bin/tool', size: 6, type: 'binary' },
        { path: 'docker/Dockerfile', size: 6, type: 'dockerfile' },
        { path: 'package.json', size: 36, type: 'json' },
        { path: 'src/index.ts', size: 9, type: 'typescript' },
      ]);
      expect(ctx.workspace).toMatchObject({ name: 'demo', version: '1.0.0', totalBytes: 57, incomplete: false, findings: [] });
      expect(ctx.workspace.target).toEqual({ kind: 'dir', spec: rootOf(ctx.workspace) });
      expect(ctx.signal.aborted).toBe(false);
      const file = ctx.workspace.files.find((f) => f.path === 'src/index.ts');
      if (!file) throw new Error('missing file');
      expect(await ctx.reader.readText(file)).toBe('export {}');
    } finally {
      await cleanup();
    }
    await expect(access(rootOf(ctx.workspace))).rejects.toThrow();
  });

  it('takes a target kind, limits and a signal', async () => {
    const controller = new AbortController();
    const { ctx, cleanup } = await makeTestWorkspace({ 'a.txt': 'x'.repeat(100) }, { targetKind: 'npm', limits: { maxTextBytes: 10, timeoutMs: 1000 }, signal: controller.signal });
    try {
      expect(ctx.workspace.target.kind).toBe('npm');
      expect(ctx.signal).toBe(controller.signal);
      const [file] = ctx.workspace.files;
      if (!file) throw new Error('missing file');
      await expect(ctx.reader.readText(file)).rejects.toThrow(/cap/);
    } finally {
      await cleanup();
    }
  });

  it.each([['../escape.txt'], ['/abs.txt'], ['a/../../b'], ['./a'], ['']])('refuses the path %j', async (file) => {
    await expect(makeTestWorkspace({ [file]: 'x' })).rejects.toThrow(/relative/);
  });

  it('keeps the workspace inside the temp dir', async () => {
    const { ctx, cleanup } = await makeTestWorkspace({ 'a.txt': 'x' });
    try {
      expect(path.basename(rootOf(ctx.workspace))).toMatch(/^assay-test-ws-/);
    } finally {
      await cleanup();
    }
  });
});

describe('guessFileType', () => {
  it.each([
    ['a.js', 'x', 'javascript'],
    ['a.mjs', 'x', 'javascript'],
    ['a.json', '{}', 'json'],
    ['Containerfile', 'FROM x', 'dockerfile'],
    ['app.dockerfile', 'FROM x', 'dockerfile'],
    ['notes', 'plain words', 'text'],
    ['blob', Buffer.from([1, 0, 2]), 'binary'],
  ])('%s is %s', (file, content, type) => {
    expect(guessFileType(file, content)).toBe(type);
  });
});
