import type { Analyzer, AnalyzerContext, AnalyzerOutput } from '../../core/analyzer.js';
import { AssayError } from '../../core/errors.js';
import type { DockerClient } from '../../sandbox/docker.js';
import { SANDBOX_ANALYZER_ID, SANDBOX_RULES } from '../../sandbox/findings.js';
import type { SandboxScanOptions, SandboxScanResult } from '../../sandbox/run.js';
import { runSandbox } from '../../sandbox/run.js';

export { SANDBOX_ANALYZER_ID } from '../../sandbox/findings.js';

/** Left of the analyzer's time limit for removing the containers, so the runner never abandons one. */
const TEARDOWN_MARGIN_MS = 5_000;
const MIN_BUDGET_MS = 5_000;

export interface SandboxAnalyzerOptions {
  /** npm registry for the package's dependencies; the user's npm configuration when absent. */
  registry?: string | undefined;
  /** Budget of one run; the analyzer's time limit minus a teardown margin when absent. */
  timeoutMs?: number;
  docker?: DockerClient;
  mcpTimeouts?: SandboxScanOptions['mcpTimeouts'];
  onProgress?: ((message: string) => void) | undefined;
}

/** What is not clean about a run, for the analyzer's status reason. */
function incompletePhases(result: SandboxScanResult): string[] {
  return result.phases
    .filter((p) => p.status === 'timeout' || p.status === 'limit' || p.status === 'error')
    .map((p) => `${p.phase} ${p.status}${p.reason !== undefined ? `: ${p.reason}` : ''}`);
}

async function analyze(ctx: AnalyzerContext, options: SandboxAnalyzerOptions): Promise<AnalyzerOutput> {
  const staticTools = (ctx.priorTools ?? []).filter((t) => t.source === 'static');
  const result = await runSandbox(ctx.workspace, {
    signal: ctx.signal,
    timeoutMs: options.timeoutMs ?? Math.max(MIN_BUDGET_MS, ctx.limits.timeoutMs - TEARDOWN_MARGIN_MS),
    staticTools,
    registry: options.registry,
    onProgress: options.onProgress,
    ...(options.docker !== undefined ? { docker: options.docker } : {}),
    ...(options.mcpTimeouts !== undefined ? { mcpTimeouts: options.mcpTimeouts } : {}),
  });
  // Nothing was observed: a failure, never an empty (clean-looking) result.
  if (result.status === 'error') throw new AssayError('network', `sandbox run failed: ${result.reason ?? 'unknown reason'}`);
  const cut = incompletePhases(result);
  return {
    findings: result.findings,
    tools: result.tools,
    ...(cut.length > 0 ? { status: 'partial' as const, reason: cut.join('; ').slice(0, 1000) } : {}),
  };
}

/** The sandbox analyzer with options the scan knows (registry, budget); `sandboxAnalyzer` uses defaults. */
export function createSandboxAnalyzer(options: SandboxAnalyzerOptions = {}): Analyzer {
  return {
    id: SANDBOX_ANALYZER_ID,
    version: 1,
    description: 'runs the server in a throwaway container with no network, speaks MCP to it and records what it does',
    requirements: { docker: true },
    rules: Object.values(SANDBOX_RULES),
    analyze: (ctx) => analyze(ctx, options),
  };
}

export const sandboxAnalyzer: Analyzer = createSandboxAnalyzer();
