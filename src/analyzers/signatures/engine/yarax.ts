import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { MAX_MATCH_BYTES, MAX_MATCHES_PER_STRING, inInputOrder, runLimited } from './wasm.js';
import { YARAX_WORKER_SOURCE } from './yarax-worker-source.js';
import { callWorker } from './worker-call.js';
import { parseRules, type ParsedRule } from './yara-syntax.js';
import type { CompileError, CompiledRuleSet, RuleMatch, RuleSource, ScanInput, ScanOutcome, SignatureEngine } from './types.js';

/** The slice of @litko/yara-x we use; typed here so the optional package is not needed to typecheck. */
interface YaraXMatch { offset: number; length: number; identifier: string }
interface YaraXRule { ruleIdentifier: string; matches: YaraXMatch[] }
interface YaraXScanner {
  scan(data: Buffer): YaraXRule[];
  setMaxMatchesPerPattern(n: number): void;
}
interface YaraXModule {
  compile(source: string): YaraXScanner;
  validate(source: string): { errors: { message: string; line?: number }[] };
}

let cached: { mod: YaraXModule; path: string } | null | undefined;

function load(): { mod: YaraXModule; path: string } | null {
  if (cached !== undefined) return cached;
  try {
    const require = createRequire(import.meta.url);
    const path = require.resolve('@litko/yara-x');
    cached = { mod: require(path) as YaraXModule, path };
  } catch {
    cached = null;
  }
  return cached;
}

/** YARA-X reports positions inside the message (`--> line:12:5`). */
function lineOf(e: { message: string; line?: number }): number | undefined {
  if (e.line !== undefined) return e.line;
  const m = /--> line:(\d{1,9})/.exec(e.message.slice(0, 2000));
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

function firstLineOf(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/^error\[[A-Z0-9]{1,10}\]: /, '');
}

export class YaraXEngine implements SignatureEngine {
  readonly name = 'yara-x' as const;

  constructor(private readonly options: YaraXOptions = {}) {}

  available(): Promise<boolean> {
    return Promise.resolve(load() !== null);
  }

  compile(sources: readonly RuleSource[]): Promise<CompiledRuleSet> {
    const loaded = load();
    if (loaded === null) return Promise.reject(new Error('the yara-x engine (@litko/yara-x) is not installed on this platform'));
    const mod = loaded.mod;
    const errors: CompileError[] = [];
    let good = sources.filter((s) => {
      const first = mod.validate(s.text).errors[0];
      if (first === undefined) return true;
      const line = lineOf(first);
      errors.push({ path: s.path, ...(line === undefined ? {} : { line }), message: firstLineOf(first.message) });
      return false;
    });
    // Files that are fine alone can still clash together (a rule name used twice): drop the later one.
    for (;;) {
      const firstLines: number[] = [];
      let line = 1;
      for (const s of good) { firstLines.push(line); line += s.text.split('\n').length; }
      const first = mod.validate(good.map((s) => s.text).join('\n')).errors[0];
      if (first === undefined) break;
      const at = lineOf(first) ?? 1;
      let k = 0;
      firstLines.forEach((l, i) => { if (l <= at) k = i; });
      const bad = good[k];
      if (bad === undefined) break;
      errors.push({ path: bad.path, line: at - (firstLines[k] ?? 1) + 1, message: firstLineOf(first.message) });
      good = good.filter((_s, i) => i !== k);
    }
    const text = good.map((s) => s.text).join('\n');
    const size = this.options.workers ?? Math.min(2, availableParallelism());
    if (size <= 0) return Promise.resolve(new YaraXRuleSet({ scanner: mod.compile(text) }, good, errors));
    const workers = new YaraXWorkers(size, { modulePath: loaded.path, rules: text, maxPerString: MAX_MATCHES_PER_STRING }, this.options.callTimeoutMs ?? 60_000);
    return workers.start().then(() => new YaraXRuleSet({ workers, size }, good, errors));
  }
}

/** Capped when reported, not while scanning: a scanner-side cap would also change `#a` counts in conditions. */
function capPerString(matches: readonly YaraXMatch[]): YaraXMatch[] {
  const seen = new Map<string, number>();
  return matches.filter((m) => {
    const n = seen.get(m.identifier) ?? 0;
    seen.set(m.identifier, n + 1);
    return n < MAX_MATCHES_PER_STRING;
  });
}

type Backend = { scanner: YaraXScanner } | { workers: YaraXWorkers; size: number };

class YaraXRuleSet implements CompiledRuleSet {
  readonly engine = 'yara-x' as const;
  readonly rules: readonly string[];
  private readonly parsed = new Map<string, ParsedRule>();
  private backend: Backend | null;

  constructor(backend: Backend, sources: readonly RuleSource[], readonly errors: readonly CompileError[]) {
    this.backend = backend;
    for (const s of sources) for (const r of parseRules(s.text)) this.parsed.set(r.name, r);
    this.rules = [...this.parsed.keys()];
  }

  async scan(files: readonly ScanInput[], signal?: AbortSignal): Promise<ScanOutcome> {
    const backend = this.backend;
    if (backend === null) throw new Error('signature engine is closed');
    const outcome: ScanOutcome = { matches: new Map(), errors: [] };
    if ('scanner' in backend) {
      for (const f of files) {
        signal?.throwIfAborted();
        try {
          outcome.matches.set(f.name, backend.scanner.scan(f.data).map((r) => this.toMatch(r.ruleIdentifier, capPerString(r.matches).map((m) => [m.identifier, m.offset, m.length]), f.data)));
        } catch (err) {
          outcome.errors.push({ name: f.name, message: err instanceof Error ? err.message : String(err) });
        }
      }
      return outcome;
    }
    const byName = new Map(files.map((f) => [f.name, f]));
    const take = (results: readonly WorkerResult[]): void => {
      for (const r of results) {
        const file = byName.get(r.name);
        if (file === undefined) continue;
        if (r.error !== undefined || r.rules === undefined) outcome.errors.push({ name: r.name, message: r.error ?? 'no result' });
        else outcome.matches.set(r.name, r.rules.map((m) => this.toMatch(m.rule, m.matches, file.data)));
      }
    };
    // Largest first, so the last groups to finish are small ones and no worker idles behind a big file.
    const bySize = [...files].sort((a, b) => b.data.length - a.data.length);
    await runLimited(groups(bySize), backend.size, async (group) => {
      try {
        take(await backend.workers.scan(group, signal));
      } catch (err) {
        signal?.throwIfAborted();
        // One file that hangs or kills the worker must not cost its neighbours their scan.
        for (const f of group.length > 1 ? group : []) {
          try {
            take(await backend.workers.scan([f], signal));
          } catch (e) {
            signal?.throwIfAborted();
            outcome.errors.push({ name: f.name, message: e instanceof Error ? e.message : String(e) });
          }
        }
        if (group.length === 1 && group[0] !== undefined) outcome.errors.push({ name: group[0].name, message: err instanceof Error ? err.message : String(err) });
      }
    });
    return inInputOrder(files, outcome);
  }

  async close(): Promise<void> {
    const backend = this.backend;
    this.backend = null;
    if (backend !== null && 'workers' in backend) await backend.workers.close();
  }

  private toMatch(rule: string, matches: readonly [string, number, number][], data: Buffer): RuleMatch {
    return {
      rule,
      meta: { ...(this.parsed.get(rule)?.meta ?? {}) },
      strings: matches.map(([id, offset, length]) => ({
        id,
        offset,
        length,
        data: Buffer.from(data.subarray(offset, offset + Math.min(length, MAX_MATCH_BYTES))),
      })),
    };
  }
}

/** Files per worker message: large enough to amortise messaging, small enough to spread over both workers. */
const GROUP_BYTES = 2 * 1024 * 1024;
const GROUP_FILES = 256;

interface WorkerResult { name: string; rules?: { rule: string; matches: [string, number, number][] }[]; error?: string }
interface WorkerReply { id: number; ok: boolean; results?: WorkerResult[]; error?: string }

export interface YaraXOptions {
  /** Worker threads (default: up to 2, one per core); 0 scans on the calling thread. */
  workers?: number;
  /** Wall-clock limit for one message; over it the worker is replaced and its files are errors. */
  callTimeoutMs?: number;
}

/**
 * Workers that each hold the compiled set. A native scan cannot be interrupted: a worker over its time limit
 * is terminated (it dies when the scan returns) and replaced, and the caller moves on at once.
 */
class YaraXWorkers {
  private readonly idle: Worker[] = [];
  private readonly waiting: { resolve: (w: Worker) => void; reject: (e: unknown) => void }[] = [];
  private live = 0;
  private nextId = 1;
  private closed = false;

  constructor(private readonly size: number, private readonly data: { modulePath: string; rules: string; maxPerString: number }, private readonly timeoutMs: number) {}

  async scan(files: readonly ScanInput[], signal?: AbortSignal): Promise<WorkerResult[]> {
    const worker = await this.acquire();
    let healthy = true;
    try {
      return await this.send(worker, files, signal);
    } catch (err) {
      healthy = false;
      throw err;
    } finally {
      this.release(worker, healthy);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = this.idle.splice(0);
    this.live -= all.length;
    for (const w of this.waiting.splice(0)) w.reject(new Error('signature engine is closed'));
    await Promise.all(all.map((w) => w.terminate()));
  }

  /** Starts every worker and waits until each has compiled the set, so compile time is not scan time. */
  async start(): Promise<void> {
    const started = await Promise.allSettled(Array.from({ length: this.size }, () => this.spawn()));
    for (const s of started) if (s.status === 'fulfilled') { this.live++; this.idle.push(s.value); }
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) {
      await this.close();
      throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    }
  }

  private spawn(): Promise<Worker> {
    const worker = new Worker(YARAX_WORKER_SOURCE, { eval: true, workerData: this.data });
    worker.unref();
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        worker.off('message', onMessage);
        worker.off('error', done);
        worker.off('exit', onExit);
        if (err === undefined) { resolve(worker); return; }
        void worker.terminate();
        reject(err);
      };
      const onMessage = (msg: { id: number; ready?: boolean; error?: string }): void => {
        if (msg.id === 0 && msg.ready === true) done(msg.error === undefined ? undefined : new Error(msg.error));
      };
      const onExit = (code: number): void => done(new Error(`yara-x worker exited with code ${code}`));
      worker.on('message', onMessage);
      worker.on('error', done);
      worker.on('exit', onExit);
    });
  }

  private acquire(): Promise<Worker> {
    if (this.closed) return Promise.reject(new Error('signature engine is closed'));
    const w = this.idle.pop();
    if (w !== undefined) return Promise.resolve(w);
    if (this.live < this.size) {
      this.live++;
      return this.spawn().catch((err: unknown) => { this.live--; throw err; });
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(worker: Worker, healthy: boolean): void {
    if (!healthy || this.closed) {
      this.live--;
      void worker.terminate();
      const next = this.closed ? undefined : this.waiting.shift();
      if (next !== undefined) {
        this.live++;
        this.spawn().then(next.resolve, (err: unknown) => { this.live--; next.reject(err); });
      }
      return;
    }
    const next = this.waiting.shift();
    if (next !== undefined) next.resolve(worker);
    else this.idle.push(worker);
  }

  private async send(worker: Worker, files: readonly ScanInput[], signal?: AbortSignal): Promise<WorkerResult[]> {
    const message = { id: this.nextId++, files: files.map((f) => ({ name: f.name, data: f.data })) };
    const msg = await callWorker<WorkerReply>(worker, message, {
      label: 'yara-x', timeoutMs: this.timeoutMs, timeoutError: () => new Error(`signature scan exceeded ${this.timeoutMs} ms`), signal,
    });
    if (msg.ok && msg.results !== undefined) return msg.results;
    throw new Error(msg.error ?? 'yara-x worker error');
  }
}

function* groups(files: readonly ScanInput[]): Generator<ScanInput[]> {
  let cur: ScanInput[] = [];
  let bytes = 0;
  for (const f of files) {
    if (cur.length > 0 && (bytes + f.data.length > GROUP_BYTES || cur.length >= GROUP_FILES)) {
      yield cur;
      cur = [];
      bytes = 0;
    }
    cur.push(f);
    bytes += f.data.length;
  }
  if (cur.length > 0) yield cur;
}
