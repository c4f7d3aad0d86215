import type { Analyzer, AnalyzerContext, AnalyzerOutput, AnalyzerResult, AnalyzerStatus } from '../core/analyzer.js';
import { missingRequirement } from '../core/analyzer.js';
import { errorMessage, isAbortError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { FindingSchema } from '../core/finding.js';
import { ToolInfoSchema } from '../core/tool.js';
import { releaseHandovers } from './lib/shared-parse.js';

export interface Capabilities {
  network: boolean;
  docker: boolean;
}

export interface RunOptions {
  /** The caller's signal: when it aborts (the user pressed Ctrl-C) the run stops and throws. */
  signal: AbortSignal;
  capabilities: Capabilities;
  /** Called as each analyzer starts and ends, for progress display. */
  onProgress?: (event: { analyzer: string; phase: 'start' | 'end'; status?: AnalyzerStatus }) => void;
}

type BaseContext = Omit<AnalyzerContext, 'signal'>;

/** An analyzer's output crosses a stage boundary: check it like outside input. */
function checkOutput(analyzer: Analyzer, output: AnalyzerOutput): string | undefined {
  const known = new Set(analyzer.rules.map((rule) => rule.id));
  for (const tool of output.tools ?? []) {
    const parsed = ToolInfoSchema.safeParse(tool);
    if (!parsed.success) return `produced an invalid tool: ${parsed.error.issues[0]?.message ?? 'schema mismatch'}`;
  }
  for (const finding of output.findings) {
    const parsed = FindingSchema.safeParse(finding);
    if (!parsed.success) return `produced an invalid finding: ${parsed.error.issues[0]?.message ?? 'schema mismatch'}`;
    if (finding.analyzer !== analyzer.id) return `produced a finding labelled as analyzer "${finding.analyzer}"`;
    if (!known.has(finding.ruleId)) return `produced a finding for undeclared rule ${finding.ruleId}`;
  }
  return undefined;
}

function result(analyzer: Analyzer, status: AnalyzerStatus, startedAt: number, extra: Partial<AnalyzerResult> = {}): AnalyzerResult {
  return {
    analyzer: analyzer.id,
    version: analyzer.version,
    status,
    findings: [],
    errors: [],
    durationMs: Math.round(performance.now() - startedAt),
    ...extra,
  };
}

function rejectOnAbort(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let onAbort: () => void = () => undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined);
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/**
 * Runs one analyzer under its own time limit. An analyzer that ignores its signal still loses the
 * race, so a hung analyzer becomes `timeout` and the scan goes on.
 */
export async function runAnalyzer(analyzer: Analyzer, base: BaseContext, options: RunOptions): Promise<AnalyzerResult> {
  const startedAt = performance.now();
  const missing = missingRequirement(analyzer.requirements, options.capabilities);
  if (missing) return result(analyzer, 'skipped', startedAt, { reason: missing });

  const timeout = AbortSignal.timeout(base.limits.timeoutMs);
  const signal = AbortSignal.any([options.signal, timeout]);
  const abort = rejectOnAbort(signal);
  try {
    const output = await Promise.race([analyzer.analyze({ ...base, signal }), abort.promise]);
    const invalid = checkOutput(analyzer, output);
    if (invalid) return result(analyzer, 'failed', startedAt, { reason: invalid });
    const extra: Partial<AnalyzerResult> = { findings: output.findings, errors: output.errors ?? [] };
    if (output.reason !== undefined) extra.reason = output.reason;
    if (output.tools !== undefined) extra.tools = output.tools;
    return result(analyzer, output.status ?? 'succeeded', startedAt, extra);
  } catch (error) {
    if (options.signal.aborted) throw error;
    if (timeout.aborted || isAbortError(error)) {
      return result(analyzer, 'timeout', startedAt, { reason: `did not finish within ${base.limits.timeoutMs} ms` });
    }
    return result(analyzer, 'failed', startedAt, { reason: `crashed: ${errorMessage(error)}` });
  } finally {
    abort.dispose();
  }
}

/** Runs every analyzer in order; one analyzer's failure never stops the others. */
export async function runAnalyzers(analyzers: readonly Analyzer[], base: BaseContext, options: RunOptions): Promise<AnalyzerResult[]> {
  const results: AnalyzerResult[] = [];
  try {
    for (const analyzer of analyzers) {
      options.signal.throwIfAborted();
      options.onProgress?.({ analyzer: analyzer.id, phase: 'start' });
      const priorTools = results.flatMap((r) => r.tools ?? []);
      const outcome = await runAnalyzer(analyzer, { ...base, priorTools }, options);
      options.onProgress?.({ analyzer: analyzer.id, phase: 'end', status: outcome.status });
      results.push(outcome);
    }
  } finally {
    // Syntax trees one analyzer kept for the next must not outlive the run.
    releaseHandovers(base.workspace);
  }
  return results;
}

export function findingsOf(results: readonly AnalyzerResult[]): Finding[] {
  return results.flatMap((r) => r.findings);
}
