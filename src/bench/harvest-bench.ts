/**
 * Harvest throughput: `node dist/bench/harvest-bench.js --list FILE [--registry URL] [--cache-dir DIR]
 * [--concurrency N] [--fetch-concurrency N] [--worker-heap-mb N] [--work-dir DIR] [--workspace-memory-bytes N] [--yara-engine wasm|yara-x]`. FILE holds npm package names, one a line (`npm:<name>` or a
 * bare name; `#` comments), or a `name<TAB>version` TSV with a header (the version is ignored). The names
 * go through the npm source, as `harvest --name` does, so each item carries its integrity before any fetch.
 *
 * Each harvest runs in its own child process, so peak RSS is per run: run 1 warms the archive cache into
 * its own db (not measured); run 2 harvests into an empty db from the warm cache (the measured one); run 3
 * re-harvests run 2's db with nothing changed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { EngineName } from '../analyzers/signatures/engine/types.js';
import { parseEngineName } from '../cli/signatures.js';
import { DEFAULT_ANALYZER_LIMITS, DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import { resolveRegistry } from '../fetch/registry-config.js';
import { runHarvest } from '../queue/harvest.js';
import { tuneMalloc } from '../queue/malloc-tuning.js';
import { npmSource } from '../sources/npm.js';
import { openStore } from '../store/index.js';

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function numberArg(flag: string): number | undefined {
  const text = argValue(flag);
  return text === undefined ? undefined : Number(text);
}

function engineArg(): EngineName | undefined {
  const text = argValue('--yara-engine');
  return text === undefined ? undefined : parseEngineName(text);
}

/** Package names from a list file or a name/version TSV. */
export function namesFrom(text: string): string[] {
  const names = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#') || line === 'name\tversion') continue;
    const first = line.split('\t')[0] ?? '';
    names.add(first.startsWith('npm:') ? first.slice(4) : first);
  }
  return [...names];
}

const RunSchema = z.object({
  scanned: z.number(),
  unchanged: z.number(),
  failed: z.array(z.object({ key: z.string(), reason: z.string() })),
  wallMs: z.number(),
  perPackageMs: z.array(z.number()),
  serviceMs: z.array(z.number()),
  rssMiB: z.number(),
  /** What tuneMalloc() did in the child: the peak depends on it. */
  malloc: z.string(),
});
type Run = z.infer<typeof RunSchema>;

/** The child: one harvest, its figures as one JSON line on stdout. */
async function child(): Promise<void> {
  const db = argValue('--db') ?? '';
  const names = namesFrom(readFileSync(argValue('--list') ?? '', 'utf8'));
  const registry = argValue('--registry') ?? '';
  const store = openStore(db);
  const perPackageMs: number[] = [];
  const serviceMs: number[] = [];
  const started = performance.now();
  try {
    const summary = await runHarvest({
      store,
      sources: [npmSource({ registry, names, keywords: [] })],
      signal: new AbortController().signal,
      limits: DEFAULT_WORKSPACE_LIMITS,
      analyzerLimits: DEFAULT_ANALYZER_LIMITS,
      registry,
      cacheDir: argValue('--cache-dir'),
      concurrency: numberArg('--concurrency'),
      fetchConcurrency: numberArg('--fetch-concurrency'),
      workerHeapMb: numberArg('--worker-heap-mb'),
      tmpDir: argValue('--work-dir'),
      workspaceMemoryBytes: numberArg('--workspace-memory-bytes'),
      signatureEngine: engineArg(),
      onEvent: (e) => {
        if (e.type === 'job-done') perPackageMs.push(e.ms);
      },
      onScanned: (_previous, current) => serviceMs.push(current.timings.totalMs),
      onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
    });
    const run: Run = {
      scanned: summary.scanned,
      unchanged: summary.skippedUnchanged,
      failed: summary.failed,
      wallMs: performance.now() - started,
      perPackageMs,
      serviceMs,
      rssMiB: process.resourceUsage().maxRSS / 1024,
      malloc: tuneMalloc().status,
    };
    process.stdout.write(`${JSON.stringify(run)}\n`);
  } finally {
    store.close();
  }
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))] ?? 0;
}

function spawnRun(args: readonly string[]): Run {
  const result = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`a harvest child exited with ${String(result.status ?? result.signal)}`);
  const last = result.stdout.trim().split('\n').pop() ?? '';
  return RunSchema.parse(JSON.parse(last));
}

function describe(label: string, run: Run): string {
  const done = run.scanned + run.unchanged;
  const perMin = done / (run.wallMs / 60_000);
  const ms = (values: readonly number[], p: number): number => Math.round(percentile(values, p));
  return [
    `${label}: ${run.scanned} scanned, ${run.unchanged} unchanged, ${run.failed.length} failed in ${(run.wallMs / 1000).toFixed(1)} s`,
    `  ${perMin.toFixed(1)} packages/min; per package p50 ${ms(run.serviceMs, 0.5)} ms, p95 ${ms(run.serviceMs, 0.95)} ms (fetch + analysis); with queueing p50 ${ms(run.perPackageMs, 0.5)} ms, p95 ${ms(run.perPackageMs, 0.95)} ms; peak RSS ${run.rssMiB.toFixed(0)} MiB (malloc ${run.malloc})`,
  ].join('\n');
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) {
    await child();
    return;
  }
  const file = argValue('--list');
  if (file === undefined) throw new Error('usage: harvest-bench --list FILE [--registry URL] [--cache-dir DIR] [--concurrency N] [--fetch-concurrency N] [--worker-heap-mb N] [--work-dir DIR] [--workspace-memory-bytes N] [--yara-engine wasm|yara-x]');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const cacheDir = path.resolve(argValue('--cache-dir') ?? path.join(root, '.bench-cache', 'harvest-archives'));
  mkdirSync(cacheDir, { recursive: true });
  const registry = await resolveRegistry({ explicit: argValue('--registry') });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'assay-harvest-bench-'));
  const passOn = ['--concurrency', '--fetch-concurrency', '--worker-heap-mb', '--work-dir', '--workspace-memory-bytes', '--yara-engine'].flatMap((flag) => {
    const value = argValue(flag);
    return value === undefined ? [] : [flag, value];
  });
  const common = ['--list', path.resolve(file), '--registry', registry, '--cache-dir', cacheDir, ...passOn];
  try {
    process.stdout.write(`${namesFrom(readFileSync(file, 'utf8')).length} names\n`);
    const warm = spawnRun([...common, '--db', path.join(tmp, 'warm.db')]);
    process.stdout.write(`${describe('run 1 (warms the cache, not measured)', warm)}\n`);
    for (const f of warm.failed) process.stdout.write(`  failed ${f.key}: ${f.reason}\n`);
    const db = path.join(tmp, 'bench.db');
    const first = spawnRun([...common, '--db', db]);
    process.stdout.write(`${describe('run 2 (warm cache, empty db)', first)}\n`);
    const again = spawnRun([...common, '--db', db]);
    process.stdout.write(`${describe('run 3 (nothing changed)', again)}\n`);
    const ratio = (again.wallMs / first.wallMs) * 100;
    process.stdout.write(`re-harvest took ${ratio.toFixed(1)}% of the first (${(first.wallMs / Math.max(1, again.wallMs)).toFixed(1)}× faster); peak RSS ${Math.max(first.rssMiB, again.rssMiB).toFixed(0)} MiB\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`harvest-bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
