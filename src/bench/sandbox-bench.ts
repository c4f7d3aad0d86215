/**
 * Sandbox overhead per server: `node -e 0` run N times in a fresh container (created, started, workload
 * exec'd, counters read, removed), minus the same command's own start time on the host. The difference is
 * what the sandbox adds to every sandboxed scan. Needs a running engine and the image
 * (`mcp-assay sandbox build`).
 * Usage: node dist/bench/sandbox-bench.js [--runs N]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
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

export interface SandboxBench {
  runs: number;
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
  return { runs, hostP50Ms, sandboxP50Ms, sandboxP90Ms: percentile(sandboxed, 0.9), overheadP50Ms: sandboxP50Ms - hostP50Ms };
}

export function formatSandboxBench(b: SandboxBench): string {
  return [
    `sandbox overhead (node -e 0, ${b.runs} runs)`,
    `  host start          p50 ${b.hostP50Ms.toFixed(0).padStart(6)} ms`,
    `  sandboxed, total    p50 ${b.sandboxP50Ms.toFixed(0).padStart(6)} ms   p90 ${b.sandboxP90Ms.toFixed(0).padStart(6)} ms`,
    `  overhead            p50 ${b.overheadP50Ms.toFixed(0).padStart(6)} ms   (target ≤ 1500 ms)`,
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--runs');
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 20;
  process.stdout.write(formatSandboxBench(await benchSandbox(Number.isInteger(runs) && runs > 0 ? runs : 20)));
}
