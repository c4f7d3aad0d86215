import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ANALYZER_LIMITS, DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import type { Target } from '../core/target.js';
import type { AnalysisPool } from './analysis-pool.js';
import { analyzersFor, createAnalysisPool, createInlinePool } from './analysis-pool.js';
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
    const threads = createAnalysisPool({ size: 1, workerUrl: WORKER });
    pools.push(threads);
    const { req, dispose } = await request();
    try {
      const controller = new AbortController();
      const pending = threads.analyse(req, controller.signal);
      controller.abort(new DOMException('stop', 'AbortError'));
      await expect(pending).rejects.toThrow(/stop/);
      const again = await threads.analyse(req, new AbortController().signal);
      expect(again.target.name).toBe('pool-demo');
    } finally {
      await dispose();
    }
  });

  it('fails a job with a reason when its worker runs out of its heap limit, instead of growing without bound', async () => {
    if (!haveWorker) return;
    const threads = createAnalysisPool({ size: 1, workerUrl: WORKER, maxHeapMb: 1 });
    pools.push(threads);
    const { req, dispose } = await request();
    try {
      await expect(threads.analyse(req, new AbortController().signal)).rejects.toThrow(/ran out of memory: an analysis thread may use 1 MiB of heap \(raise it with --worker-heap-mb\)/);
    } finally {
      await dispose();
    }
  });

  it('rejects a malformed request inside the worker with a reason', async () => {
    if (!haveWorker) return;
    const threads = createAnalysisPool({ size: 1, workerUrl: WORKER });
    pools.push(threads);
    const { req, dispose } = await request();
    try {
      const bad = { ...req, workspace: { ...req.workspace, files: 'nope' } } as unknown as typeof req;
      await expect(threads.analyse(bad, new AbortController().signal)).rejects.toThrow(/malformed analysis request/);
    } finally {
      await dispose();
    }
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
});
