import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFileSource } from './list-file.js';
import type { SourceOptions } from './source.js';
import { drain } from './test-helpers/json-server.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'assay-list-'));
  await mkdir(path.join(dir, 'local-server'));
  await writeFile(path.join(dir, 'pkg.tgz'), 'not really a tarball');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(extra: Partial<SourceOptions> = {}): SourceOptions & { warnings: string[] } {
  const warnings: string[] = [];
  return { signal: new AbortController().signal, onWarning: (m) => warnings.push(m), warnings, ...extra };
}

async function list(name: string, content: string | Buffer): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

describe('listFileSource', () => {
  it('reads every kind scan accepts, skips comments and blanks, and warns on bad lines with their number', async () => {
    const file = await list('mixed.txt', [
      '# servers to look at',
      '',
      'npm:some-server@1.2.3',
      '  npm:@scope/other  ',
      'https://git.example.invalid/o/r.git#main',
      'local-server',
      './pkg.tgz',
      'npm:some-server@1.2.3',
      'ext::sh -c evil',
      'npm:git+https://h.invalid/x',
      '../does-not-exist',
      'ftp://h.invalid/x',
      `npm:x\u001b[31m\u202e`,
      'x'.repeat(5000),
      '\tnpm:last-no-newline',
    ].join('\r\n'));
    const opts = options();
    const { items, end } = await drain(listFileSource({ path: file }).list(opts));
    expect(items.map((i) => i.key)).toEqual([
      'npm:some-server@1.2.3',
      'npm:@scope/other@latest',
      'git:https://git.example.invalid/o/r.git#main',
      `dir:${path.join(dir, 'local-server')}`,
      `tarball:${path.join(dir, 'pkg.tgz')}`,
      'npm:last-no-newline@latest',
    ]);
    expect(items.every((i) => i.origin === 'list')).toBe(true);
    expect(end).toEqual({ status: 'complete', pages: 15, items: 6 });
    expect(opts.warnings.map((w) => /^list line (\d+):/.exec(w)?.[1])).toEqual(['9', '10', '11', '12', '13', '14']);
    for (const w of opts.warnings) {
      expect(w).not.toMatch(/[\u001b\u202e]/);
      expect(w.length).toBeLessThan(800);
    }
  });

  it('fails with a reason when the list is missing or a directory', async () => {
    const missing = await drain(listFileSource({ path: path.join(dir, 'nope.txt') }).list(options()));
    expect(missing.end).toMatchObject({ status: 'failed', items: 0 });
    expect(missing.end.reason).toMatch(/cannot read list/);
    const directory = await drain(listFileSource({ path: dir }).list(options()));
    expect(directory.end).toMatchObject({ status: 'failed' });
  });

  it('reads only up to the byte cap and ends truncated, dropping the cut line', async () => {
    const file = await list('big.txt', 'npm:aaaa\nnpm:bbbb\nnpm:cccccccccccc\n');
    const { items, end } = await drain(listFileSource({ path: file, maxBytes: 24 }).list(options()));
    expect(items.map((i) => i.key)).toEqual(['npm:aaaa@latest', 'npm:bbbb@latest']);
    expect(end.status).toBe('truncated');
    expect(end.reason).toMatch(/larger than 24 bytes/);
  });

  it('ends truncated at the line cap', async () => {
    const file = await list('many.txt', Array.from({ length: 50 }, (_, i) => `# comment ${i}`).join('\n'));
    const { end } = await drain(listFileSource({ path: file, maxLines: 10 }).list(options()));
    expect(end).toMatchObject({ status: 'truncated', pages: 10 });
  });

  it('stops at limit and on abort', async () => {
    const file = await list('three.txt', 'npm:a\nnpm:b\nnpm:c\n');
    const limited = await drain(listFileSource({ path: file }).list(options({ limit: 2 })));
    expect(limited.end).toMatchObject({ status: 'limit', items: 2 });
    const controller = new AbortController();
    const gen = listFileSource({ path: file }).list(options({ signal: controller.signal }));
    await gen.next();
    controller.abort();
    expect((await drain(gen)).end.status).toBe('aborted');
  });

  it('survives a binary file as warnings, not a crash', async () => {
    const file = await list('binary.bin', Buffer.from([0, 1, 2, 255, 254, 10, 0x1b, 0x5b, 0x32, 0x4a, 10]));
    const opts = options();
    const { items, end } = await drain(listFileSource({ path: file }).list(opts));
    expect(items).toEqual([]);
    expect(end.status).toBe('complete');
    expect(opts.warnings).toHaveLength(2);
  });
});
