import { ANALYZERS } from '../analyzers/index.js';
import type { Capabilities } from '../analyzers/runner.js';
import { runAnalyzers } from '../analyzers/runner.js';
import type { Analyzer } from '../core/analyzer.js';
import type { Finding } from '../core/finding.js';
import type { AnalyzerLimits, WorkspaceLimits } from '../core/limits.js';
import type { Report } from '../core/report.js';
import type { Target } from '../core/target.js';
import type { Workspace, WorkspaceContents } from '../core/workspace.js';
import { workspaceIsIncomplete } from '../core/workspace.js';
import { hashExecutables } from '../fetch/hash.js';
import { fetchWorkspace } from '../fetch/index.js';
import type { MemoryBudget } from '../fetch/memory.js';
import type { ResolvedVersion } from '../fetch/npm.js';
import type { MadeWorkspace } from '../fetch/workspace.js';
import { readerFor } from '../fetch/reader.js';
import { buildReport } from '../report/build.js';
import { annotateDeclared } from '../score/declared.js';
import { computeScore } from '../score/score.js';

export interface ScanOptions {
  signal: AbortSignal;
  limits: WorkspaceLimits;
  analyzerLimits: AnalyzerLimits;
  registry?: string | undefined;
  cacheDir?: string | undefined;
  tmpDir?: string | undefined;
  analyzers?: readonly Analyzer[];
  capabilities?: Capabilities;
  /** One short line per stage, for a progress display. */
  onProgress?: ((message: string) => void) | undefined;
}

function elapsed(since: number): number {
  return Math.round((performance.now() - since) * 100) / 100;
}

function dedupe(findings: readonly Finding[]): Finding[] {
  const seen = new Map<string, Finding>();
  for (const finding of findings) if (!seen.has(finding.fingerprint)) seen.set(finding.fingerprint, finding);
  return [...seen.values()];
}

export type FetchForScanOptions = Pick<ScanOptions, 'signal' | 'limits' | 'registry' | 'cacheDir' | 'tmpDir' | 'onProgress'> & {
  /** Retries per registry request (npm targets); the fetcher's default when unset. */
  retries?: number | undefined;
  /** Unpack archives into memory while this budget holds them. */
  memory?: MemoryBudget | undefined;
  /** What a source already read from the packument for an npm target's exact version (see fetch/npm.ts). */
  resolved?: ResolvedVersion | undefined;
};

export interface FetchedWorkspace extends MadeWorkspace {
  fetchMs: number;
}

/** The first half of a scan: target → workspace (on disk, or in memory when the options give a budget). The caller disposes of it. */
export async function fetchForScan(target: Target, options: FetchForScanOptions): Promise<FetchedWorkspace> {
  const started = performance.now();
  options.onProgress?.(`fetching ${target.spec}`);
  const made = await fetchWorkspace(target, {
    limits: options.limits,
    signal: options.signal,
    ...(options.tmpDir !== undefined ? { tmpDir: options.tmpDir } : {}),
    ...(options.registry !== undefined ? { registry: options.registry } : {}),
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.retries !== undefined ? { retries: options.retries } : {}),
    ...(options.memory !== undefined ? { memory: options.memory } : {}),
    ...(options.resolved !== undefined ? { resolved: options.resolved } : {}),
  });
  return { ...made, dispose: () => made.dispose(), fetchMs: elapsed(started) };
}

export type AnalyseOptions = Pick<ScanOptions, 'signal' | 'analyzerLimits' | 'analyzers' | 'capabilities' | 'onProgress'> & {
  /** How long the fetch took, carried into the report's timings. */
  fetchMs: number;
  /** The files of a workspace held in memory (it then has no root). */
  contents?: WorkspaceContents | undefined;
};

/**
 * The second half: analyzers → score → report on a workspace already made. Needs only the workspace (plain
 * data) and its root or contents, so it can run in a worker thread. Leaves the workspace in place.
 */
export async function analyseWorkspace(target: Target, workspace: Workspace, options: AnalyseOptions): Promise<Report> {
  const progress = options.onProgress ?? (() => undefined);
  progress(`analysing ${workspace.files.length} files`);
  const analyzeStart = performance.now();
  const results = await runAnalyzers(
    options.analyzers ?? ANALYZERS,
    {
      workspace,
      reader: readerFor(workspace, options.contents, options.analyzerLimits),
      limits: options.analyzerLimits,
    },
    {
      signal: options.signal,
      capabilities: options.capabilities ?? { network: true, docker: false },
      onProgress: (e) => (e.phase === 'start' ? progress(`analyzer ${e.analyzer}`) : undefined),
    },
  );
  const analyzeMs = elapsed(analyzeStart);
  const scoreStart = performance.now();
  const tools = results.flatMap((r) => r.tools ?? []);
  const findings = annotateDeclared(dedupe([...workspace.findings, ...results.flatMap((r) => r.findings)]), tools);
  const score = computeScore({
    findings,
    toolSurfaceKnown: tools.length > 0,
    analyzers: results.map((r) => ({ id: r.analyzer, status: r.status, reason: r.reason })),
    workspaceIncomplete: workspaceIsIncomplete(workspace),
  });
  const scoreMs = elapsed(scoreStart);
  const binaryHashes = await hashExecutables(workspace, options.signal, options.contents);
  return buildReport({
    target,
    workspace,
    results,
    findings,
    score,
    tools,
    binaryHashes,
    scannedAt: new Date(),
    // Measured here rather than from a shared clock: a worker thread has its own performance.now() origin.
    timings: { fetchMs: options.fetchMs, analyzeMs, scoreMs, totalMs: elapsed(analyzeStart) + options.fetchMs },
  });
}

/**
 * One scan: target → workspace → analyzers → score → report. The workspace is removed whatever happens;
 * storing the report is the caller's choice.
 */
export async function runScan(target: Target, options: ScanOptions): Promise<Report> {
  const made = await fetchForScan(target, options);
  try {
    return await analyseWorkspace(target, made.workspace, {
      signal: options.signal,
      analyzerLimits: options.analyzerLimits,
      fetchMs: made.fetchMs,
      ...(options.analyzers !== undefined ? { analyzers: options.analyzers } : {}),
      ...(options.capabilities !== undefined ? { capabilities: options.capabilities } : {}),
      onProgress: options.onProgress,
    });
  } finally {
    await made.dispose();
  }
}
