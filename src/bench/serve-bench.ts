/**
 * `serve` bench: a store of 1,000 scanned versions (reports built in code, saved with saveReport), then
 * p50/p95 of GET / over 200 requests on loopback. Target: p50 ≤ 100 ms.
 * Usage: npm run build && node dist/bench/serve-bench.js [--packages N] [--versions N] [--requests N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveSource, startServer } from '../cli/serve.js';
import { makeFinding } from '../core/finding.js';
import type { Report } from '../core/report.js';
import { ReportSchema } from '../core/report.js';
import type { Grade, Verdict } from '../core/score.js';
import { openStore } from '../store/index.js';

function argNumber(flag: string, fallback: number): number {
  const i = process.argv.indexOf(flag);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isSafeInteger(value) && value > 0 ? value : fallback;
}

const RULE = { id: 'code/exec-dynamic-command', title: 'Runs a command built at run time', severity: 'high', kind: 'capability', description: 'bench', recommendation: 'bench' } as const;

function gradeOf(value: number): { grade: Grade; verdict: Verdict } {
  if (value >= 90) return { grade: 'A', verdict: 'pass' };
  if (value >= 75) return { grade: 'B', verdict: 'pass' };
  if (value >= 60) return { grade: 'C', verdict: 'review' };
  if (value >= 40) return { grade: 'D', verdict: 'review' };
  return { grade: 'F', verdict: 'fail' };
}

/** A report the size of a real small server: a few findings and tools. Built in code, checked by the schema. */
function benchReport(pkg: number, version: number): Report {
  const name = pkg % 7 === 0 ? `@scope-${pkg % 13}/server-${pkg}` : `bench-server-${pkg}`;
  const value = (pkg * 37 + version * 11) % 101;
  const findings = Array.from({ length: 5 }, (_, i) =>
    makeFinding(RULE, 'code', { location: { file: `src/file-${i}.js`, line: i + 1, column: 1 }, evidence: `spawn(cmd${i}, args)` }),
  );
  return ReportSchema.parse({
    schemaVersion: 1,
    tool: { name: 'mcp-assay', version: '0.1.0' },
    scannedAt: new Date(Date.UTC(2025, 0, 1) + (pkg * 10 + version) * 60_000).toISOString(),
    target: { kind: 'npm', spec: `npm:${name}@1.${version}.0`, name, version: `1.${version}.0` },
    score: { value, ...gradeOf(value), complete: true, breakdown: [{ reason: 'bench', points: 100 - value, findings: findings.map((f) => f.fingerprint) }] },
    findings,
    analyzers: ['manifest', 'code', 'tools', 'signatures'].map((id) => ({ id, version: 1, status: 'succeeded', durationMs: 10, errors: [] })),
    tools: Array.from({ length: 4 }, (_, i) => ({ name: `tool_${i}`, description: `Does thing ${i} for version ${version}. `.repeat(5), source: 'static' })),
    files: { count: 20, bytes: 40_000, incomplete: false, binaries: [] },
    timings: { fetchMs: 1, analyzeMs: 1, scoreMs: 1, totalMs: 3 },
  });
}

function get(origin: string, pathAndQuery: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(origin);
    const started = performance.now();
    const req = request({ host: url.hostname, port: url.port, path: pathAndQuery, agent: false }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`GET ${pathAndQuery}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? 0;
}

async function main(): Promise<void> {
  const packages = argNumber('--packages', 250);
  const versions = argNumber('--versions', 4);
  const requests = argNumber('--requests', 200);
  const work = mkdtempSync(path.join(tmpdir(), 'assay-serve-bench-'));
  const db = path.join(work, 'assay.db');
  try {
    const fillStarted = performance.now();
    const store = openStore(db);
    for (let p = 0; p < packages; p += 1) for (let v = 0; v < versions; v += 1) store.saveReport(benchReport(p, v));
    store.close();
    console.log(`store: ${packages * versions} scanned versions of ${packages} packages in ${Math.round(performance.now() - fillStarted)} ms`);

    const { source, close } = serveSource(db);
    const running = await startServer({ source, host: '127.0.0.1', port: 0 });
    try {
      for (const route of ['/', '/?sort=score-asc&verdict=fail', '/?q=scope', '/server/bench-server-1', '/api/servers']) {
        for (let i = 0; i < 5; i += 1) await get(running.origin, route);
      }
      for (const route of ['/', '/?sort=score-asc&verdict=review&page=2', '/server/bench-server-1']) {
        const times: number[] = [];
        for (let i = 0; i < requests; i += 1) times.push(await get(running.origin, route));
        times.sort((a, b) => a - b);
        console.log(`GET ${route}: p50 ${percentile(times, 50).toFixed(2)} ms, p95 ${percentile(times, 95).toFixed(2)} ms over ${requests} requests`);
      }
    } finally {
      await running.close();
      close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
