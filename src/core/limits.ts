import { z } from 'zod';

/** Caps applied while a workspace is made. Every one can be changed by a CLI flag (docs/limits.md). */
export const WorkspaceLimitsSchema = z.object({
  /** Bytes of the archive as downloaded or read (compressed). */
  maxArchiveBytes: z.number().int().positive(),
  /** Bytes after decompression, across all entries, including refused ones. */
  maxUnpackedBytes: z.number().int().positive(),
  /** Regular files kept in the workspace. */
  maxFiles: z.number().int().positive(),
  /** Bytes of one file; a larger one is left out and reported. */
  maxFileBytes: z.number().int().positive(),
});
export type WorkspaceLimits = z.infer<typeof WorkspaceLimitsSchema>;

const MiB = 1024 * 1024;

export const DEFAULT_WORKSPACE_LIMITS: WorkspaceLimits = Object.freeze({
  maxArchiveBytes: 200 * MiB,
  maxUnpackedBytes: 1024 * MiB,
  maxFiles: 20_000,
  maxFileBytes: 64 * MiB,
});

/** Caps for the analyzers reading the workspace. */
export interface AnalyzerLimits {
  /** Bytes of one file an analyzer will read as text. */
  maxTextBytes: number;
  /** Wall-clock budget for one analyzer on one workspace. */
  timeoutMs: number;
  /**
   * Most tokens (estimated) in one script the code and tools analyzers parse; MAX_PARSE_TOKENS when unset.
   * A harvest lowers it to what an analysis thread's heap surely holds when it retries a package that ran a
   * thread out of heap.
   */
  maxParseTokens?: number | undefined;
}

export const DEFAULT_ANALYZER_LIMITS: AnalyzerLimits = Object.freeze({
  maxTextBytes: 16 * MiB,
  timeoutMs: 60_000,
});

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i;
const UNIT: Record<string, number> = { b: 1, k: 1024, kb: 1024, kib: 1024, m: MiB, mb: MiB, mib: MiB, g: 1024 * MiB, gb: 1024 * MiB, gib: 1024 * MiB };

/** Parses `512`, `64k`, `100MB`, `1GiB` (binary units). Returns undefined when the text is not a size. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  const unit = UNIT[(m[2] ?? 'b').toLowerCase()];
  if (unit === undefined) return undefined;
  const value = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
