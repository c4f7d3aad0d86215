import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssayError } from '../core/errors.js';
import type { AnalyzerLimits, WorkspaceLimits } from '../core/limits.js';
import { DEFAULT_ANALYZER_LIMITS, DEFAULT_WORKSPACE_LIMITS, parseSize } from '../core/limits.js';
import type { Verdict } from '../core/score.js';

export const FORMATS = ['table', 'json'] as const;
export type Format = (typeof FORMATS)[number];

/** data/ beside the installed project, as DESIGN.md lays out; `--db` or MCP_ASSAY_DB move it. */
export function defaultDbPath(): string {
  if (process.env.MCP_ASSAY_DB) return path.resolve(process.env.MCP_ASSAY_DB);
  return fileURLToPath(new URL('../../data/assay.db', import.meta.url));
}

export function parseFormat(value: string): Format {
  if ((FORMATS as readonly string[]).includes(value)) return value as Format;
  throw new AssayError('usage', `unknown --format "${value}": use ${FORMATS.join(' or ')}`);
}

export function parseFailOn(value: string | undefined): Exclude<Verdict, 'pass'> | undefined {
  if (value === undefined) return undefined;
  if (value === 'fail' || value === 'review') return value;
  throw new AssayError('usage', `unknown --fail-on "${value}": use fail or review`);
}

function sizeOption(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = parseSize(value);
  if (parsed === undefined) throw new AssayError('usage', `${flag} expects a size such as 64MiB, 500k or 1GiB, got "${value}"`);
  return parsed;
}

function countOption(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) throw new AssayError('usage', `${flag} expects a positive whole number, got "${value}"`);
  return parsed;
}

export interface LimitFlags {
  maxArchiveSize?: string;
  maxUnpackedSize?: string;
  maxFiles?: string;
  maxFileSize?: string;
  analyzerTimeout?: string;
}

export function workspaceLimits(flags: LimitFlags): WorkspaceLimits {
  return {
    maxArchiveBytes: sizeOption('--max-archive-size', flags.maxArchiveSize, DEFAULT_WORKSPACE_LIMITS.maxArchiveBytes),
    maxUnpackedBytes: sizeOption('--max-unpacked-size', flags.maxUnpackedSize, DEFAULT_WORKSPACE_LIMITS.maxUnpackedBytes),
    maxFiles: countOption('--max-files', flags.maxFiles, DEFAULT_WORKSPACE_LIMITS.maxFiles),
    maxFileBytes: sizeOption('--max-file-size', flags.maxFileSize, DEFAULT_WORKSPACE_LIMITS.maxFileBytes),
  };
}

export function analyzerLimits(flags: LimitFlags): AnalyzerLimits {
  return {
    ...DEFAULT_ANALYZER_LIMITS,
    timeoutMs: countOption('--analyzer-timeout', flags.analyzerTimeout, DEFAULT_ANALYZER_LIMITS.timeoutMs / 1000) * 1000,
  };
}

export function secondsOption(flag: string, value: string | undefined, fallback: number): number {
  return countOption(flag, value, fallback);
}

export function registryOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AssayError('usage', `--registry expects an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AssayError('usage', `--registry expects an http(s) URL, got "${value}"`);
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}
