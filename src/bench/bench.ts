/**
 * `npm run bench`: downloads the reference corpus once into .bench-cache/ (npm pack, scripts ignored) and
 * scans each package from there, so the figures measure the scan stage, not the network.
 * Usage: node dist/bench/bench.js [--corpus FILE] [--runs N] [--signatures-only]
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ReadEntry } from 'tar';
import { list } from 'tar';
import { DEFAULT_ANALYZER_LIMITS, DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import { runScan } from '../queue/scan-job.js';
import { benchSignatures } from './signatures-bench.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const cacheDir = path.join(root, '.bench-cache');

interface Entry {
  name: string;
  version: string;
}

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function readCorpus(file: string): Entry[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split('\t'))
    .filter((cols): cols is [string, string] => cols.length >= 2 && Boolean(cols[0]) && Boolean(cols[1]))
    .map(([name, version]) => ({ name, version }));
}

function tarballName({ name, version }: Entry): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

async function ensureDownloaded(entry: Entry): Promise<string> {
  const file = path.join(cacheDir, tarballName(entry));
  if (existsSync(file)) return file;
  await run('npm', ['pack', `${entry.name}@${entry.version}`, '--ignore-scripts', '--pack-destination', cacheDir, '--silent'], { cwd: cacheDir, timeout: 300_000 });
  if (!existsSync(file)) throw new Error(`npm pack did not produce ${file}`);
  return file;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

async function scanOnce(file: string): Promise<{ ms: number; verdict: string; value: number; findings: number; rules: string[] }> {
  const started = performance.now();
  const report = await runScan(
    { kind: 'tarball', spec: file },
    { signal: AbortSignal.timeout(120_000), limits: DEFAULT_WORKSPACE_LIMITS, analyzerLimits: DEFAULT_ANALYZER_LIMITS },
  );
  const ms = performance.now() - started;
  const rules = [...new Set(report.findings.filter((f) => f.severity !== 'info').map((f) => f.ruleId))];
  return { ms, verdict: report.score.verdict, value: report.score.value, findings: report.findings.length, rules };
}

interface BundleFile {
  tarball: string;
  path: string;
  size: number;
}

/** The largest real JavaScript file between 4 and 6 MiB in the cached corpus: the minified-bundle case. */
async function largestBundle(): Promise<BundleFile | undefined> {
  let best: BundleFile | undefined;
  for (const name of readdirSync(cacheDir).filter((f) => f.endsWith('.tgz'))) {
    const tarball = path.join(cacheDir, name);
    await list({
      file: tarball,
      onReadEntry: (entry: ReadEntry) => {
        const size = entry.size;
        if (/\.[cm]?js$/.test(entry.path) && size >= 4 * 1024 * 1024 && size <= 6 * 1024 * 1024 && size > (best?.size ?? 0)) {
          best = { tarball, path: entry.path, size };
        }
      },
    });
  }
  return best;
}

async function readEntry(file: BundleFile): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await list({
    file: file.tarball,
    onReadEntry: (entry: ReadEntry) => {
      if (entry.path === file.path) entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    },
  });
  return Buffer.concat(chunks);
}

/** Scans one real minified bundle alone and reports how long the code analysis took and how it ended. */
async function benchBundle(): Promise<void> {
  const bundle = await largestBundle();
  if (!bundle) {
    process.stdout.write('\nbundle: no 4–6 MiB JavaScript file in the cache\n');
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-bundle-'));
  try {
    writeFileSync(path.join(dir, 'bundle.js'), await readEntry(bundle));
    const started = performance.now();
    const report = await runScan({ kind: 'dir', spec: dir }, { signal: AbortSignal.timeout(120_000), limits: DEFAULT_WORKSPACE_LIMITS, analyzerLimits: DEFAULT_ANALYZER_LIMITS });
    const total = performance.now() - started;
    const statuses = report.analyzers.map((a) => `${a.id} ${a.status} ${a.durationMs.toFixed(0)} ms${a.reason ? ` (${a.reason})` : ''}`).join('; ');
    process.stdout.write(
      `\nbundle: ${path.basename(bundle.tarball)} ${bundle.path} (${(bundle.size / 1024 / 1024).toFixed(1)} MiB): scan ${total.toFixed(0)} ms; ${statuses}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const corpus = argValue('--corpus') ?? path.join(root, '..', 'shared', 'corpus', 'benign-visible.tsv');
  const runs = Number(argValue('--runs') ?? '3');
  mkdirSync(cacheDir, { recursive: true });
  if (process.argv.includes('--signatures-only')) {
    await benchSignatures(root, cacheDir);
    return;
  }
  const entries = readCorpus(corpus);
  process.stdout.write(`corpus: ${entries.length} packages from ${corpus}; ${runs} scans each, median reported\n`);
  const times: number[] = [];
  const verdicts = new Map<string, number>();
  for (const entry of entries) {
    const file = await ensureDownloaded(entry);
    await scanOnce(file); // warm-up: module loading and the first JIT are not the scan's cost
    const samples = [];
    for (let i = 0; i < runs; i += 1) samples.push(await scanOnce(file));
    const last = samples[samples.length - 1];
    if (!last) continue;
    const ms = median(samples.map((s) => s.ms));
    times.push(ms);
    verdicts.set(last.verdict, (verdicts.get(last.verdict) ?? 0) + 1);
    process.stdout.write(
      `${`${entry.name}@${entry.version}`.padEnd(48)} ${ms.toFixed(1).padStart(8)} ms  ${last.verdict.padEnd(6)} ${String(last.value).padStart(3)}  ${last.findings} findings${last.rules.length ? `  [${last.rules.join(', ')}]` : ''}\n`,
    );
  }
  const sorted = [...times].sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    `\npackages ${times.length}  p50 ${percentile(sorted, 50).toFixed(1)} ms  p95 ${percentile(sorted, 95).toFixed(1)} ms  total ${total.toFixed(0)} ms  peak RSS ${rssMiB.toFixed(0)} MiB\n`,
  );
  process.stdout.write(`verdicts: ${[...verdicts].map(([v, n]) => `${v} ${n}`).join(', ')}\n`);
  await benchBundle();
  await benchSignatures(root, cacheDir);
}

await main();
