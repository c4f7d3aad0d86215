/**
 * The durable harvest queue: runs, jobs and package metadata. Every state change is one statement or one
 * transaction, so a process killed at any instant leaves each job either before or after a step, never half.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { skippedForRequirement } from '../core/analyzer.js';
import { AssayError } from '../core/errors.js';
import { escapeTerminal, truncateText } from '../core/text.js';
import type { Report } from '../core/report.js';
import type { Target } from '../core/target.js';
import { TargetSchema } from '../core/target.js';
import type { NpmVersionMeta, RegistryMeta } from '../sources/source.js';
import { NpmVersionMetaSchema, RegistryMetaSchema } from '../sources/source.js';
import type { Db } from './db.js';
import type { Repo } from './repo.js';

export const JOB_STATES = ['queued', 'fetching', 'analysing', 'done', 'failed', 'skipped'] as const;
export const JobStateSchema = z.enum(JOB_STATES);
export type JobState = z.infer<typeof JobStateSchema>;
/** States a live worker holds a job in; a killed run leaves jobs here and the next one requeues them. */
export const IN_PROGRESS_STATES: readonly JobState[] = ['fetching', 'analysing'];

export const RUN_STATUSES = ['running', 'finished', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

const MAX_KEY = 2048;
const MAX_REASON = 1000;

export interface HarvestRun {
  id: number;
  startedAt: string;
  /** True when an unfinished earlier run was picked up again. */
  resumed: boolean;
}

/** Who holds a run while harvesting it (migration 3). */
export interface RunOwner {
  /** Random per process: a pid alone can be reused after a crash. */
  token: string;
  pid: number;
  host: string;
}

/** How long a holder that stopped renewing its heartbeat still counts; a harvest renews it four times as often. */
export const RUN_LEASE_MS = 60_000;

const HolderSchema = z.object({
  ownerToken: z.string().nullable(),
  ownerPid: z.number().int().nullable(),
  ownerHost: z.string().nullable(),
  heartbeatAt: z.number().int().nullable(),
});
export type RunHolder = z.infer<typeof HolderSchema>;

/**
 * Describes the harvest that still holds a run, or undefined when the run is free to take: it is ours, nobody's,
 * its heartbeat is older than the lease, or its process on this host is gone (a SIGKILL frees the run at once).
 */
export function liveHolder(holder: RunHolder, self: RunOwner, nowMs: number, isAlive: (pid: number) => boolean): string | undefined {
  const { ownerToken, ownerPid, ownerHost, heartbeatAt } = holder;
  if (ownerToken === null || ownerToken === self.token || heartbeatAt === null) return undefined;
  if (nowMs - heartbeatAt > RUN_LEASE_MS) return undefined;
  if (ownerHost === self.host && ownerPid !== null && !isAlive(ownerPid)) return undefined;
  const seconds = Math.max(0, Math.round((nowMs - heartbeatAt) / 1000));
  return `pid ${ownerPid ?? '?'} on ${JSON.stringify(truncateText(escapeTerminal(ownerHost ?? '?'), 64))}, last heartbeat ${seconds} s ago`;
}

const PROCESS_OWNER: RunOwner = { token: randomUUID(), pid: process.pid, host: hostname() };

/** This process as a run's holder: one token for its lifetime, so it may resume a run it left itself. */
export function processRunOwner(): RunOwner {
  return PROCESS_OWNER;
}

/** Whether a process with this pid exists on this host (one owned by another user counts). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface JobInput {
  key: string;
  target: Target;
  origin: string;
  npm?: NpmVersionMeta | undefined;
}

export interface Job {
  id: number;
  runId: number;
  key: string;
  target: Target;
  origin: string;
  npm?: NpmVersionMeta;
  state: JobState;
  attempts: number;
  reason?: string;
  scanId?: number;
}

export type JobCounts = Record<JobState, number>;

/** What identifies the bytes of a version: a stored scan of the same identity may make a new one needless. */
export interface ScanIdentity {
  name: string;
  version?: string | undefined;
  integrity?: string | undefined;
  commit?: string | undefined;
}

export interface AnalyzerVersion {
  id: string;
  version: number;
  /**
   * True when the harvest asking has what the analyzer requires (a Docker engine for the sandbox): a stored
   * scan that skipped it for want of that requirement does not cover it then.
   */
  runnable?: boolean;
}

/** An analyzer as a stored scan ran it. */
export interface StoredAnalyzerRun {
  id: string;
  version: number;
  status: string;
  reason: string | null;
}

const JobRowSchema = z.object({
  id: z.number().int(),
  runId: z.number().int(),
  key: z.string().max(MAX_KEY),
  targetJson: z.string(),
  origin: z.string().max(256),
  npmJson: z.string().nullable(),
  state: JobStateSchema,
  attempts: z.number().int().nonnegative(),
  reason: z.string().nullable(),
  scanId: z.number().int().nullable(),
});
type JobRow = z.infer<typeof JobRowSchema>;

const RunRowSchema = HolderSchema.extend({ id: z.number().int(), startedAt: z.string() });

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AssayError('store', `${what} holds invalid JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AssayError('store', `${what} is damaged: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

function jobFromRow(raw: unknown): Job {
  const parsed = JobRowSchema.safeParse(raw);
  if (!parsed.success) throw new AssayError('store', `a job row is damaged: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const row: JobRow = parsed.data;
  const what = `job ${row.id}`;
  const job: Job = {
    id: row.id,
    runId: row.runId,
    key: row.key,
    target: parseJson(TargetSchema, row.targetJson, what),
    origin: row.origin,
    state: row.state,
    attempts: row.attempts,
  };
  if (row.npmJson !== null) job.npm = parseJson(NpmVersionMetaSchema, row.npmJson, what);
  if (row.reason !== null) job.reason = row.reason;
  if (row.scanId !== null) job.scanId = row.scanId;
  return job;
}

const now = (): string => new Date().toISOString();
const bound = (text: string): string => (text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text);

const JOB_COLUMNS = `id, run_id AS runId, key, target_json AS targetJson, origin, npm_json AS npmJson, state, attempts,
  reason, scan_id AS scanId`;

// Finishing or interrupting lets go of the run, but only a run this harvest still holds (or nobody does).
const RELEASE_RUN = 'owner_token = NULL, owner_pid = NULL, owner_host = NULL, heartbeat_at = NULL';
const HELD_BY = '(owner_token IS NULL OR owner_token = ?)';

function prepare(db: Db) {
  return {
    unfinishedRun: db.prepare<[], unknown>(
      `SELECT id, started_at AS startedAt, owner_token AS ownerToken, owner_pid AS ownerPid, owner_host AS ownerHost,
         heartbeat_at AS heartbeatAt FROM harvest_runs WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1`,
    ),
    insertRun: db.prepare<[string, string, string, number, string, number]>(
      `INSERT INTO harvest_runs (started_at, status, options_json, owner_token, owner_pid, owner_host, heartbeat_at)
       VALUES (?, 'running', ?, ?, ?, ?, ?)`,
    ),
    claimRun: db.prepare<[string, number, string, number, number]>(
      "UPDATE harvest_runs SET status = 'running', owner_token = ?, owner_pid = ?, owner_host = ?, heartbeat_at = ? WHERE id = ?",
    ),
    renewRun: db.prepare<[number, number, string]>(
      'UPDATE harvest_runs SET heartbeat_at = ? WHERE id = ? AND owner_token = ? AND finished_at IS NULL',
    ),
    finishRun: db.prepare<[string, string, string, number, string]>(
      `UPDATE harvest_runs SET finished_at = ?, status = ?, summary_json = ?, ${RELEASE_RUN} WHERE id = ? AND ${HELD_BY}`,
    ),
    interruptRun: db.prepare<[string, number, string]>(
      `UPDATE harvest_runs SET status = 'interrupted', summary_json = ?, ${RELEASE_RUN} WHERE id = ? AND finished_at IS NULL AND ${HELD_BY}`,
    ),
    requeue: db.prepare<[string, number]>(
      "UPDATE jobs SET state = 'queued', updated_at = ? WHERE run_id = ? AND state IN ('fetching', 'analysing')",
    ),
    insertJob: db.prepare<[number, string, string, string, string | null, string, string]>(
      `INSERT INTO jobs (run_id, key, target_json, origin, npm_json, state, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)
       ON CONFLICT (run_id, key) DO NOTHING`,
    ),
    jobByKey: db.prepare<[number, string], unknown>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE run_id = ? AND key = ?`),
    jobById: db.prepare<[number], unknown>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`),
    claim: db.prepare<[string, number], unknown>(
      `UPDATE jobs SET state = 'fetching', attempts = attempts + 1, updated_at = ?
       WHERE id = (SELECT id FROM jobs WHERE run_id = ? AND state = 'queued' ORDER BY id LIMIT 1)
       RETURNING ${JOB_COLUMNS}`,
    ),
    toAnalysing: db.prepare<[string, number]>(
      "UPDATE jobs SET state = 'analysing', updated_at = ? WHERE id = ? AND state = 'fetching'",
    ),
    close: db.prepare<[string, string | null, string, number]>(
      "UPDATE jobs SET state = ?, reason = ?, updated_at = ? WHERE id = ? AND state IN ('fetching', 'analysing')",
    ),
    markDone: db.prepare<[number, string, number]>(
      "UPDATE jobs SET state = 'done', reason = NULL, scan_id = ?, updated_at = ? WHERE id = ? AND state IN ('fetching', 'analysing')",
    ),
    counts: db.prepare<[number], { state: string; n: number }>('SELECT state, COUNT(*) AS n FROM jobs WHERE run_id = ? GROUP BY state'),
    jobsOfRun: db.prepare<[number], unknown>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE run_id = ? ORDER BY id`),
    // The newest scan of exactly these bytes: same name and version, and the same integrity or commit.
    latestScanOfIdentity: db.prepare<{ name: string; version: string; integrity: string; commit: string }, { scanId: number }>(
      `SELECT s.id AS scanId FROM scans s
       JOIN versions v ON v.id = s.version_id
       JOIN packages p ON p.id = v.package_id
       WHERE p.name = @name AND COALESCE(v.version, '') = @version
         AND (@integrity = '' OR v.integrity = @integrity)
         AND (@commit = '' OR v.git_commit = @commit)
       ORDER BY s.scanned_at DESC, s.id DESC LIMIT 1`,
    ),
    runsOfScan: db.prepare<[number], StoredAnalyzerRun>('SELECT analyzer AS id, version, status, reason FROM analyzer_runs WHERE scan_id = ?'),
    upsertMeta: db.prepare<[string, string | null, string | null, string]>(
      `INSERT INTO package_meta (name, registry_json, npm_json, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET
         registry_json = COALESCE(excluded.registry_json, registry_json),
         npm_json = COALESCE(excluded.npm_json, npm_json),
         updated_at = excluded.updated_at`,
    ),
    metaOf: db.prepare<[string], { registryJson: string | null; npmJson: string | null }>(
      'SELECT registry_json AS registryJson, npm_json AS npmJson FROM package_meta WHERE name = ?',
    ),
  };
}
type Statements = ReturnType<typeof prepare>;

export interface PackageMeta {
  registry?: RegistryMeta;
  npm?: NpmVersionMeta;
}

/**
 * True when `stored` covers every analyzer in `current` at the same or a newer version. An analyzer that
 * is new, or newer than the one that made the stored scan, makes the package due again; so does one the
 * stored scan skipped for want of a requirement (no Docker engine) that the current harvest has.
 */
export function analyzersCovered(stored: readonly (AnalyzerVersion | StoredAnalyzerRun)[], current: readonly AnalyzerVersion[]): boolean {
  const have = new Map(stored.map((a) => [a.id, a]));
  return current.every((a) => {
    const run = have.get(a.id);
    if (run === undefined || run.version < a.version) return false;
    const skippedBefore = 'status' in run && run.status === 'skipped' && skippedForRequirement(run.reason);
    return !(skippedBefore && a.runnable === true);
  });
}

/** Runs, jobs and metadata on one connection. Only this file writes the harvest tables. */
export class JobRepo {
  readonly #db: Db;
  readonly #repo: Repo;
  readonly #stmt: Statements;

  constructor(db: Db, repo: Repo) {
    this.#db = db;
    this.#repo = repo;
    this.#stmt = prepare(db);
  }

  /**
   * Resumes the newest unfinished run (its in-progress jobs go back to the queue) or starts a new one, and holds
   * it for `owner`. Refuses while another live harvest holds the unfinished run: taking it over would requeue
   * that harvest's jobs and do them a second time beside it. Immediate, so two harvests starting together
   * cannot both create or take a run.
   */
  beginRun(options: unknown, owner: RunOwner, isAlive: (pid: number) => boolean = processAlive): HarvestRun {
    return this.#db
      .transaction((): HarvestRun => {
        const nowMs = Date.now();
        const found = this.#stmt.unfinishedRun.get();
        if (found !== undefined) {
          const run = RunRowSchema.parse(found);
          const holder = liveHolder(run, owner, nowMs, isAlive);
          if (holder !== undefined) {
            throw new AssayError('store', `another harvest is running on this database (run ${run.id}, ${holder}); run one harvest per database at a time`);
          }
          this.#stmt.claimRun.run(owner.token, owner.pid, owner.host, nowMs, run.id);
          this.#stmt.requeue.run(now(), run.id);
          return { id: run.id, startedAt: run.startedAt, resumed: true };
        }
        const startedAt = now();
        const id = Number(this.#stmt.insertRun.run(startedAt, JSON.stringify(options ?? {}), owner.token, owner.pid, owner.host, nowMs).lastInsertRowid);
        return { id, startedAt, resumed: false };
      })
      .immediate();
  }

  /** Renews the holder's heartbeat; false when the run is no longer held by this owner (finished or taken over). */
  renewRun(runId: number, owner: RunOwner): boolean {
    return this.#stmt.renewRun.run(Date.now(), runId, owner.token).changes > 0;
  }

  /** Marks the run finished; the next harvest starts a new one. */
  finishRun(runId: number, summary: unknown, owner: RunOwner): void {
    this.#stmt.finishRun.run(now(), 'finished', JSON.stringify(summary), runId, owner.token);
  }

  /** Records why a run stopped early but leaves it unfinished, so the next harvest resumes it. */
  interruptRun(runId: number, summary: unknown, owner: RunOwner): void {
    this.#stmt.interruptRun.run(JSON.stringify(summary), runId, owner.token);
  }

  /** Puts jobs a killed process left in progress back in the queue. Returns how many. */
  requeueInProgress(runId: number): number {
    return this.#stmt.requeue.run(now(), runId).changes;
  }

  /** Adds a job unless the run already has one with this key; returns the job and whether it is new. */
  enqueue(runId: number, input: JobInput): { job: Job; added: boolean } {
    if (input.key.length === 0 || input.key.length > MAX_KEY) throw new AssayError('invalidInput', 'a job key must be 1..2048 characters');
    const target = TargetSchema.parse(input.target);
    return this.#db
      .transaction(() => {
        const stamp = now();
        const npm = input.npm === undefined ? null : JSON.stringify(NpmVersionMetaSchema.parse(input.npm));
        const added = this.#stmt.insertJob.run(runId, input.key, JSON.stringify(target), input.origin, npm, stamp, stamp).changes > 0;
        return { job: jobFromRow(this.#stmt.jobByKey.get(runId, input.key)), added };
      })
      .immediate();
  }

  /** Takes the oldest queued job of the run and marks it `fetching`; undefined when none is queued. */
  claimNext(runId: number): Job | undefined {
    const row = this.#stmt.claim.get(now(), runId);
    return row === undefined ? undefined : jobFromRow(row);
  }

  markAnalysing(jobId: number): void {
    this.#stmt.toAnalysing.run(now(), jobId);
  }

  /** Closes an in-progress job as failed or skipped with its reason. False when it was not in progress. */
  closeJob(jobId: number, state: 'failed' | 'skipped' | 'queued', reason: string): boolean {
    return this.#stmt.close.run(state, bound(reason), now(), jobId).changes > 0;
  }

  /**
   * Saves the report and marks the job done in one transaction: after a kill the scan and the job's state
   * are either both there or both not. Throws (and saves nothing) when the job is no longer in progress.
   */
  finishJob(jobId: number, report: Report): { scanId: number } {
    return this.#db
      .transaction(() => {
        const { scanId } = this.#repo.saveReport(report);
        const changed = this.#stmt.markDone.run(scanId, now(), jobId).changes;
        if (changed === 0) throw new AssayError('store', `job ${jobId} is not in progress; its scan was not saved`);
        return { scanId };
      })
      .immediate();
  }

  job(jobId: number): Job | undefined {
    const row = this.#stmt.jobById.get(jobId);
    return row === undefined ? undefined : jobFromRow(row);
  }

  jobs(runId: number): Job[] {
    return this.#stmt.jobsOfRun.all(runId).map(jobFromRow);
  }

  jobCounts(runId: number): JobCounts {
    const counts: JobCounts = { queued: 0, fetching: 0, analysing: 0, done: 0, failed: 0, skipped: 0 };
    for (const row of this.#stmt.counts.all(runId)) {
      const state = JobStateSchema.safeParse(row.state);
      if (state.success) counts[state.data] = row.n;
    }
    return counts;
  }

  /**
   * The stored scan that makes scanning `identity` again needless, if any: the newest scan of the same
   * name, version and integrity (or commit) whose analyzers are all at least the current versions. Without
   * an integrity or commit nothing proves the bytes are the same, so the answer is always undefined.
   */
  unchangedScan(identity: ScanIdentity, analyzers: readonly AnalyzerVersion[]): number | undefined {
    const integrity = identity.integrity ?? '';
    const commit = identity.commit ?? '';
    if (integrity === '' && commit === '') return undefined;
    const found = this.#stmt.latestScanOfIdentity.get({ name: identity.name, version: identity.version ?? '', integrity, commit });
    if (found === undefined) return undefined;
    return analyzersCovered(this.#stmt.runsOfScan.all(found.scanId), analyzers) ? found.scanId : undefined;
  }

  /** Keeps the newest metadata a source reported; a field not given keeps its stored value. */
  savePackageMeta(name: string, meta: PackageMeta): void {
    if (meta.registry === undefined && meta.npm === undefined) return;
    const registry = meta.registry === undefined ? null : JSON.stringify(RegistryMetaSchema.parse(meta.registry));
    const npm = meta.npm === undefined ? null : JSON.stringify(NpmVersionMetaSchema.parse(meta.npm));
    this.#stmt.upsertMeta.run(name, registry, npm, now());
  }

  packageMeta(name: string): PackageMeta | undefined {
    const row = this.#stmt.metaOf.get(name);
    if (row === undefined) return undefined;
    const meta: PackageMeta = {};
    if (row.registryJson !== null) meta.registry = parseJson(RegistryMetaSchema, row.registryJson, `metadata of ${name}`);
    if (row.npmJson !== null) meta.npm = parseJson(NpmVersionMetaSchema, row.npmJson, `metadata of ${name}`);
    return meta;
  }
}
