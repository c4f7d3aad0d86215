import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { WASM_WORKER_SOURCE } from './wasm-worker-source.js';
import { callWorker } from './worker-call.js';

export interface WasmCall {
  rules: string;
  data: Uint8Array;
  /** First byte of each file when `data` is a concatenation. */
  starts?: number[];
  /** Filler bytes between consecutive files in `data` (not part of any file). */
  gap?: number;
  maxPerString: number;
  /**
   * The caller gives up `data` (a buffer it made for this call): it moves to the worker as it is. Ignored unless
   * `data` spans its whole ArrayBuffer, so a pooled or shared buffer is never detached. Otherwise the worker is
   * sent a copy of its own.
   */
  transfer?: boolean;
}

export interface WasmReply {
  /** `straddled`: indices of files touched by a match that was dropped for crossing a file boundary. */
  rules: { rule: string; matches: [string, number, number][]; straddled?: number[] }[];
  errors: { message: string; line: number; warning: boolean }[];
}

export interface PoolOptions {
  size?: number;
  /** Wall-clock limit for one call; over it the worker is terminated and replaced. */
  callTimeoutMs?: number;
  /** Re-instantiate the wasm module after this many calls or this heap size. */
  recycleCalls?: number;
  heapLimitBytes?: number;
  /** Copy input into the wasm heap with one TypedArray.set instead of embind's byte loop (default true). */
  fastCopy?: boolean;
  /** Put the instance's starting heap back after every call instead of letting it grow (default true). */
  restoreHeap?: boolean;
}

export class WasmTimeoutError extends Error {
  constructor(ms: number) {
    super(`signature scan exceeded ${ms} ms`);
    this.name = 'WasmTimeoutError';
  }
}

interface Slot {
  worker: Worker;
  busy: boolean;
  recycled: number;
}

interface Reply extends WasmReply { id: number; ok: boolean; error?: string; recycled: number; fastCopy?: boolean; heapBytes?: number }

/** A few workers, each owning one libyara-wasm instance; calls queue until a worker is free. */
export class WasmPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly opts: Required<PoolOptions>;
  private readonly modulePath: string;
  private nextId = 1;
  private closed = false;
  private retiredRecycles = 0;
  /** Workers started over the pool's life (replacements after a timeout included). */
  workersStarted = 0;
  /** Whether the last reply came from a worker running the bulk-copy build (undefined before any call). */
  fastCopyActive: boolean | undefined;
  /** Size of the replying worker's wasm memory after its last call (undefined before any call). */
  heapBytes: number | undefined;

  constructor(options: PoolOptions = {}) {
    this.opts = {
      size: options.size ?? Math.min(2, availableParallelism()),
      callTimeoutMs: options.callTimeoutMs ?? 60_000,
      recycleCalls: options.recycleCalls ?? 60,
      heapLimitBytes: options.heapLimitBytes ?? 96 * 1024 * 1024,
      fastCopy: options.fastCopy ?? true,
      restoreHeap: options.restoreHeap ?? true,
    };
    this.modulePath = createRequire(import.meta.url).resolve('libyara-wasm');
  }

  /** How many times workers have thrown away their wasm instance and started a new one. */
  get recycles(): number {
    return this.retiredRecycles + this.slots.reduce((n, s) => n + s.recycled, 0);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get size(): number {
    return this.opts.size;
  }

  get liveWorkers(): number {
    return this.slots.length;
  }

  async call(req: WasmCall, signal?: AbortSignal): Promise<WasmReply> {
    if (this.closed) throw new Error('signature engine is closed');
    signal?.throwIfAborted();
    const slot = await this.acquire();
    try {
      return await this.send(slot, req, signal);
    } finally {
      slot.busy = false;
      this.waiting.shift()?.();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
    for (const w of this.waiting.splice(0)) w();
  }

  private async acquire(): Promise<Slot> {
    for (;;) {
      if (this.closed) throw new Error('signature engine is closed');
      const idle = this.slots.find((s) => !s.busy);
      if (idle !== undefined) { idle.busy = true; return idle; }
      if (this.slots.length < this.opts.size) {
        const slot = this.spawn();
        slot.busy = true;
        return slot;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WASM_WORKER_SOURCE, {
      eval: true,
      workerData: {
        modulePath: this.modulePath,
        recycleCalls: this.opts.recycleCalls,
        heapLimit: this.opts.heapLimitBytes,
        fastCopy: this.opts.fastCopy,
        restoreHeap: this.opts.restoreHeap,
      },
    });
    worker.unref();
    this.workersStarted++;
    const slot: Slot = { worker, busy: false, recycled: 0 };
    this.slots.push(slot);
    return slot;
  }

  private replace(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    this.retiredRecycles += slot.recycled;
    void slot.worker.terminate();
  }

  private async send(slot: Slot, req: WasmCall, signal?: AbortSignal): Promise<WasmReply> {
    const data = ownedCopy(req);
    const transfer = data.byteLength > 0 && data.buffer instanceof ArrayBuffer ? [data.buffer] : [];
    const message = { id: this.nextId++, rules: req.rules, data, starts: req.starts, gap: req.gap, maxPerString: req.maxPerString };
    let msg: Reply;
    try {
      msg = await callWorker<Reply>(slot.worker, message, {
        label: 'wasm', timeoutMs: this.opts.callTimeoutMs, timeoutError: () => new WasmTimeoutError(this.opts.callTimeoutMs), signal, transfer,
      });
    } catch (err) {
      // Crashed, exited, too slow or abandoned: the worker's state is unknown, so it goes.
      this.replace(slot);
      throw err;
    }
    slot.recycled = msg.recycled;
    if (msg.fastCopy !== undefined) this.fastCopyActive = msg.fastCopy;
    if (msg.heapBytes !== undefined) this.heapBytes = msg.heapBytes;
    // An error the worker reported itself leaves it usable: it has already dropped its wasm instance.
    if (!msg.ok) throw new Error(`wasm engine error: ${msg.error ?? 'unknown'}`);
    return { rules: msg.rules, errors: msg.errors };
  }
}

/**
 * The bytes to move to the worker: the caller's buffer when it gave it up, else a copy made to be moved. Posting
 * a buffer without moving it copies it twice (into the message, then out of it), and in whole: a view of a
 * larger buffer takes all of that buffer along. Each copy of a large file lands in fresh pages, whose faults
 * cost more than the copy on a virtual machine.
 */
function ownedCopy(req: WasmCall): Uint8Array {
  const { data } = req;
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  if (req.transfer === true && whole && data.buffer instanceof ArrayBuffer) return data;
  return new Uint8Array(data);
}
