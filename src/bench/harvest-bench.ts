/**
 * Harvest throughput: `node dist/bench/harvest-bench.js --list FILE [--registry URL] [--cache-dir DIR]
 * [--concurrency N]`. FILE is a list of targets (one per line), or a `name<TAB>version` TSV with a header.
 * Run 1 warms the archive cache (into its own db); run 2 harvests into a fresh db from the warm cache and is
 * the measured one (packages/min, p95 per package, peak RSS); run 3 re-harvests run 2's db with nothing
 * changed and shows how much cheaper an incremental night is.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ANALYZER_LIMITS, DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import { resolveRegistry } from '../fetch/registry-config.js';
import type { HarvestSummary } from '../queue/harvest.js';
import { runHarvest } from '../queue/harvest.js';
import { listFileSource } from '../sources/list-file.js';
import { openStore } from '../store/index.js';

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A TSV of name/version rows becomes a list of npm targets; any other file is used as it is. */
function listFile(file: string, tmp: string): string {
  const text = readFileSync(file, 'utf8');
  const [header] = text.split('\n');
  if (header?.trim() !== 'name\tversion') return file;
  const lines = text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split('\t'))
    .filter((cols) => cols.length >= 2 && cols[0] && cols[1])
    .map(([name, version]) => `npm:${name ?? ''}@${version ?? ''}`);
  const out = path.join(tmp, 'list.txt');
  writeFileSync(out, `${lines.join('\n')}\n`);
  return out;
}

interface Measured {
  summary: HarvestSummary;
  wallMs: number;
  /** Claim to done, so it includes waiting for a free stage. */
  perPackageMs: number[];
  /** Fetch plus analysis of one package (the report's own timings), without queueing. */
  serviceMs: number[];
}

async function harvestOnce(list: string, db: string, registry: string, cacheDir: string, concurrency: number | undefined): Promise<Measured> {
  const store = openStore(db);
  const perPackageMs: number[] = [];
  const serviceMs: number[] = [];
  const started = performance.now();
  try {
    const summary = await runHarvest({
      store,
      sources: [listFileSource({ path: list })],
      signal: new AbortController().signal,
      limits: DEFAULT_WORKSPACE_LIMITS,
      analyzerLimits: DEFAULT_ANALYZER_LIMITS,
      registry,
      cacheDir,
      concurrency,
      onEvent: (e) => {
        if (e.type === 'job-done') perPackageMs.push(e.ms);
      },
      onScanned: (_previous, current) => serviceMs.push(current.timings.totalMs),
    });
    return { summary, wallMs: performance.now() - started, perPackageMs, serviceMs };
  } finally {
    store.close();
  }
}

function p95(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
}

function line(label: string, m: Measured): string {
  const done = m.summary.scanned + m.summary.skippedUnchanged;
  const perMin = done / (m.wallMs / 60_000);
  return `${label}: ${m.summary.scanned} scanned, ${m.summary.skippedUnchanged} unchanged, ${m.summary.failed.length} failed in ${(m.wallMs / 1000).toFixed(1)} s — ${perMin.toFixed(1)} packages/min, p95 ${Math.round(p95(m.serviceMs))} ms/package (${Math.round(p95(m.perPackageMs))} ms with queueing)`;
}

async function main(): Promise<void> {
  const file = argValue('--list');
  if (file === undefined) throw new Error('usage: harvest-bench --list FILE [--registry URL] [--cache-dir DIR] [--concurrency N]');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const cacheDir = path.resolve(argValue('--cache-dir') ?? path.join(root, '.bench-cache', 'harvest-archives'));
  mkdirSync(cacheDir, { recursive: true });
  const concurrencyText = argValue('--concurrency');
  const concurrency = concurrencyText === undefined ? undefined : Number(concurrencyText);
  const registry = await resolveRegistry({ explicit: argValue('--registry') });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'assay-harvest-bench-'));
  try {
    const list = listFile(file, tmp);
    const warm = await harvestOnce(list, path.join(tmp, 'warm.db'), registry, cacheDir, concurrency);
    process.stdout.write(`${line('run 1 (warms the cache)', warm)}\n`);
    for (const f of warm.summary.failed) process.stdout.write(`  failed ${f.key}: ${f.reason}\n`);
    const db = path.join(tmp, 'bench.db');
    const measured = await harvestOnce(list, db, registry, cacheDir, concurrency);
    process.stdout.write(`${line('run 2 (warm cache, empty db)', measured)}\n`);
    const again = await harvestOnce(list, db, registry, cacheDir, concurrency);
    process.stdout.write(`${line('run 3 (nothing changed)', again)}\n`);
    const rssMiB = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`peak RSS ${rssMiB.toFixed(0)} MiB; re-harvest took ${((again.wallMs / measured.wallMs) * 100).toFixed(1)}% of a full one (${(measured.wallMs / Math.max(1, again.wallMs)).toFixed(1)}× faster)\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`harvest-bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
