import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { AssayError, EXIT } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import { formatBytes, parseSize } from '../core/limits.js';
import { escapeTerminal } from '../core/text.js';
import { DEFAULT_CACHE_MAX_BYTES, openArchiveCache } from '../fetch/archive-cache.js';
import type { CacheStats, PruneResult } from '../fetch/archive-cache.js';
import type { Io } from './io.js';
import { parseFormat } from './options.js';

interface CacheFlags {
  cacheDir?: string;
  maxSize?: string;
  format: string;
}

/** data/cache beside the installed project, as DESIGN.md lays out; `--cache-dir` or MCP_ASSAY_CACHE_DIR move it. */
export function defaultCacheDir(): string {
  if (process.env.MCP_ASSAY_CACHE_DIR) return path.resolve(process.env.MCP_ASSAY_CACHE_DIR);
  return fileURLToPath(new URL('../../data/cache', import.meta.url));
}

/** Same wording as the other size flags (options.ts). */
export function cacheSizeOption(value: string | undefined): number {
  if (value === undefined) return DEFAULT_CACHE_MAX_BYTES;
  const parsed = parseSize(value);
  if (parsed === undefined) throw new AssayError('usage', `--max-size expects a size such as 64MiB, 500k or 1GiB, got "${value}"`);
  return parsed;
}

/** Missing is not an error for stats or prune, and must not create the dir; a dangling link still is. */
async function exists(dir: string): Promise<boolean> {
  try {
    await lstat(dir);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function isoOrDash(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString();
}

function statsTable(stats: CacheStats): string {
  const rows: [string, string][] = [
    ['cache dir', escapeTerminal(stats.dir)],
    ['archives', String(stats.entries)],
    ['size', `${formatBytes(stats.totalBytes)} of ${formatBytes(stats.maxBytes)}`],
    ['oldest use', isoOrDash(stats.oldestUse)],
    ['newest use', isoOrDash(stats.newestUse)],
    ['temp files', String(stats.tempFiles)],
  ];
  return rows.map(([label, value]) => `${label.padEnd(11)} ${value}\n`).join('');
}

function pruneLine(dir: string, result: PruneResult, maxBytes: number): string {
  return (
    `pruned ${escapeTerminal(dir)}: removed ${result.removed} archives (${formatBytes(result.freedBytes)}) and ` +
    `${result.staleTempFiles} stale temp files; ${result.remainingEntries} archives remain ` +
    `(${formatBytes(result.remainingBytes)} of ${formatBytes(maxBytes)})\n`
  );
}

function emptyStats(dir: string, maxBytes: number): CacheStats {
  return { dir, entries: 0, totalBytes: 0, maxBytes, tempFiles: 0 };
}

async function stats(flags: CacheFlags, io: Io): Promise<ExitCode> {
  const format = parseFormat(flags.format);
  const maxBytes = cacheSizeOption(flags.maxSize);
  const dir = path.resolve(flags.cacheDir ?? defaultCacheDir());
  const result = (await exists(dir)) ? await (await openArchiveCache({ dir, maxBytes })).stats() : emptyStats(dir, maxBytes);
  io.out(format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : statsTable(result));
  return EXIT.ok;
}

async function prune(flags: CacheFlags, io: Io): Promise<ExitCode> {
  const format = parseFormat(flags.format);
  const maxBytes = cacheSizeOption(flags.maxSize);
  const dir = path.resolve(flags.cacheDir ?? defaultCacheDir());
  const result: PruneResult = (await exists(dir))
    ? await (await openArchiveCache({ dir, maxBytes })).prune({ maxBytes })
    : { removed: 0, freedBytes: 0, staleTempFiles: 0, remainingEntries: 0, remainingBytes: 0 };
  io.out(format === 'json' ? `${JSON.stringify({ dir, maxBytes, ...result }, null, 2)}\n` : pruneLine(dir, result, maxBytes));
  return EXIT.ok;
}

function withCommonOptions(command: Command): Command {
  return command
    .option('--cache-dir <dir>', 'archive cache to use (default data/cache, or MCP_ASSAY_CACHE_DIR)')
    .option('--max-size <size>', 'size cap of the cache, e.g. 500MiB or 2GiB', '2GiB')
    .option('--format <format>', 'table or json', 'table');
}

export function registerCache(program: Command, io: Io, setExit: (code: ExitCode) => void): void {
  const cache = program.command('cache').description('inspect or shrink the cache of downloaded package archives');
  withCommonOptions(
    cache.command('prune').description('remove the least recently used archives until the cache is under --max-size, and stale temp files'),
  ).action(async (flags: CacheFlags) => {
    setExit(await prune(flags, io));
  });
  withCommonOptions(cache.command('stats').description('show how many archives the cache holds and their size')).action(async (flags: CacheFlags) => {
    setExit(await stats(flags, io));
  });
}
