/**
 * The harvest: sources → durable jobs → a fetch stage (I/O bound) → an analysis stage (CPU bound, worker
 * threads) → one transaction that saves the scan and closes the job. Every step is recorded in the store,
 * so a killed harvest resumes where it stopped: no listed target is lost and none is scanned twice.
 */
import PQueue from 'p-queue';
import { tuneMalloc } from './malloc-tuning.js';
import { ANALYZERS } from '../analyzers/index.js';
import type { Capabilities } from '../analyzers/runner.js';
import type { EngineName } from '../analyzers/signatures/engine/types.js';
import { missingRequirement } from '../core/analyzer.js';
import { AssayError, errorMessage } from '../core/errors.js';
import type { AnalyzerLimits, WorkspaceLimits } from '../core/limits.js';
import type { Report } from '../core/report.js';
import type { Verdict } from '../core/score.js';
import semver from 'semver';
import type { IntegrityResolver } from '../sources/npm.js';
import { createIntegrityResolver } from '../sources/npm.js';
import type { HarvestItem, HarvestSource, SourceEnd } from '../sources/source.js';
import type { Store } from '../store/index.js';
import type { AnalyzerVersion, Job } from '../store/jobs.js';
import { RUN_LEASE_MS } from '../store/jobs.js';
import { packageNameOf } from '../store/repo.js';
import type { AnalysisPool } from './analysis-pool.js';
import { OutOfHeapError, createAnalysisPool, defaultPoolSize } from './analysis-pool.js';
import { MemoryBudget } from '../fetch/memory.js';
import type { ResolvedVersion } from '../fetch/npm.js';
import type { FetchedWorkspace } from './scan-job.js';
import { fetchForScan } from './scan-job.js';

export const DEFAULT_FETCH_CONCURRENCY = 8;
/**
 * Unpacked bytes the harvest holds in memory across the packages waiting for and in analysis (ADR 0002).
 * Most packages are a few MiB; one that does not fit while others are held is unpacked to disk instead.
 */
export const DEFAULT_WORKSPACE_MEMORY_BYTES = 96 * 1024 * 1024;
export const DEFAULT_JOB_TIMEOUT_MS = 600_000;
const INTEGRITY_LOOKUP_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_RETRY_BASE_MS = 500;
/** What a harvest may use when the caller does not say: the network, but no Docker engine. */
const DEFAULT_CAPABILITIES: Capabilities = { network: true, docker: false };
const MAX_FAILURES_LISTED = 1000;

export type HarvestEvent =
  | { type: 'item-listed'; key: string; origin: string; added: boolean }
  | { type: 'job-started'; key: string; attempt: number }
  | { type: 'job-skipped'; key: string; reason: string }
  | { type: 'job-done'; key: string; scanId: number; verdict: Verdict; ms: number }
  | { type: 'job-failed'; key: string; reason: string }
  | { type: 'job-retry'; key: string; attempt: number; reason: string }
  | { type: 'source-ended'; source: string; end: SourceEnd };

export interface HarvestOptions {
  store: Store;
  sources: readonly HarvestSource[];
  /** Ctrl-C: stop taking jobs, abort running ones, leave the run resumable. */
  signal: AbortSignal;
  limits: WorkspaceLimits;
  analyzerLimits: AnalyzerLimits;
  /** Most items taken from all sources together. */
  limit?: number | undefined;
  since?: Date | undefined;
  /** Analysis threads (capped at the available cores). */
  concurrency?: number | undefined;
  fetchConcurrency?: number | undefined;
  /** Heap limit of one analysis worker in MiB; a package that needs more fails with a reason. */
  workerHeapMb?: number | undefined;
  jobTimeoutMs?: number | undefined;
  registry?: string | undefined;
  cacheDir?: string | undefined;
  /** Where workspaces are unpacked when they are not held in memory (the system temp dir when unset). */
  tmpDir?: string | undefined;
  /** Bytes of unpacked packages held in memory at once (DEFAULT_WORKSPACE_MEMORY_BYTES when unset; 0: always disk). */
  workspaceMemoryBytes?: number | undefined;
  /** Signature engine for the analysis workers (wasm when unset). */
  signatureEngine?: EngineName | undefined;
  /** Fetch retries after a transient network error, with exponential backoff from retryBaseMs. */
  retries?: number | undefined;
  retryBaseMs?: number | undefined;
  /** How often the run's hold is renewed (store/jobs.ts); a quarter of RUN_LEASE_MS unless a test says otherwise. */
  holdRenewMs?: number | undefined;
  capabilities?: Capabilities | undefined;
  /** Injected for tests; by default worker threads (or in-process when running from sources). */
  pool?: AnalysisPool | undefined;
  /** The analyzer versions a stored scan must have to count as current; ANALYZERS by default. */
  analyzerVersions?: readonly AnalyzerVersion[] | undefined;
  onEvent?: ((event: HarvestEvent) => void) | undefined;
  onWarning?: ((message: string) => void) | undefined;
  /** Called after each new scan is stored, with the package's scan before it (for alerts). */
  onScanned?: ((previous: Report | undefined, current: Report) => void) | undefined;
}

export interface VerdictChange {
  package: string;
  from: Verdict;
  to: Verdict;
}

export interface HarvestSummary {
  runId: number;
  resumed: boolean;
  /** True when the caller's signal stopped the harvest; the run resumes next time. */
  interrupted: boolean;
  targetsSeen: number;
  /** Scans of a version the store had never scanned before. */
  newVersions: number;
  scanned: number;
  skippedUnchanged: number;
  failed: { key: string; reason: string }[];
  verdictChanges: VerdictChange[];
  sourceEnds: ({ source: string } & SourceEnd)[];
  durationMs: number;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Only network trouble (refused, reset, 5xx, timeouts of one request) is worth another try. */
export function isTransient(error: unknown): boolean {
  return error instanceof AssayError && error.category === 'network';
}

/** The packument's tarball and integrity for a job's exact npm version, when its source read them. */
function resolvedVersion(job: Job): ResolvedVersion | undefined {
  const { kind, version } = job.target;
  const integrity = job.npm?.integrity;
  const tarball = job.npm?.tarball;
  if (kind !== 'npm' || version === undefined || integrity === undefined || tarball === undefined) return undefined;
  return { version, integrity, tarball };
}

function optionsRecord(options: HarvestOptions): Record<string, unknown> {
  return {
    sources: options.sources.map((s) => s.id),
    limit: options.limit ?? null,
    since: options.since?.toISOString() ?? null,
    concurrency: options.concurrency ?? null,
  };
}

class Harvest {
  readonly #o: HarvestOptions;
  readonly #runId: number;
  readonly #summary: HarvestSummary;
  readonly #fetchQueue: PQueue;
  readonly #analysisQueue: PQueue;
  readonly #pool: AnalysisPool;
  readonly #ownPool: boolean;
  readonly #analyzers: readonly AnalyzerVersion[];
  readonly #maxActive: number;
  readonly #integrities: IntegrityResolver | undefined;
  readonly #memory: MemoryBudget | undefined;
  #active = 0;
  #listing = true;
  #idle: (() => void) | undefined;
  #failure: unknown;

  constructor(options: HarvestOptions, runId: number, summary: HarvestSummary) {
    this.#o = options;
    this.#runId = runId;
    this.#summary = summary;
    const threads = defaultPoolSize(options.concurrency);
    const fetchers = options.fetchConcurrency ?? DEFAULT_FETCH_CONCURRENCY;
    this.#fetchQueue = new PQueue({ concurrency: fetchers });
    this.#pool = options.pool ?? createAnalysisPool({ size: threads, maxHeapMb: options.workerHeapMb });
    this.#ownPool = options.pool === undefined;
    this.#analysisQueue = new PQueue({ concurrency: Math.max(1, this.#pool.size || threads) });
    // Claim only as many jobs as the stages can hold, so the queue stays in the store, not in memory.
    this.#maxActive = fetchers + Math.max(1, this.#pool.size || threads);
    const capabilities = options.capabilities ?? DEFAULT_CAPABILITIES;
    this.#analyzers =
      options.analyzerVersions ??
      ANALYZERS.map((a) => ({ id: a.id, version: a.version, runnable: missingRequirement(a.requirements, capabilities) === undefined }));
    this.#integrities = options.registry === undefined ? undefined : createIntegrityResolver({ registry: options.registry, timeoutMs: INTEGRITY_LOOKUP_TIMEOUT_MS });
    const memoryBytes = options.workspaceMemoryBytes ?? DEFAULT_WORKSPACE_MEMORY_BYTES;
    // The sandbox copies a workspace from its directory into the container, so with it every workspace is on disk.
    const sandboxed = options.capabilities?.docker === true;
    this.#memory = memoryBytes > 0 && !sandboxed ? new MemoryBudget(memoryBytes) : undefined;
  }

  async run(): Promise<void> {
    const done = new Promise<void>((resolve) => {
      this.#idle = resolve;
    });
    this.#pump();
    try {
      await Promise.all(this.#o.sources.map((source) => this.#list(source)));
    } finally {
      this.#listing = false;
    }
    this.#pump();
    await done;
    if (this.#ownPool) await this.#pool.close();
    if (this.#failure !== undefined) throw this.#failure;
  }

  #emit(event: HarvestEvent): void {
    this.#o.onEvent?.(event);
  }

  get #stopping(): boolean {
    return this.#o.signal.aborted || this.#failure !== undefined;
  }

  #limitReached(): boolean {
    return this.#o.limit !== undefined && this.#summary.targetsSeen >= this.#o.limit;
  }

  async #list(source: HarvestSource): Promise<void> {
    if (this.#stopping || this.#limitReached()) return;
    const generator = source.list({
      signal: this.#o.signal,
      ...(this.#o.limit !== undefined ? { limit: this.#o.limit } : {}),
      ...(this.#o.since !== undefined ? { since: this.#o.since } : {}),
      ...(this.#o.onWarning !== undefined ? { onWarning: this.#o.onWarning } : {}),
    });
    let end: SourceEnd = { status: 'complete', pages: 0, items: 0 };
    try {
      for (;;) {
        if (this.#stopping) {
          end = { status: 'aborted', reason: 'harvest stopped', pages: 0, items: 0 };
          await generator.return(end);
          break;
        }
        if (this.#limitReached()) {
          end = { status: 'limit', reason: `--limit ${this.#o.limit ?? 0} reached`, pages: 0, items: 0 };
          await generator.return(end);
          break;
        }
        const next = await generator.next();
        if (next.done === true) {
          end = next.value;
          break;
        }
        this.#accept(next.value);
      }
    } catch (error) {
      // The store failing while queueing stops the harvest; a source's own trouble only ends that source.
      if (error instanceof AssayError && error.category === 'store') this.#failure ??= error;
      end = { status: this.#o.signal.aborted ? 'aborted' : 'failed', reason: errorMessage(error), pages: 0, items: 0 };
    }
    this.#summary.sourceEnds.push({ source: source.id, ...end });
    this.#emit({ type: 'source-ended', source: source.id, end });
  }

  #accept(item: HarvestItem): void {
    this.#summary.targetsSeen += 1;
    const name = item.target.name;
    if (name !== undefined && (item.registry !== undefined || item.npm !== undefined)) {
      this.#o.store.savePackageMeta(name, { ...(item.registry !== undefined ? { registry: item.registry } : {}), ...(item.npm !== undefined ? { npm: item.npm } : {}) });
    }
    const { added } = this.#o.store.enqueueJob(this.#runId, { key: item.key, target: item.target, origin: item.origin, npm: item.npm });
    this.#emit({ type: 'item-listed', key: item.key, origin: item.origin, added });
    this.#pump();
  }

  /** Claims queued jobs while the stages have room; resolves the harvest when nothing is left to do. */
  #pump(): void {
    while (!this.#stopping && this.#active < this.#maxActive) {
      const job = this.#o.store.claimJob(this.#runId);
      if (job === undefined) break;
      this.#active += 1;
      void this.#process(job)
        .catch((error: unknown) => {
          // Only a store failure gets here; it stops the harvest rather than losing track of a job.
          this.#failure ??= error;
        })
        .finally(() => {
          this.#active -= 1;
          this.#pump();
        });
    }
    // Nothing claimed and nothing running: the queue is empty (or the harvest is stopping).
    if (!this.#listing && this.#active === 0) this.#idle?.();
  }

  async #process(job: Job): Promise<void> {
    const started = performance.now();
    this.#emit({ type: 'job-started', key: job.key, attempt: job.attempts });
    const timeoutMs = this.#o.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // The clock starts when the job's fetch starts, so waiting for a free fetch slot does not count.
    const arm = (): void => {
      timer ??= setTimeout(() => deadline.abort(new DOMException(`job over its ${timeoutMs} ms limit`, 'TimeoutError')), timeoutMs);
    };
    const signal = AbortSignal.any([this.#o.signal, deadline.signal]);
    try {
      if (this.#skipBeforeFetch(job)) return;
      if (await this.#skipByPublishedIntegrity(job, signal)) return;
      const made = await this.#fetchQueue.add(
        () => {
          arm();
          return this.#fetchWithRetry(job, signal);
        },
        { signal },
      );
      try {
        if (this.#skipAfterFetch(job, made)) return;
        this.#o.store.markJobAnalysing(job.id);
        const report = await this.#analyseOrRetry(job, made, signal);
        this.#save(job, report, started);
      } finally {
        await made.dispose();
      }
    } catch (error) {
      if (error instanceof AssayError && error.category === 'store') throw error;
      if (this.#o.signal.aborted) {
        // Interrupted, not failed: the job goes back to the queue and the resumed run does it again.
        this.#o.store.closeJob(job.id, 'queued', 'interrupted');
        return;
      }
      const reason = deadline.signal.aborted ? 'timeout' : errorMessage(error);
      this.#o.store.closeJob(job.id, 'failed', reason);
      if (this.#summary.failed.length < MAX_FAILURES_LISTED) this.#summary.failed.push({ key: job.key, reason });
      this.#emit({ type: 'job-failed', key: job.key, reason });
    } finally {
      clearTimeout(timer);
    }
  }

  #analyse(job: Job, made: FetchedWorkspace, signal: AbortSignal, maxParseTokens?: number): Promise<Report> {
    const { timeoutMs, maxTextBytes } = this.#o.analyzerLimits;
    return this.#analysisQueue.add(
      () =>
        this.#pool.analyse(
          {
            target: job.target,
            workspace: made.workspace,
            analyzerLimits: { timeoutMs, maxTextBytes, ...(maxParseTokens === undefined ? {} : { maxParseTokens }) },
            capabilities: this.#o.capabilities ?? DEFAULT_CAPABILITIES,
            fetchMs: made.fetchMs,
            ...(made.contents === undefined ? {} : { contents: made.contents }),
            ...(this.#o.signatureEngine === undefined ? {} : { signatureEngine: this.#o.signatureEngine }),
          },
          signal,
        ),
      { signal },
    );
  }

  /**
   * A package whose syntax ran an analysis thread out of heap is analysed once more, under the token cap that
   * heap surely holds: its densest scripts are then reported as not parsed instead of the whole package failing.
   * It is fetched again (from the archive cache) because an in-memory workspace moved to the thread that died.
   */
  async #analyseOrRetry(job: Job, made: FetchedWorkspace, signal: AbortSignal): Promise<Report> {
    try {
      return await this.#analyse(job, made, signal);
    } catch (error) {
      if (!(error instanceof OutOfHeapError)) throw error;
      const cap = error.retryParseTokens.toLocaleString('en-US');
      this.#emit({ type: 'job-retry', key: job.key, attempt: 1, reason: `${error.message}; analysing it again with a ${cap}-token parse cap` });
      const again = await this.#fetchQueue.add(() => this.#fetchWithRetry(job, signal), { signal });
      try {
        return await this.#analyse(job, again, signal, error.retryParseTokens);
      } catch (second) {
        if (!(second instanceof OutOfHeapError)) throw second;
        throw new AssayError('internal', `${second.message}; it ran out again when retried with a ${cap}-token parse cap`, { cause: second });
      } finally {
        await again.dispose();
      }
    }
  }

  #skip(job: Job, scanId: number): true {
    const reason = `unchanged since scan ${scanId}`;
    this.#o.store.closeJob(job.id, 'skipped', reason);
    this.#summary.skippedUnchanged += 1;
    this.#emit({ type: 'job-skipped', key: job.key, reason });
    return true;
  }

  /** npm sources give the integrity before fetching: an unchanged version is neither fetched nor scanned. */
  #skipBeforeFetch(job: Job): boolean {
    const { name } = job.target;
    const integrity = job.npm?.integrity;
    if (name === undefined || integrity === undefined) return false;
    const scanId = this.#o.store.unchangedScan({ name, version: job.target.version, integrity }, this.#analyzers);
    return scanId !== undefined && this.#skip(job, scanId);
  }

  /**
   * A listed exact npm version carries no integrity; when the store already scanned that version, the
   * registry's integrity (one packument request, in the I/O pool) is enough to skip it without a download.
   */
  async #skipByPublishedIntegrity(job: Job, signal: AbortSignal): Promise<boolean> {
    const { kind, name, version } = job.target;
    if (kind !== 'npm' || name === undefined || version === undefined || semver.valid(version) === null) return false;
    const resolver = this.#integrities;
    if (resolver === undefined || this.#o.store.latestScan(name)?.report.target.version !== version) return false;
    const integrity = await this.#fetchQueue.add(() => resolver.integrity(name, version, signal), { signal });
    if (integrity === undefined) return false;
    const scanId = this.#o.store.unchangedScan({ name, version, integrity }, this.#analyzers);
    return scanId !== undefined && this.#skip(job, scanId);
  }

  /** Other targets are known only once fetched: an unchanged one is at least not analysed again. */
  #skipAfterFetch(job: Job, made: FetchedWorkspace): boolean {
    const { workspace } = made;
    const name = workspace.name ?? job.target.name ?? job.target.spec;
    const scanId = this.#o.store.unchangedScan(
      { name, version: workspace.version ?? job.target.version, integrity: workspace.integrity, commit: workspace.commit },
      this.#analyzers,
    );
    return scanId !== undefined && this.#skip(job, scanId);
  }

  async #fetchWithRetry(job: Job, signal: AbortSignal): Promise<FetchedWorkspace> {
    const retries = this.#o.retries ?? DEFAULT_RETRIES;
    const base = this.#o.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await fetchForScan(job.target, {
          signal,
          limits: this.#o.limits,
          registry: this.#o.registry,
          cacheDir: this.#o.cacheDir,
          tmpDir: this.#o.tmpDir,
          memory: this.#memory,
          // Retries are ours, with backoff across the whole fetch; the fetcher makes one try per request.
          retries: 0,
          resolved: resolvedVersion(job),
        });
      } catch (error) {
        if (!isTransient(error) || attempt >= retries || signal.aborted) throw error;
        this.#emit({ type: 'job-retry', key: job.key, attempt: attempt + 1, reason: errorMessage(error) });
        await sleep(base * 2 ** attempt, signal);
      }
    }
  }

  #save(job: Job, report: Report, started: number): void {
    const name = packageNameOf(report);
    const previous = this.#o.store.latestScan(name)?.report;
    const { scanId } = this.#o.store.finishJob(job.id, report);
    this.#summary.scanned += 1;
    if (previous === undefined || previous.target.version !== report.target.version) this.#summary.newVersions += 1;
    if (previous !== undefined && previous.score.verdict !== report.score.verdict) {
      this.#summary.verdictChanges.push({ package: name, from: previous.score.verdict, to: report.score.verdict });
    }
    this.#emit({ type: 'job-done', key: job.key, scanId, verdict: report.score.verdict, ms: Math.round(performance.now() - started) });
    try {
      this.#o.onScanned?.(previous, report);
    } catch (error) {
      this.#o.onWarning?.(`alert for ${name} failed: ${errorMessage(error)}`);
    }
  }
}

/**
 * Harvests every source into the store. Resumes an unfinished run if there is one. Never throws for one
 * package's trouble (it is recorded as a failed job with its reason); throws only when the store fails.
 */
export async function runHarvest(options: HarvestOptions): Promise<HarvestSummary> {
  const started = performance.now();
  // Before the analysis threads start: they are the ones that would each take an arena.
  const tuning = tuneMalloc();
  if (tuning.status === 'unavailable') options.onWarning?.(`malloc tuning unavailable, so the harvest will hold more memory: ${tuning.reason}`);
  const run = options.store.beginHarvestRun(optionsRecord(options));
  const lease = holdRun(options, run.id);
  const summary: HarvestSummary = {
    runId: run.id,
    resumed: run.resumed,
    interrupted: false,
    targetsSeen: 0,
    newVersions: 0,
    scanned: 0,
    skippedUnchanged: 0,
    failed: [],
    verdictChanges: [],
    sourceEnds: [],
    durationMs: 0,
  };
  try {
    await new Harvest({ ...options, signal: lease.signal }, run.id, summary).run();
  } finally {
    lease.release();
  }
  summary.durationMs = Math.round(performance.now() - started);
  summary.interrupted = lease.signal.aborted;
  if (summary.interrupted) options.store.interruptHarvestRun(run.id, summary);
  else options.store.finishHarvestRun(run.id, summary);
  if (lease.lost !== undefined) throw lease.lost;
  return summary;
}

interface Lease {
  /** The caller's signal, or this lease's when the run was lost. */
  signal: AbortSignal;
  lost: AssayError | undefined;
  release(): void;
}

/**
 * Renews the run's heartbeat while the harvest runs (store/jobs.ts). Should another harvest take the run over,
 * because this process stopped renewing for longer than the lease, the harvest stops as if interrupted and
 * then fails with the reason, rather than working on beside the new holder.
 */
function holdRun(options: HarvestOptions, runId: number): Lease {
  const controller = new AbortController();
  const lease: Lease = { signal: AbortSignal.any([options.signal, controller.signal]), lost: undefined, release: () => clearInterval(timer) };
  const renew = (): void => {
    let held: boolean;
    try {
      held = options.store.renewHarvestRun(runId);
    } catch (error) {
      options.onWarning?.(`cannot renew the hold on harvest run ${runId}: ${errorMessage(error)}`);
      return;
    }
    if (held || lease.lost !== undefined) return;
    lease.lost = new AssayError('store', `another harvest took over run ${runId} after this one stopped renewing its hold for over ${RUN_LEASE_MS / 1000} s`);
    clearInterval(timer);
    controller.abort(lease.lost);
  };
  const timer = setInterval(renew, options.holdRenewMs ?? RUN_LEASE_MS / 4);
  timer.unref();
  return lease;
}
