/**
 * THE KILL TEST: a harvest killed with SIGKILL mid-way and started again ends with exactly one result per
 * target. Runs the compiled harvest (dist/, built by global-setup) in a child process with worker threads.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TARGETS = 30;

let dir: string;
let dbPath: string;

const SCRIPT = `
import { runHarvest } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/queue/harvest.js')).href)};
import { listFileSource } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/sources/list-file.js')).href)};
import { openStore } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/store/index.js')).href)};
import { DEFAULT_ANALYZER_LIMITS, DEFAULT_WORKSPACE_LIMITS } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/core/limits.js')).href)};
const [list, db] = process.argv.slice(2);
const store = openStore(db);
const summary = await runHarvest({
  store, sources: [listFileSource({ path: list })], signal: new AbortController().signal,
  limits: DEFAULT_WORKSPACE_LIMITS, analyzerLimits: DEFAULT_ANALYZER_LIMITS,
  concurrency: 2, fetchConcurrency: 2, capabilities: { network: false, docker: false },
});
store.close();
process.stdout.write(JSON.stringify(summary));
`;

function makeTargets(count = TARGETS): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const root = join(dir, 'targets', `server-${i}`);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: `kill-test-server-${i}`, version: '1.0.0', main: 'index.js' }));
    // Enough code that analysis takes a moment, so the kill lands while jobs run.
    const body = Array.from({ length: 400 }, (_, n) => `function f${n}(x) { return require('child_process').exec('echo ' + x + ${n}); }`).join('\n');
    writeFileSync(join(root, 'index.js'), `const { Server } = require('@modelcontextprotocol/sdk/server/index.js');\n${body}\n`);
    lines.push(root);
  }
  const list = join(dir, `targets-${count}.txt`);
  writeFileSync(list, `${lines.join('\n')}\n`);
  return list;
}

function start(list: string, db = dbPath): ChildProcess {
  const script = join(dir, 'harvest.mjs');
  writeFileSync(script, SCRIPT);
  return spawn(process.execPath, [script, list, db], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function query<T>(sql: string, path = dbPath): T[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare<[], T>(sql).all();
  } finally {
    db.close();
  }
}

function jobStates(path = dbPath): Record<string, number> {
  try {
    return Object.fromEntries(query<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state', path).map((r) => [r.state, r.n]));
  } catch {
    return {};
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, err })));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'assay-kill-'));
  dbPath = join(dir, 'kill.db');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('harvest kill and resume', () => {
  it('loses no target and scans none twice after SIGKILL mid-way', async () => {
    const list = makeTargets();
    const first = start(list);
    const firstExit = exited(first);
    let states: Record<string, number> = {};
    const deadline = Date.now() + 60_000;
    // Kill once some jobs are done and others are in progress.
    for (;;) {
      states = jobStates();
      const running = (states.fetching ?? 0) + (states.analysing ?? 0);
      if ((states.done ?? 0) >= 3 && running > 0) break;
      if (Date.now() > deadline) throw new Error(`never caught the harvest mid-way: ${JSON.stringify(states)}`);
      await sleep(20);
    }
    first.kill('SIGKILL');
    const killed = await firstExit;
    expect(killed.signal).toBe('SIGKILL');
    const afterKill = jobStates();
    expect(afterKill.done ?? 0).toBeLessThan(TARGETS);

    const second = await exited(start(list));
    expect(second.code, second.err).toBe(0);
    const summary = JSON.parse(second.out) as { resumed: boolean; failed: unknown[]; runId: number };
    expect(summary.resumed).toBe(true);
    expect(summary.failed).toEqual([]);

    const perPackage = query<{ name: string; n: number }>(
      'SELECT p.name AS name, COUNT(s.id) AS n FROM packages p JOIN versions v ON v.package_id = p.id JOIN scans s ON s.version_id = v.id GROUP BY p.name',
    );
    expect(perPackage).toHaveLength(TARGETS);
    expect(perPackage.filter((r) => r.n !== 1)).toEqual([]);
    const jobs = query<{ key: string; state: string; scanId: number | null }>('SELECT key, state, scan_id AS scanId FROM jobs');
    expect(jobs).toHaveLength(TARGETS);
    expect(jobs.filter((j) => j.state !== 'done' || j.scanId === null)).toEqual([]);
    expect(new Set(jobs.map((j) => j.scanId)).size).toBe(TARGETS);
    const runs = query<{ id: number; finished: number }>('SELECT id, finished_at IS NOT NULL AS finished FROM harvest_runs');
    expect(runs).toEqual([{ id: summary.runId, finished: 1 }]);
  }, 180_000);

  it('refuses a second harvest on the database while the first runs, which then scans every target once', async () => {
    // Enough targets that the first harvest is still running when the second has started up.
    const count = 4 * TARGETS;
    const list = makeTargets(count);
    const db = join(dir, 'overlap.db');
    const first = start(list, db);
    const firstExit = exited(first);
    const deadline = Date.now() + 60_000;
    while ((jobStates(db).done ?? 0) < 1) {
      if (Date.now() > deadline) throw new Error('the first harvest never finished a job');
      await sleep(20);
    }
    const second = await exited(start(list, db));
    expect(second.code).not.toBe(0);
    expect(second.err).toMatch(/another harvest is running on this database \(run 1, pid \d+ on ".*", last heartbeat \d+ s ago\)/);
    expect(jobStates(db).done ?? 0, 'the first harvest ended before the second was refused').toBeLessThan(count);

    const done = await firstExit;
    expect(done.code, done.err).toBe(0);
    const perPackage = query<{ n: number }>('SELECT COUNT(s.id) AS n FROM packages p JOIN versions v ON v.package_id = p.id JOIN scans s ON s.version_id = v.id GROUP BY p.name', db);
    expect(perPackage).toHaveLength(count);
    expect(perPackage.filter((r) => r.n !== 1)).toEqual([]);
    expect(query<{ finished: number; token: string | null }>('SELECT finished_at IS NOT NULL AS finished, owner_token AS token FROM harvest_runs', db)).toEqual([{ finished: 1, token: null }]);
  }, 180_000);
});
