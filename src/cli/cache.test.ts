import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import { openArchiveCache } from '../fetch/archive-cache.js';
import { cacheSizeOption, registerCache } from './cache.js';
import type { Io } from './io.js';
import { reportError } from './io.js';

interface Run {
  code: ExitCode;
  stdout: string;
  stderr: string;
}

/** The command wired as main.ts wires every command, run in-process. */
async function run(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: Io = { out: (t) => (stdout += t), err: (t) => (stderr += t), interactive: false, color: false };
  let code: ExitCode = EXIT.ok;
  const program = new Command('mcp-assay').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  registerCache(program, io, (c) => (code = c));
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    code = error instanceof CommanderError ? EXIT.usage : reportError(io, error, false);
  }
  return { code, stdout, stderr };
}

let tmp = '';
let dir = '';

beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'assay-cache-cli-'));
  dir = path.join(tmp, 'cache');
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Three 1 KiB archives, used one after another a minute apart. */
async function fill(): Promise<Buffer[]> {
  const cache = await openArchiveCache({ dir });
  const archives = ['a', 'b', 'c'].map((c) => Buffer.alloc(1024, c));
  let when = Date.UTC(2026, 0, 1);
  for (const data of archives) {
    const { path: file } = await cache.put(`sha512-${createHash('sha512').update(data).digest('base64')}`, data);
    when += 60_000;
    await utimes(file ?? '', new Date(when), new Date(when));
  }
  return archives;
}

describe('mcp-assay cache', () => {
  it('shows stats as a table', async () => {
    await fill();
    const r = await run(['cache', 'stats', '--cache-dir', dir]);
    expect(r).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(r.stdout).toContain(`cache dir   ${dir}\n`);
    expect(r.stdout).toContain('archives    3\n');
    expect(r.stdout).toContain('size        3.0 KiB of 2.0 GiB\n');
    expect(r.stdout).toContain('oldest use  2026-01-01T00:01:00.000Z\n');
  });

  it('shows stats as JSON', async () => {
    await fill();
    const r = await run(['cache', 'stats', '--cache-dir', dir, '--format', 'json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ dir, entries: 3, totalBytes: 3072, maxBytes: 2 * 1024 ** 3, tempFiles: 0 });
  });

  it('prunes the least recently used archives down to --max-size', async () => {
    await fill();
    const r = await run(['cache', 'prune', '--cache-dir', dir, '--max-size', '2k']);
    expect(r).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(r.stdout).toBe(`pruned ${dir}: removed 1 archives (1.0 KiB) and 0 stale temp files; 2 archives remain (2.0 KiB of 2.0 KiB)\n`);
    const left = await (await openArchiveCache({ dir })).entries();
    expect(left.map((e) => e.lastUsed).sort()).toEqual([Date.UTC(2026, 0, 1, 0, 2), Date.UTC(2026, 0, 1, 0, 3)]);
  });

  it('leaves a cache under the cap alone', async () => {
    await fill();
    const r = await run(['cache', 'prune', '--cache-dir', dir, '--format', 'json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ removed: 0, remainingEntries: 3, remainingBytes: 3072 });
  });

  it.each([['stats'], ['prune']])('%s on a missing dir reports nothing and creates nothing', async (sub) => {
    const r = await run(['cache', sub, '--cache-dir', dir]);
    expect(r.code).toBe(EXIT.ok);
    expect(existsSync(dir)).toBe(false);
  });

  it.each([['stats'], ['prune']])('%s refuses a cache dir that is a symbolic link', async (sub) => {
    await mkdir(path.join(tmp, 'real'));
    await symlink(path.join(tmp, 'real'), dir);
    const r = await run(['cache', sub, '--cache-dir', dir]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toBe(`mcp-assay: error: cache dir ${dir} is a symbolic link, which is never followed; choose another with --cache-dir\n`);
  });

  it.each([['lots'], ['-1'], ['0'], ['1.5.5G']])('refuses --max-size %s', async (size) => {
    const r = await run(['cache', 'prune', '--cache-dir', dir, '--max-size', size]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain(`--max-size expects a size such as 64MiB, 500k or 1GiB, got "${size}"`);
    expect(existsSync(dir)).toBe(false);
  });

  it('escapes control characters of the dir name', async () => {
    const odd = path.join(tmp, 'bad\u001b[31mname');
    const r = await run(['cache', 'stats', '--cache-dir', odd]);
    expect(r.stdout).not.toContain('\u001b');
  });
});

describe('cacheSizeOption', () => {
  it.each([
    [undefined, 2 * 1024 ** 3],
    ['2GiB', 2 * 1024 ** 3],
    ['500MiB', 500 * 1024 ** 2],
    ['64k', 64 * 1024],
  ])('%s → %d bytes', (text, bytes) => {
    expect(cacheSizeOption(text)).toBe(bytes);
  });
});
