/**
 * `check` of a client config whose ten servers are already in the store (issue 7: ≤ 1 s). Builds a
 * temporary store with ten realistic reports (findings, tools), writes a Claude Desktop config naming
 * them, then times `runCheck` in this one process: the first run (cold: store opened, statements
 * prepared, reports validated) and RUNS further runs (p50, max). Nothing is scanned: a scan would fail.
 *
 *   npm run build && node dist/bench/check-bench.js [--runs 20]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runCheck } from '../cli/check.js';
import type { Io } from '../cli/io.js';
import type { Finding, RuleMeta, Severity } from '../core/finding.js';
import { makeFinding } from '../core/finding.js';
import type { Report } from '../core/report.js';
import { ReportSchema } from '../core/report.js';
import { openStore } from '../store/index.js';

const SERVERS = 10;
const FINDINGS_PER_REPORT = 40;
const TOOLS_PER_REPORT = 25;
const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

function rule(i: number): RuleMeta {
  return { id: `code/bench-${i % 12}`, title: `Bench rule ${i % 12}`, severity: SEVERITIES[i % SEVERITIES.length] ?? 'low', kind: i % 3 === 0 ? 'threat' : 'capability', description: 'bench', recommendation: 'bench' };
}

function report(i: number): Report {
  const findings: Finding[] = Array.from({ length: FINDINGS_PER_REPORT }, (_, j) =>
    makeFinding(rule(j), 'code', { location: { file: `src/file-${j}.js`, line: j + 1, column: 3 }, evidence: `call${i}_${j}(process.env.X)`, message: `message ${j}` }),
  );
  return ReportSchema.parse({
    schemaVersion: 1,
    tool: { name: 'mcp-assay', version: '0.1.0' },
    scannedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
    target: { kind: 'npm', spec: `npm:bench-srv-${i}@1.0.0`, name: `bench-srv-${i}`, version: '1.0.0' },
    score: { value: 80, grade: 'B', verdict: 'review', complete: true, breakdown: [] },
    findings,
    analyzers: ['manifest', 'code', 'tools', 'signatures'].map((id) => ({ id, version: 1, status: 'succeeded', durationMs: 1, errors: [] })),
    tools: Array.from({ length: TOOLS_PER_REPORT }, (_, j) => ({ name: `tool_${j}`, description: `Does thing ${j}. `.repeat(10), source: 'static', location: { file: 'src/index.js', line: 10 + j } })),
    files: { count: 120, bytes: 400_000, incomplete: false, binaries: [] },
    timings: { fetchMs: 1, analyzeMs: 1, scoreMs: 1, totalMs: 3 },
  });
}

function nullIo(): Io {
  return { out: () => undefined, err: () => undefined, interactive: false, color: false };
}

function runsFlag(): number {
  const at = process.argv.indexOf('--runs');
  const value = at < 0 ? 20 : Number(process.argv[at + 1]);
  return Number.isSafeInteger(value) && value > 0 ? value : 20;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-check-bench-'));
  try {
    const db = path.join(dir, 'assay.db');
    const store = openStore(db);
    for (let i = 0; i < SERVERS; i++) store.saveReport(report(i));
    store.close();
    const config = path.join(dir, 'claude_desktop_config.json');
    const servers = Object.fromEntries(Array.from({ length: SERVERS }, (_, i) => [`s${i}`, { command: 'npx', args: ['-y', `bench-srv-${i}@1.0.0`] }]));
    writeFileSync(config, JSON.stringify({ mcpServers: servers }));
    const env = { home: dir, cwd: dir, platform: process.platform };
    const scan = (): Promise<Report> => Promise.reject(new Error('bench: nothing may be scanned'));
    const once = async (): Promise<number> => {
      let out = '';
      const io = { ...nullIo(), out: (t: string) => void (out += t) };
      const start = performance.now();
      await runCheck([config], { format: 'table', db }, io, new AbortController().signal, { env, scan });
      const ms = performance.now() - start;
      if (out.split('\n').filter((l) => l.includes('80/100 B review')).length !== SERVERS) throw new Error(`bench: expected ${SERVERS} stored rows, got:\n${out}`);
      return ms;
    };
    const cold = await once();
    const times: number[] = [];
    for (let i = 0; i < runsFlag(); i++) times.push(await once());
    times.sort((a, b) => a - b);
    const p50 = times[Math.floor(times.length / 2)] ?? 0;
    const max = times.at(-1) ?? 0;
    process.stdout.write(`check of ${SERVERS} stored servers (${FINDINGS_PER_REPORT} findings, ${TOOLS_PER_REPORT} tools each): cold ${cold.toFixed(1)} ms, warm p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms over ${times.length} runs (budget 1000 ms)\n`);
    // What a user waits for: a whole `mcp-assay check` process, module loading included. HOME points at the
    // temp dir so no real client config is discovered.
    const bin = fileURLToPath(new URL('../../bin/mcp-assay.js', import.meta.url));
    const procs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      const r = spawnSync(process.execPath, [bin, 'check', config, '--offline', '--db', db], { env: { ...process.env, HOME: dir }, encoding: 'utf8' });
      procs.push(performance.now() - start);
      if (r.status !== 0 && r.status !== 1) throw new Error(`bench: check exited ${String(r.status)}: ${r.stderr}`);
    }
    procs.sort((a, b) => a - b);
    process.stdout.write(`whole process (node bin/mcp-assay.js check CONFIG --offline): p50 ${(procs[2] ?? 0).toFixed(0)} ms, max ${(procs[4] ?? 0).toFixed(0)} ms over 5 runs\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
