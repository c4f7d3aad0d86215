/**
 * A small pool of worker threads for the CPU-bound half of a scan. The main thread fetches a workspace
 * and hands its description to a worker; the worker analyses it and posts the report back, validated here
 * with zod. A job that is aborted (Ctrl-C, its time limit) terminates its worker, which is replaced on the
 * next job: analyzers cannot be trusted to stop on their own mid-file.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { z } from 'zod';
import { AssayError } from '../core/errors.js';
import type { ErrorCategory } from '../core/errors.js';
import type { Report } from '../core/report.js';
import { ReportSchema } from '../core/report.js';
import { TargetSchema } from '../core/target.js';
import { WorkspaceContentsSchema, WorkspaceSchema } from '../core/workspace.js';
import type { WorkspaceContents } from '../core/workspace.js';
import { abortReason } from '../fetch/workspace.js';
import { ANALYZERS, withAnalyzer } from '../analyzers/index.js';
import { createSignaturesAnalyzer } from '../analyzers/signatures/index.js';
import { ENGINE_NAMES, type EngineName } from '../analyzers/signatures/engine/types.js';
import type { Analyzer } from '../core/analyzer.js';
import { analyseWorkspace } from './scan-job.js';

/** What the main thread sends a worker: plain data only; the worker re-creates the reader from the root or the contents. */
export const AnalysisRequestSchema = z.object({
  target: TargetSchema,
  workspace: WorkspaceSchema,
  analyzerLimits: z.object({ timeoutMs: z.number().int().positive(), maxTextBytes: z.number().int().positive(), maxParseTokens: z.number().int().positive().optional() }),
  capabilities: z.object({ network: z.boolean(), docker: z.boolean() }),
  fetchMs: z.number().nonnegative(),
  /** Signature engine, when not the default wasm one (`harvest --yara-engine`). */
  signatureEngine: z.enum(ENGINE_NAMES).optional(),
  /** The files of a workspace held in memory; they move to the worker rather than being copied. */
  contents: WorkspaceContentsSchema.optional(),
});
export type AnalysisRequest = Omit<z.infer<typeof AnalysisRequestSchema>, 'contents'> & { contents?: WorkspaceContents };

export type AnalysisResponse =
  | { id: number; ok: true; report: Report }
  | { id: number; ok: false; category: string; message: string };

const ResponseSchema = z.discriminatedUnion('ok', [
  z.object({ id: z.number().int(), ok: z.literal(true), report: z.unknown() }),
  z.object({ id: z.number().int(), ok: z.literal(false), category: z.string().max(64), message: z.string().max(4000) }),
]);

const CATEGORIES = new Set<string>(['usage', 'notFound', 'invalidInput', 'network', 'integrity', 'store', 'timeout', 'internal', 'interrupted']);

/**
 * Young generation of each analysis worker. Parsing allocates millions of short-lived nodes, and with V8's
 * small default the workers spent about a third of their time collecting. Once used, the young generation
 * stays resident: single harvests of the bench, alternated, peaked at 914–963 MiB RSS with two workers at
 * 64 MiB and at 776–910 MiB at 32 MiB, with the same CPU time within this machine's noise (docs/harvest.md).
 */
export const YOUNG_GENERATION_MB = 32;

/**
 * Old generation of each analysis worker unless told otherwise. Without a cap V8 lets a worker's heap grow
 * to gigabytes of garbage before collecting (2.3–3 GB peak RSS for two workers). The largest tree of a real
 * script measured is 118 MiB (a 2.6 MiB bundle of 1.09 million tokens); two dense 3.6 MiB bundles of 1.46
 * million tokens each need more than 256 MiB. A lower cap did not lower a harvest's peak beyond the run-to-run
 * spread (256 MiB: 868 and 910 MiB against 841 and 908 MiB). Denser syntax under the token cap can still run a
 * worker out (`;` repeated keeps 252 bytes per token): the harvest then analyses that package again under
 * `retryParseTokens`.
 */
export const DEFAULT_WORKER_HEAP_MB = 384;

/**
 * Heap per estimated token of the densest syntax tree measured, with room to spare: `;` repeated keeps 252
 * bytes per token and reaches 280 at the end of its parse (real bundles keep 80–150). The token cap does not
 * assume it: real scripts near the cap would not be parsed. It bounds the retry of a package that ran out.
 */
export const WORST_HEAP_BYTES_PER_TOKEN = 320;

/** Heap of a worker that is not the syntax tree: the analyzers' code and state, the text read, the report. */
const HEAP_RESERVE_MB = 64;

/** Token cap under which any script's tree fits a worker of this heap: the cap of a retry after running out. */
export function retryParseTokens(heapMb: number): number {
  const room = Math.max(heapMb - HEAP_RESERVE_MB, heapMb / 4) * 1024 * 1024;
  return Math.max(1, Math.floor(room / WORST_HEAP_BYTES_PER_TOKEN));
}

/**
 * A job ran its worker out of heap. The caller may run it again (from a fresh fetch: an in-memory workspace
 * moved to the dead worker) with `analyzerLimits.maxParseTokens` at `retryParseTokens`.
 */
export class OutOfHeapError extends AssayError {
  constructor(
    readonly heapMb: number,
    readonly retryParseTokens: number,
    options: { cause?: unknown },
  ) {
    super('internal', `analysis ran out of memory: an analysis thread may use ${heapMb} MiB of heap (raise it with --worker-heap-mb)`, options);
    this.name = 'OutOfHeapError';
  }
}

export interface AnalysisPool {
  /** Threads (0 for an in-process pool). */
  readonly size: number;
  analyse(request: AnalysisRequest, signal: AbortSignal): Promise<Report>;
  close(): Promise<void>;
}

export interface PoolOptions {
  /** Threads; defaults to the available cores. */
  size?: number;
  /** The compiled worker script; defaults to analysis-worker.js next to this module. */
  workerUrl?: URL;
  /** Old-generation heap of one worker in MiB (DEFAULT_WORKER_HEAP_MB when unset); a job that needs more fails with a reason. */
  maxHeapMb?: number | undefined;
}

/** The default worker script, or undefined when running from sources (tests) where it is not compiled. */
export function defaultWorkerUrl(): URL | undefined {
  const url = new URL('./analysis-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

export function defaultPoolSize(concurrency?: number): number {
  // All cores: the main thread mostly waits on I/O (fetch, extract, SQLite), so it needs no core of its own.
  const cores = Math.max(1, availableParallelism());
  return Math.max(1, Math.min(concurrency ?? cores, cores));
}

function validatedReport(raw: unknown): Report {
  const parsed = ReportSchema.safeParse(raw);
  if (!parsed.success) throw new AssayError('internal', `the analysis worker returned an invalid report: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

const analyzerLists = new Map<EngineName, readonly Analyzer[]>();

/**
 * The analyzer list for a request: the default one, or with the signatures analyzer on another engine (made
 * once per engine and thread, so the rule library is not read again for every package).
 */
export function analyzersFor(request: Pick<AnalysisRequest, 'signatureEngine'>): readonly Analyzer[] | undefined {
  const engine = request.signatureEngine;
  if (engine === undefined || engine === 'wasm') return undefined;
  let list = analyzerLists.get(engine);
  if (list === undefined) {
    list = withAnalyzer(ANALYZERS, createSignaturesAnalyzer({ engine }));
    analyzerLists.set(engine, list);
  }
  return list;
}

/**
 * The buffers of in-memory contents that can move to the worker instead of being copied: each must own its
 * whole ArrayBuffer (the memory sink makes them so), or moving it would take bytes from something else.
 */
export function transferable(contents: WorkspaceContents | undefined): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const bytes of contents?.values() ?? []) {
    const buffer = bytes.buffer;
    if (buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength && buffer.byteLength > 0) out.add(buffer);
  }
  return [...out];
}

/** Runs analyses in this thread: for tests, and where worker threads are unavailable. */
export function createInlinePool(): AnalysisPool {
  return {
    size: 0,
    analyse: async (request, signal) => {
      const analyzers = analyzersFor(request);
      return validatedReport(await analyseWorkspace(request.target, request.workspace, { ...request, signal, ...(analyzers === undefined ? {} : { analyzers }) }));
    },
    close: async () => undefined,
  };
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

interface Waiter {
  resolve: (slot: Slot) => void;
}

class ThreadPool implements AnalysisPool {
  readonly size: number;
  readonly #url: URL;
  readonly #maxHeapMb: number | undefined;
  readonly #slots: Slot[] = [];
  readonly #waiting: Waiter[] = [];
  #nextId = 1;
  #closed = false;

  constructor(size: number, url: URL, maxHeapMb: number | undefined) {
    this.size = size;
    this.#url = url;
    this.#maxHeapMb = maxHeapMb;
  }

  async analyse(request: AnalysisRequest, signal: AbortSignal): Promise<Report> {
    signal.throwIfAborted();
    const slot = await this.#acquire(signal);
    try {
      return await this.#run(slot, request, signal);
    } finally {
      this.#release(slot);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const workers = this.#slots.splice(0).map((s) => s.worker.terminate());
    await Promise.allSettled(workers);
  }

  #acquire(signal: AbortSignal): Promise<Slot> {
    if (this.#closed) return Promise.reject(new AssayError('internal', 'the analysis pool is closed'));
    if (signal.aborted) return Promise.reject(abortReason(signal));
    const idle = this.#slots.find((s) => !s.busy);
    if (idle !== undefined) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    if (this.#slots.length < this.size) {
      const slot: Slot = { worker: this.#spawn(), busy: true };
      this.#slots.push(slot);
      return Promise.resolve(slot);
    }
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = { resolve };
      const onAbort = (): void => {
        const at = this.#waiting.indexOf(waiter);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(abortReason(signal));
      };
      waiter.resolve = (slot) => {
        signal.removeEventListener('abort', onAbort);
        resolve(slot);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #release(slot: Slot): void {
    if (!this.#slots.includes(slot)) return;
    const next = this.#waiting.shift();
    if (next !== undefined) {
      next.resolve(slot);
      return;
    }
    slot.busy = false;
  }

  #spawn(): Worker {
    const resourceLimits: ResourceLimits = { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, maxOldGenerationSizeMb: this.#maxHeapMb ?? DEFAULT_WORKER_HEAP_MB };
    // With two or more analysis workers the cores are taken: each worker's signature engine scans on one thread.
    return new Worker(this.#url, { resourceLimits, workerData: { engineThreads: this.size >= 2 ? 1 : undefined } });
  }

  /** Out of heap is the package's size meeting our cap, and says which knob raises it. */
  #crash(error: Error): AssayError {
    if ((error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
      const heapMb = this.#maxHeapMb ?? DEFAULT_WORKER_HEAP_MB;
      return new OutOfHeapError(heapMb, retryParseTokens(heapMb), { cause: error });
    }
    return new AssayError('internal', `analysis worker crashed: ${error.message}`, { cause: error });
  }

  /** Replaces a worker that was terminated or died, keeping its place (and its busy flag) in the pool. */
  #replace(slot: Slot): void {
    void slot.worker.terminate();
    if (!this.#closed) slot.worker = this.#spawn();
  }

  #run(slot: Slot, request: AnalysisRequest, signal: AbortSignal): Promise<Report> {
    const id = this.#nextId++;
    const { worker } = slot;
    return new Promise<Report>((resolve, reject) => {
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal.removeEventListener('abort', onAbort);
      };
      const fail = (error: unknown): void => {
        cleanup();
        this.#replace(slot);
        reject(error);
      };
      const onMessage = (raw: unknown): void => {
        const parsed = ResponseSchema.safeParse(raw);
        if (!parsed.success || parsed.data.id !== id) return;
        cleanup();
        const response = parsed.data;
        if (!response.ok) {
          const category: ErrorCategory = CATEGORIES.has(response.category) ? (response.category as ErrorCategory) : 'internal';
          reject(new AssayError(category, response.message));
          return;
        }
        try {
          resolve(validatedReport(response.report));
        } catch (error) {
          reject(error);
        }
      };
      const onError = (error: Error): void => fail(this.#crash(error));
      const onExit = (code: number): void => fail(new AssayError('internal', `analysis worker exited with code ${code}`));
      const onAbort = (): void => fail(abortReason(signal));
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      // The signal may have fired while this job waited for a worker.
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      worker.postMessage({ id, request }, transferable(request.contents));
    });
  }
}

/** Worker threads when the compiled worker exists, otherwise the in-process fallback. */
export function createAnalysisPool(options: PoolOptions = {}): AnalysisPool {
  const url = options.workerUrl ?? defaultWorkerUrl();
  if (url === undefined) return createInlinePool();
  return new ThreadPool(options.size ?? defaultPoolSize(), url, options.maxHeapMb);
}
