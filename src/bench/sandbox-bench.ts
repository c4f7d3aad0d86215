/**
 * Sandbox overhead per server: `node -e 0` run N times in a fresh container (created, started, workload
 * exec'd, counters read, removed), minus the same command's own start time on the host. The difference is
 * what the sandbox adds to every sandboxed scan. Needs a running engine and the image
 * (`mcp-assay sandbox build`).
 * Also times a full sandboxed scan of the benign fixture (fetch, every analyzer, the sandbox's start phase
 * and MCP survey, score), the figure a user waits for with `scan --sandbox` (target ≤ 5 s).
 * Usage: node dist/bench/sandbox-bench.js [--runs N]
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ANALYZERS } from '../analyzers/index.js';
import { DEFAULT_ANALYZER_LIMITS, DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import { runScan } from '../queue/scan-job.js';
import { runToCompletion } from '../sandbox/container.js';
import { dockerClient } from '../sandbox/docker.js';
import { buildImage } from '../sandbox/image.js';

const run = promisify(execFile);

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? 0;
}

async function timeHostNode(runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run(process.execPath, ['-e', '0'], { timeout: 30_000 });
    times.push(performance.now() - started);
  }
  return times;
}

async function timeSandboxed(runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = await runToCompletion({ cmd: ['node', '-e', '0'] }, { timeoutMs: 60_000 });
    if (result.status !== 'completed') throw new Error(`sandboxed run ${i} ended ${result.status}: ${result.reason ?? ''}`);
    times.push(performance.now() - started);
  }
  return times;
}

const BENIGN_FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/sandbox/benign');

/** `scan --sandbox` of the benign fixture, in process, without storing: what the user waits for. */
async function timeSandboxedScans(runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const report = await runScan({ kind: 'dir', spec: BENIGN_FIXTURE }, {
      signal: AbortSignal.timeout(120_000), limits: DEFAULT_WORKSPACE_LIMITS, analyzerLimits: DEFAULT_ANALYZER_LIMITS,
      analyzers: ANALYZERS, capabilities: { network: false, docker: true },
    });
    const sandbox = report.analyzers.find((a) => a.id === 'sandbox');
    if (sandbox?.status !== 'succeeded') throw new Error(`sandboxed scan ${i}: sandbox analyzer ${sandbox?.status ?? 'missing'}: ${sandbox?.reason ?? ''}`);
    times.push(performance.now() - started);
  }
  return times;
}

export interface SandboxBench {
  runs: number;
  scanRuns: number;
  scanP50Ms: number;
  scanP90Ms: number;
  hostP50Ms: number;
  sandboxP50Ms: number;
  sandboxP90Ms: number;
  overheadP50Ms: number;
}

export async function benchSandbox(runs = 20): Promise<SandboxBench> {
  await buildImage(dockerClient());
  await timeSandboxed(1); // warm the engine's image and layer caches
  const host = await timeHostNode(runs);
  const sandboxed = await timeSandboxed(runs);
  const hostP50Ms = percentile(host, 0.5);
  const sandboxP50Ms = percentile(sandboxed, 0.5);
  const scanRuns = Math.max(3, Math.ceil(runs / 4));
  const scans = await timeSandboxedScans(scanRuns);
  return { runs, scanRuns, scanP50Ms: percentile(scans, 0.5), scanP90Ms: percentile(scans, 0.9), hostP50Ms, sandboxP50Ms, sandboxP90Ms: percentile(sandboxed, 0.9), overheadP50Ms: sandboxP50Ms - hostP50Ms };
}

export function formatSandboxBench(b: SandboxBench): string {
  return [
    `sandbox overhead (node -e 0, ${b.runs} runs)`,
    `  host start          p50 ${b.hostP50Ms.toFixed(0).padStart(6)} ms`,
    `  sandboxed, total    p50 ${b.sandboxP50Ms.toFixed(0).padStart(6)} ms   p90 ${b.sandboxP90Ms.toFixed(0).padStart(6)} ms`,
    `  overhead            p50 ${b.overheadP50Ms.toFixed(0).padStart(6)} ms   (target ≤ 1500 ms)`,
    `full sandboxed scan of the benign fixture (${b.scanRuns} runs)`,
    `  scan --sandbox      p50 ${b.scanP50Ms.toFixed(0).padStart(6)} ms   p90 ${b.scanP90Ms.toFixed(0).padStart(6)} ms   (target ≤ 5000 ms)`,
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--runs');
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 20;
  process.stdout.write(formatSandboxBench(await benchSandbox(Number.isInteger(runs) && runs > 0 ? runs : 20)));
}
