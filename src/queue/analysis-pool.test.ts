import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ANALYZER_LIMITS, DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import type { Target } from '../core/target.js';
import type { AnalysisPool, AnalysisRequest } from './analysis-pool.js';
import { OutOfHeapError, analyzersFor, createAnalysisPool, createInlinePool, retryParseTokens, transferable } from './analysis-pool.js';
import { MemoryBudget } from '../fetch/memory.js';
import { buildTgz } from '../fetch/test-helpers/tar-builder.js';
import { workspaceFromArchive } from '../fetch/workspace.js';
import { ANALYZERS } from '../analyzers/index.js';
import { SignaturesAnalyzer } from '../analyzers/signatures/index.js';
import { fetchForScan } from './scan-job.js';

// The worker runs compiled code: dist/ is built by test/global-setup.ts.
const WORKER = new URL('../../dist/queue/analysis-worker.js', import.meta.url);
const haveWorker = existsSync(fileURLToPath(WORKER));

let dir: string;
let pools: AnalysisPool[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'assay-pool-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'pool-demo', version: '1.0.0' }));
  writeFileSync(join(dir, 'index.js'), "require('child_process').exec(process.argv[2]);\n");
});
afterEach(async () => {
  for (const pool of pools) await pool.close();
  pools = [];
  rmSync(dir, { recursive: true, force: true });
});

async function request(): Promise<{ dispose: () => Promise<void>; req: Parameters<AnalysisPool['analyse']>[0] }> {
  const target: Target = { kind: 'dir', spec: dir };
  const made = await fetchForScan(target, { signal: new AbortController().signal, limits: DEFAULT_WORKSPACE_LIMITS });
  return {
    dispose: () => made.dispose(),
    req: { target, workspace: made.workspace, analyzerLimits: DEFAULT_ANALYZER_LIMITS, capabilities: { network: false, docker: false }, fetchMs: made.fetchMs },
  };
}

/** A one-worker pool (closed after the test) and a request for the fixture directory, disposed after `use`. */
async function withOneWorker(use: (threads: AnalysisPool, req: AnalysisRequest) => Promise<void>, options: { maxHeapMb?: number } = {}): Promise<void> {
  const threads = createAnalysisPool({ size: 1, workerUrl: WORKER, ...options });
  pools.push(threads);
  const { req, dispose } = await request();
  try {
    await use(threads, req);
  } finally {
    await dispose();
  }
}

describe('analysis pool', () => {
  it('gives the same verdict in a worker thread as in process', async () => {
    if (!haveWorker) return;
    const threads = createAnalysisPool({ size: 1, workerUrl: WORKER });
    const inline = createInlinePool();
    pools.push(threads, inline);
    const { req, dispose } = await request();
    try {
      const [a, b] = await Promise.all([threads.analyse(req, new AbortController().signal), inline.analyse(req, new AbortController().signal)]);
      expect(threads.size).toBe(1);
      expect(a.target.name).toBe('pool-demo');
      expect(a.findings.map((f) => f.fingerprint).sort()).toEqual(b.findings.map((f) => f.fingerprint).sort());
      expect(a.score.verdict).toBe(b.score.verdict);
    } finally {
      await dispose();
    }
  });

  it('an aborted job rejects at once and the pool keeps working with a fresh worker', async () => {
    if (!haveWorker) return;
    await withOneWorker(async (threads, req) => {
      const controller = new AbortController();
      const pending = threads.analyse(req, controller.signal);
      controller.abort(new DOMException('stop', 'AbortError'));
      await expect(pending).rejects.toThrow(/stop/);
      const again = await threads.analyse(req, new AbortController().signal);
      expect(again.target.name).toBe('pool-demo');
    });
  });

  it('fails a job with a reason when its worker runs out of its heap limit, instead of growing without bound', async () => {
    if (!haveWorker) return;
    await withOneWorker(async (threads, req) => {
      await expect(threads.analyse(req, new AbortController().signal)).rejects.toThrow(/ran out of memory: an analysis thread may use 1 MiB of heap \(raise it with --worker-heap-mb\)/);
    }, { maxHeapMb: 1 });
  });

  it('rejects a malformed request inside the worker with a reason', async () => {
    if (!haveWorker) return;
    await withOneWorker(async (threads, req) => {
      const bad = { ...req, workspace: { ...req.workspace, files: 'nope' } } as unknown as typeof req;
      await expect(threads.analyse(bad, new AbortController().signal)).rejects.toThrow(/malformed analysis request/);
    });
  });

  it('swaps in the signatures analyzer of the requested engine, made once per engine', () => {
    expect(analyzersFor({})).toBeUndefined();
    expect(analyzersFor({ signatureEngine: 'wasm' })).toBeUndefined();
    const list = analyzersFor({ signatureEngine: 'yara-x' });
    expect(list?.map((a) => a.id)).toEqual(ANALYZERS.map((a) => a.id));
    const signatures = list?.find((a) => a.id === 'signatures');
    expect(signatures).toBeInstanceOf(SignaturesAnalyzer);
    expect((signatures as SignaturesAnalyzer).engineName).toBe('yara-x');
    expect(analyzersFor({ signatureEngine: 'yara-x' })).toBe(list);
  });

  it('analyses a workspace held in memory like the same package on disk, moving its buffers to the worker', async () => {
    if (!haveWorker) return;
    const threads = createAnalysisPool({ size: 1, workerUrl: WORKER });
    pools.push(threads);
    const archive = buildTgz([
      { path: 'package/package.json', body: JSON.stringify({ name: 'pool-demo', version: '1.0.0' }) },
      { path: 'package/index.js', body: "require('child_process').exec(process.argv[2]);\n" },
    ]);
    const target: Target = { kind: 'tarball', spec: 'demo.tgz' };
    const fetchCtx = { limits: DEFAULT_WORKSPACE_LIMITS, signal: new AbortController().signal, tmpDir: dir };
    const onDisk = await workspaceFromArchive(archive, target, {}, fetchCtx);
    const inMemory = await workspaceFromArchive(archive, target, {}, { ...fetchCtx, memory: new MemoryBudget(1024 * 1024) });
    const base = { target, analyzerLimits: DEFAULT_ANALYZER_LIMITS, capabilities: { network: false, docker: false }, fetchMs: 0 };
    try {
      const contents = inMemory.contents;
      expect(contents).toBeDefined();
      const a = await threads.analyse({ ...base, workspace: onDisk.workspace }, new AbortController().signal);
      const b = await threads.analyse({ ...base, workspace: inMemory.workspace, ...(contents ? { contents } : {}) }, new AbortController().signal);
      expect(b.findings.map((f) => f.fingerprint).sort()).toEqual(a.findings.map((f) => f.fingerprint).sort());
      expect(b.findings.some((f) => f.ruleId === 'code/exec-dynamic-command')).toBe(true);
      expect(b.score).toEqual(a.score);
      // Moved, not copied: the caller's buffers are now empty.
      expect([...(contents?.values() ?? [])].map((bytes) => bytes.byteLength)).toEqual([0, 0]);
    } finally {
      await Promise.all([onDisk.dispose(), inMemory.dispose()]);
    }
  });

  it('rejects contents that do not match the listing inside the worker', async () => {
    if (!haveWorker) return;
    await withOneWorker(async (threads, req) => {
      const { root: _root, ...workspace } = req.workspace;
      const contents = new Map([['package.json', new Uint8Array(3)]]);
      await expect(threads.analyse({ ...req, workspace, contents }, new AbortController().signal)).rejects.toThrow(/malformed analysis request: .* is listed/);
    });
  });

  // Two dense bundles just under the parse caps (a reconstruction of the dual ESM/CommonJS builds many
  // servers ship, made denser): the code analyzer used to keep the first tree for the tools analyzer while
  // parsing the second, and the default 384 MiB heap ran out (3 of 3 runs). Now the kept tree makes room first.
  it('analyses two dense bundles at the parse cap within the default heap', { timeout: 120_000 }, async () => {
    if (!haveWorker) return;
    const dense = (i: number): string =>
      `function f${i}(a, b) { const o = { name: "t${i}", description: "does ${i}", inputSchema: { type: "object", properties: { x: { type: "string" } } } }; if (a > b) { return [a, b, o, ${i}].map((v) => v + 1); } return o; }\n`;
    const parts: string[] = [];
    let length = 0;
    // 3.6 MiB of this is about 1.46 million tokens: under both parse caps, so both files are parsed.
    for (let i = 0; length < 3.6 * 1024 * 1024; i += 1) {
      const line = dense(i);
      parts.push(line);
      length += line.length;
    }
    const bundle = parts.join('');
    writeFileSync(join(dir, 'index.js'), bundle);
    writeFileSync(join(dir, 'index.cjs'), bundle.replaceAll('function f', 'function g'));
    await withOneWorker(async (threads, req) => {
      const report = await threads.analyse(req, new AbortController().signal);
      expect(report.analyzers.find((a) => a.id === 'code')?.status).not.toBe('failed');
      expect(report.analyzers.find((a) => a.id === 'tools')?.status).not.toBe('failed');
      expect(report.findings.filter((f) => f.ruleId === 'code/file-skipped')).toEqual([]);
    });
  });

  // Bytes do not bound a tree: 3.9 MiB of `;` is four million statements, and parsing it ran the default heap out.
  it('skips a script too dense to parse instead of running out of heap', { timeout: 60_000 }, async () => {
    if (!haveWorker) return;
    writeFileSync(join(dir, 'index.js'), ';'.repeat(3.9 * 1024 * 1024));
    await withOneWorker(async (threads, req) => {
      const report = await threads.analyse(req, new AbortController().signal);
      expect(report.findings.find((f) => f.ruleId === 'code/file-skipped')?.message).toMatch(/^index\.js has about 4,089,446 tokens, over the 1,500,000-token cap/);
    });
  });

  // Under the token cap, syntax can still be denser than the heap holds: 0.6 MiB of `;` is 630,000 statements,
  // about 150 MiB of Babel's tree. The retry's cap is one no tree of that many tokens can exceed. The scripts are
  // TypeScript, which Babel always parses: acorn's trees of plain JavaScript are smaller (ADR 0004).
  it('runs out of a small heap on a dense script, and fits it under the retry token cap', { timeout: 60_000 }, async () => {
    if (!haveWorker) return;
    writeFileSync(join(dir, 'index.ts'), ';'.repeat(0.6 * 1024 * 1024));
    await withOneWorker(async (threads, req) => {
      const underRetryCap = ';'.repeat(retryParseTokens(128) - 1);
      const error = await threads.analyse(req, new AbortController().signal).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutOfHeapError);
      expect(error).toMatchObject({ heapMb: 128, retryParseTokens: retryParseTokens(128) });
      // The retry: two more scripts just under its cap are parsed in the same heap.
      writeFileSync(join(dir, 'a.ts'), underRetryCap);
      writeFileSync(join(dir, 'b.ts'), underRetryCap);
      const { req: again, dispose } = await request();
      try {
        const report = await threads.analyse({ ...again, analyzerLimits: { ...again.analyzerLimits, maxParseTokens: retryParseTokens(128) } }, new AbortController().signal);
        expect(report.analyzers.filter((a) => a.status === 'failed')).toEqual([]);
        expect(report.findings.filter((f) => f.ruleId === 'code/file-skipped').map((f) => f.message)).toEqual([
          'index.ts has about 629,145 tokens, over the 209,715-token cap (lowered from 1,500,000 for a retry after the analysis ran out of heap) for parsing code; it was not analysed',
        ]);
      } finally {
        await dispose();
      }
    }, { maxHeapMb: 128 });
  });

  it.each([
    [64, 52_428],
    [128, 209_715],
    [256, 629_145],
    [384, 1_048_576],
  ])('gives a %i MiB heap a retry token cap of %i', (heapMb, tokens) => {
    expect(retryParseTokens(heapMb)).toBe(tokens);
  });

  it('lists only buffers that own their whole memory for moving', () => {
    const own = new Uint8Array(8);
    const shared = new ArrayBuffer(16);
    const contents = new Map<string, Uint8Array>([
      ['own', own],
      ['part', new Uint8Array(shared, 0, 8)],
      ['again', own],
      ['empty', new Uint8Array(0)],
    ]);
    expect(transferable(contents)).toEqual([own.buffer]);
    expect(transferable(undefined)).toEqual([]);
  });
});
