import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Report } from '../core/report.js';
import { ReportSchema } from '../core/report.js';
import { analyzersCovered } from './jobs.js';
import type { Store } from './store.js';
import { openStore } from './store.js';

const INTEGRITY = 'sha512-aaaa';

function report(version = '1.0.0', integrity = INTEGRITY, analyzers: Report['analyzers'] = [{ id: 'code', version: 2, status: 'succeeded', durationMs: 1, errors: [] }]): Report {
  return ReportSchema.parse({
    schemaVersion: 1,
    tool: { name: 'mcp-assay', version: '0.1.0' },
    scannedAt: '2025-01-01T00:00:00.000Z',
    target: { kind: 'npm', spec: `demo@${version}`, name: 'demo', version, integrity },
    score: { value: 90, grade: 'A', verdict: 'pass', complete: true, breakdown: [] },
    findings: [],
    analyzers,
    tools: [],
    files: { count: 1, bytes: 10, incomplete: false, binaries: [] },
    timings: { fetchMs: 1, analyzeMs: 1, scoreMs: 1, totalMs: 3 },
  });
}

const item = (key: string) => ({ key, target: { kind: 'npm' as const, spec: key, name: 'demo', version: '1.0.0' }, origin: 'list' });

let dir: string;
let store: Store;
let dbPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'assay-jobs-'));
  dbPath = join(dir, 'a.db');
  store = openStore(dbPath);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function countRows(table: 'scans' | 'jobs'): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n ?? -1;
  } finally {
    db.close();
  }
}

describe('harvest runs', () => {
  it('resumes an unfinished run and starts a new one after a finished run', () => {
    const first = store.beginHarvestRun({});
    expect(first.resumed).toBe(false);
    const again = store.beginHarvestRun({});
    expect(again).toMatchObject({ id: first.id, resumed: true });
    store.interruptHarvestRun(first.id, { why: 'ctrl-c' });
    expect(store.beginHarvestRun({}).id).toBe(first.id);
    store.finishHarvestRun(first.id, {});
    const next = store.beginHarvestRun({});
    expect(next.id).not.toBe(first.id);
    expect(next.resumed).toBe(false);
  });
});

describe('jobs', () => {
  it('enqueues a key once per run', () => {
    const run = store.beginHarvestRun({});
    expect(store.enqueueJob(run.id, item('npm:demo@1.0.0')).added).toBe(true);
    expect(store.enqueueJob(run.id, item('npm:demo@1.0.0')).added).toBe(false);
    expect(store.enqueueJob(run.id, { ...item('npm:demo@1.0.1'), npm: { integrity: INTEGRITY } }).job.npm).toEqual({ integrity: INTEGRITY });
    expect(store.jobCounts(run.id).queued).toBe(2);
  });

  it('claims the oldest queued job and marks it in progress, then none', () => {
    const run = store.beginHarvestRun({});
    store.enqueueJob(run.id, item('a'));
    store.enqueueJob(run.id, item('b'));
    const first = store.claimJob(run.id);
    expect(first).toMatchObject({ key: 'a', state: 'fetching', attempts: 1 });
    expect(store.claimJob(run.id)?.key).toBe('b');
    expect(store.claimJob(run.id)).toBeUndefined();
  });

  it('saves the scan and marks the job done in one transaction', () => {
    const run = store.beginHarvestRun({});
    store.enqueueJob(run.id, item('a'));
    const job = store.claimJob(run.id);
    if (job === undefined) throw new Error('no job');
    const { scanId } = store.finishJob(job.id, report());
    expect(store.job(job.id)).toMatchObject({ state: 'done', scanId });
    expect(countRows('scans')).toBe(1);
  });

  it('saves nothing when the job is not in progress (no "saved but not done")', () => {
    const run = store.beginHarvestRun({});
    store.enqueueJob(run.id, item('a'));
    const job = store.claimJob(run.id);
    if (job === undefined) throw new Error('no job');
    store.finishJob(job.id, report());
    expect(() => store.finishJob(job.id, report('1.0.1'))).toThrow(/not in progress/);
    expect(countRows('scans')).toBe(1);
  });

  it('rolls back the job when saving the scan fails (no "done but not saved")', () => {
    const run = store.beginHarvestRun({});
    store.enqueueJob(run.id, item('a'));
    const job = store.claimJob(run.id);
    if (job === undefined) throw new Error('no job');
    const bad = { ...report(), score: { ...report().score, value: 500 } } as Report;
    expect(() => store.finishJob(job.id, bad)).toThrow();
    expect(store.job(job.id)?.state).toBe('fetching');
    expect(countRows('scans')).toBe(0);
  });

  it('records a failure with its reason, bounded', () => {
    const run = store.beginHarvestRun({});
    store.enqueueJob(run.id, item('a'));
    const job = store.claimJob(run.id);
    if (job === undefined) throw new Error('no job');
    expect(store.closeJob(job.id, 'failed', 'x'.repeat(5000))).toBe(true);
    const failed = store.job(job.id);
    expect(failed?.state).toBe('failed');
    expect(failed?.reason?.length).toBe(1000);
    expect(store.closeJob(job.id, 'failed', 'again')).toBe(false);
  });

  it('requeues jobs a killed process left in progress when the run is resumed', () => {
    const run = store.beginHarvestRun({});
    for (const key of ['a', 'b', 'c']) store.enqueueJob(run.id, item(key));
    const a = store.claimJob(run.id);
    const b = store.claimJob(run.id);
    if (a === undefined || b === undefined) throw new Error('no job');
    store.markJobAnalysing(b.id);
    store.finishJob(a.id, report());
    store.close();
    store = openStore(dbPath);
    const resumed = store.beginHarvestRun({});
    expect(resumed).toMatchObject({ id: run.id, resumed: true });
    expect(store.jobCounts(run.id)).toMatchObject({ queued: 2, done: 1, fetching: 0, analysing: 0 });
    expect(store.claimJob(run.id)?.attempts).toBe(2);
  });

  it('rejects hostile keys and keeps metadata validated', () => {
    const run = store.beginHarvestRun({});
    expect(() => store.enqueueJob(run.id, item(''))).toThrow();
    expect(() => store.enqueueJob(run.id, item('k'.repeat(3000)))).toThrow();
    store.savePackageMeta('demo', { registry: { registryName: 'io.example/demo' } });
    store.savePackageMeta('demo', { npm: { integrity: INTEGRITY } });
    expect(store.packageMeta('demo')).toEqual({ registry: { registryName: 'io.example/demo' }, npm: { integrity: INTEGRITY } });
  });
});

describe('already scanned?', () => {
  const current = [{ id: 'code', version: 2 }];

  it.each([
    { name: 'same integrity and analyzers', identity: { version: '1.0.0', integrity: INTEGRITY }, analyzers: current, skip: true },
    { name: 'another integrity (republished bytes)', identity: { version: '1.0.0', integrity: 'sha512-bbbb' }, analyzers: current, skip: false },
    { name: 'another version', identity: { version: '1.0.1', integrity: INTEGRITY }, analyzers: current, skip: false },
    { name: 'no integrity or commit', identity: { version: '1.0.0' }, analyzers: current, skip: false },
    { name: 'an analyzer got newer', identity: { version: '1.0.0', integrity: INTEGRITY }, analyzers: [{ id: 'code', version: 3 }], skip: false },
    { name: 'a new analyzer', identity: { version: '1.0.0', integrity: INTEGRITY }, analyzers: [...current, { id: 'tools', version: 1 }], skip: false },
    { name: 'an analyzer got older', identity: { version: '1.0.0', integrity: INTEGRITY }, analyzers: [{ id: 'code', version: 1 }], skip: true },
  ])('$name → skip $skip', ({ identity, analyzers, skip }) => {
    store.saveReport(report());
    const found = store.unchangedScan({ name: 'demo', ...identity }, analyzers);
    expect(found !== undefined).toBe(skip);
  });

  it('rescans after an analyzer change only the packages whose newest scan used the older version', () => {
    store.saveReport(report('1.0.0', INTEGRITY, [{ id: 'code', version: 3, status: 'succeeded', durationMs: 1, errors: [] }]));
    store.saveReport(report('2.0.0', 'sha512-cccc'));
    const newer = [{ id: 'code', version: 3 }];
    expect(store.unchangedScan({ name: 'demo', version: '1.0.0', integrity: INTEGRITY }, newer)).toBeDefined();
    expect(store.unchangedScan({ name: 'demo', version: '2.0.0', integrity: 'sha512-cccc' }, newer)).toBeUndefined();
  });

  it('compares analyzer versions by id', () => {
    expect(analyzersCovered([{ id: 'a', version: 2 }], [{ id: 'a', version: 2 }])).toBe(true);
    expect(analyzersCovered([], [{ id: 'a', version: 1 }])).toBe(false);
    expect(analyzersCovered([{ id: 'a', version: 5 }, { id: 'b', version: 1 }], [{ id: 'b', version: 1 }])).toBe(true);
  });
});
