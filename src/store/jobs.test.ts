import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MISSING_REQUIREMENT } from '../core/analyzer.js';
import type { Report } from '../core/report.js';
import { ReportSchema } from '../core/report.js';
import { RUN_LEASE_MS, analyzersCovered, liveHolder, processAlive } from './jobs.js';
import type { RunHolder } from './jobs.js';
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

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid ?? 0;
}

describe('who holds a run', () => {
  const self = { token: 'mine', pid: 100, host: 'here' };
  const NOW = 1_000_000;
  const alive = (pid: number): boolean => pid === 200;
  const held = (over: Partial<RunHolder>): RunHolder => ({ ownerToken: 'theirs', ownerPid: 200, ownerHost: 'here', heartbeatAt: NOW - 1000, ...over });
  const cases: [string, RunHolder, boolean][] = [
    ['nobody holds it', held({ ownerToken: null }), false],
    ['this owner holds it', held({ ownerToken: 'mine' }), false],
    ['the holder never beat', held({ heartbeatAt: null }), false],
    ['the heartbeat is older than the lease', held({ heartbeatAt: NOW - RUN_LEASE_MS - 1 }), false],
    ['the holder on this host is gone', held({ ownerPid: 201 }), false],
    ['a live holder on this host beat a second ago', held({}), true],
    ['a holder on another host beat a second ago, whatever its pid here', held({ ownerHost: 'there', ownerPid: 201 }), true],
    ['a heartbeat exactly at the lease', held({ heartbeatAt: NOW - RUN_LEASE_MS }), true],
  ];
  it.each(cases)('%s', (_label, holder, busy) => {
    expect(liveHolder(holder, self, NOW, alive) !== undefined).toBe(busy);
  });

  it('describes the holder without letting its host name restyle the terminal', () => {
    const text = liveHolder(held({ ownerHost: `evil\u001b[2J${'h'.repeat(200)}` }), self, NOW, alive) ?? '';
    expect(text).toMatch(/^pid 200 on ".*", last heartbeat 1 s ago$/);
    expect(text).not.toMatch(/\u001b/);
    expect(text.length).toBeLessThan(120);
  });

  it('knows this process is alive and a finished one is not', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(deadPid())).toBe(false);
    expect(processAlive(0)).toBe(false);
    expect(processAlive(-1)).toBe(false);
  });
});

describe('holding a run', () => {
  const other = { token: 'other-harvest', pid: process.pid, host: hostname() };

  function holderRow(runId: number): { token: string | null; heartbeat: number | null; status: string } | undefined {
    const db = new Database(dbPath, { readonly: true });
    try {
      return db.prepare<[number], { token: string | null; heartbeat: number | null; status: string }>(
        'SELECT owner_token AS token, heartbeat_at AS heartbeat, status FROM harvest_runs WHERE id = ?',
      ).get(runId);
    } finally {
      db.close();
    }
  }

  it('refuses a second harvest while a live one holds the run, and leaves its jobs alone', () => {
    const run = store.beginHarvestRun({}, other);
    store.enqueueJob(run.id, item('a'));
    store.claimJob(run.id);
    expect(() => store.beginHarvestRun({})).toThrow(/another harvest is running on this database \(run 1, pid \d+ on ".*", last heartbeat \d+ s ago\)/);
    expect(store.jobCounts(run.id)).toMatchObject({ fetching: 1, queued: 0 });
    expect(store.renewHarvestRun(run.id)).toBe(false);
    expect(store.renewHarvestRun(run.id, other)).toBe(true);
  });

  it('takes over a run whose holder is gone, and a stopped holder no longer finishes it', () => {
    const gone = { token: 'killed-harvest', pid: deadPid(), host: hostname() };
    const run = store.beginHarvestRun({}, gone);
    store.enqueueJob(run.id, item('a'));
    store.claimJob(run.id);
    const resumed = store.beginHarvestRun({});
    expect(resumed).toMatchObject({ id: run.id, resumed: true });
    expect(store.jobCounts(run.id)).toMatchObject({ fetching: 0, queued: 1 });
    store.finishHarvestRun(run.id, {}, gone);
    expect(holderRow(run.id)?.status).toBe('running');
    store.finishHarvestRun(run.id, {});
    expect(holderRow(run.id)).toMatchObject({ token: null, heartbeat: null, status: 'finished' });
  });

  it('takes over a run on another host once its heartbeat is older than the lease', () => {
    const far = { token: 'far-harvest', pid: process.pid, host: 'another-host' };
    const run = store.beginHarvestRun({}, far);
    expect(() => store.beginHarvestRun({})).toThrow(/another harvest is running/);
    const db = new Database(dbPath);
    try {
      db.prepare('UPDATE harvest_runs SET heartbeat_at = ? WHERE id = ?').run(Date.now() - RUN_LEASE_MS - 1000, run.id);
    } finally {
      db.close();
    }
    expect(store.beginHarvestRun({})).toMatchObject({ id: run.id, resumed: true });
  });

  it('lets go of a run it interrupts, so that any harvest may resume it', () => {
    const run = store.beginHarvestRun({}, other);
    store.interruptHarvestRun(run.id, { why: 'ctrl-c' }, other);
    expect(holderRow(run.id)).toMatchObject({ token: null, status: 'interrupted' });
    expect(store.beginHarvestRun({})).toMatchObject({ id: run.id, resumed: true });
    expect(holderRow(run.id)?.token).not.toBeNull();
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

  const sandboxRun = (status: 'skipped' | 'succeeded', reason?: string): Report['analyzers'] => [
    { id: 'code', version: 2, status: 'succeeded', durationMs: 1, errors: [] },
    { id: 'sandbox', version: 1, status, durationMs: 0, errors: [], ...(reason === undefined ? {} : { reason }) },
  ];
  it.each([
    { name: 'skipped for want of Docker, and this harvest has it', run: sandboxRun('skipped', MISSING_REQUIREMENT.docker), runnable: true, skip: false },
    { name: 'skipped for want of Docker, and this harvest lacks it too', run: sandboxRun('skipped', MISSING_REQUIREMENT.docker), runnable: false, skip: true },
    { name: 'skipped for its own reason, and this harvest has Docker', run: sandboxRun('skipped', 'no server entry point to start'), runnable: true, skip: true },
    { name: 'ran, and this harvest has Docker', run: sandboxRun('succeeded'), runnable: true, skip: true },
    { name: 'ran, and this harvest lacks Docker', run: sandboxRun('succeeded'), runnable: false, skip: true },
  ])('a sandbox that $name → skip $skip', ({ run, runnable, skip }) => {
    store.saveReport(report('1.0.0', INTEGRITY, run));
    const analyzers = [{ id: 'code', version: 2, runnable: true }, { id: 'sandbox', version: 1, runnable }];
    expect(store.unchangedScan({ name: 'demo', version: '1.0.0', integrity: INTEGRITY }, analyzers) !== undefined).toBe(skip);
  });

  it('compares analyzer versions by id', () => {
    expect(analyzersCovered([{ id: 'a', version: 2 }], [{ id: 'a', version: 2 }])).toBe(true);
    expect(analyzersCovered([], [{ id: 'a', version: 1 }])).toBe(false);
    expect(analyzersCovered([{ id: 'a', version: 5 }, { id: 'b', version: 1 }], [{ id: 'b', version: 1 }])).toBe(true);
  });
});
