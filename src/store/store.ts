import { AssayError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import type { Report } from '../core/report.js';
import type { AppliedMigration, Db } from './db.js';
import { appliedMigrations, openDatabase, storeError } from './db.js';
import type { AnalyzerVersion, HarvestRun, Job, JobCounts, JobInput, PackageMeta, RunOwner, ScanIdentity } from './jobs.js';
import { JobRepo, processRunOwner } from './jobs.js';
import type { CatalogPage, CatalogQuery } from './catalog.js';
import { listCatalog } from './catalog.js';
import type { StoredArchive } from './archives.js';
import { storedArchives } from './archives.js';
import type { ScanHistoryEntry, StoredScan } from './repo.js';
import { Repo } from './repo.js';

export interface Store {
  readonly path: string;
  /** Files one report in a single transaction: package, version, scan, analyzer runs, findings, tools. */
  saveReport(report: Report): { scanId: number };
  /** The newest scan of a package (of one version when given), its report validated on the way out. */
  latestScan(name: string, version?: string): StoredScan | undefined;
  /** Every scan of a package, newest first. */
  scanHistory(name: string): ScanHistoryEntry[];
  /** The findings of one scan rebuilt from the normalised tables, in the report's order. */
  findingsForScan(scanId: number): Finding[];
  migrations(): AppliedMigration[];
  /** One page of packages with their newest scan: searched, filtered and sorted (read-only). */
  catalog(query: CatalogQuery): CatalogPage;
  /** npm versions scanned with a known integrity, whose archives the cache can hold. */
  storedArchives(limit?: number): StoredArchive[];
  /**
   * Resumes the newest unfinished harvest run (requeueing its in-progress jobs) or starts a new one, held by
   * `owner` (this process by default). Throws a store error while another live harvest holds the run.
   */
  beginHarvestRun(options: unknown, owner?: RunOwner): HarvestRun;
  /** Renews the holder's heartbeat (every quarter of RUN_LEASE_MS); false when the run is no longer held by `owner`. */
  renewHarvestRun(runId: number, owner?: RunOwner): boolean;
  /** Marks a run finished with its summary and lets go of it; the next harvest starts a new run. */
  finishHarvestRun(runId: number, summary: unknown, owner?: RunOwner): void;
  /** Records an early stop and lets go of the run but leaves it unfinished, so the next harvest resumes it. */
  interruptHarvestRun(runId: number, summary: unknown, owner?: RunOwner): void;
  /** Puts jobs left `fetching`/`analysing` (a killed process) back in the queue; returns how many. */
  requeueInProgress(runId: number): number;
  /** Adds a job unless the run has one with the same key. */
  enqueueJob(runId: number, input: JobInput): { job: Job; added: boolean };
  /** Takes the oldest queued job and marks it `fetching`. */
  claimJob(runId: number): Job | undefined;
  markJobAnalysing(jobId: number): void;
  /** Closes an in-progress job as failed or skipped (or hands it back to the queue) with a reason. */
  closeJob(jobId: number, state: 'failed' | 'skipped' | 'queued', reason: string): boolean;
  /** Saves the report and marks the job done in ONE transaction. */
  finishJob(jobId: number, report: Report): { scanId: number };
  job(jobId: number): Job | undefined;
  jobs(runId: number): Job[];
  jobCounts(runId: number): JobCounts;
  /** The stored scan that makes a new scan of these bytes with these analyzer versions needless, if any. */
  unchangedScan(identity: ScanIdentity, analyzers: readonly AnalyzerVersion[]): number | undefined;
  savePackageMeta(name: string, meta: PackageMeta): void;
  packageMeta(name: string): PackageMeta | undefined;
  close(): void;
}

/**
 * Opens the store at `path` (`:memory:` for a throwaway one), creating the folder and the schema as needed.
 * Throws AssayError('store') for a file that is not ours or comes from a newer release.
 */
export function openStore(path: string): Store {
  const db = openDatabase(path);
  let repo: Repo;
  let jobs: JobRepo;
  try {
    repo = new Repo(db);
    jobs = new JobRepo(db, repo);
  } catch (error) {
    db.close();
    throw storeError(path, `cannot prepare database ${path}`, error);
  }
  return new SqliteStore(path, db, repo, jobs);
}

class SqliteStore implements Store {
  readonly path: string;
  readonly #db: Db;
  readonly #repo: Repo;
  readonly #jobs: JobRepo;

  constructor(path: string, db: Db, repo: Repo, jobs: JobRepo) {
    this.path = path;
    this.#db = db;
    this.#repo = repo;
    this.#jobs = jobs;
  }

  saveReport(report: Report): { scanId: number } {
    return this.#run('cannot save the scan', () => this.#repo.saveReport(report));
  }

  latestScan(name: string, version?: string): StoredScan | undefined {
    return this.#run('cannot read the latest scan', () => this.#repo.latestScan(name, version));
  }

  scanHistory(name: string): ScanHistoryEntry[] {
    return this.#run('cannot read the scan history', () => this.#repo.scanHistory(name));
  }

  findingsForScan(scanId: number): Finding[] {
    return this.#run('cannot read the findings', () => this.#repo.findingsForScan(scanId));
  }

  migrations(): AppliedMigration[] {
    return this.#run('cannot read the migrations', () => appliedMigrations(this.#db));
  }

  beginHarvestRun(options: unknown, owner: RunOwner = processRunOwner()): HarvestRun {
    return this.#run('cannot start the harvest run', () => this.#jobs.beginRun(options, owner));
  }

  renewHarvestRun(runId: number, owner: RunOwner = processRunOwner()): boolean {
    return this.#run('cannot renew the harvest run', () => this.#jobs.renewRun(runId, owner));
  }

  finishHarvestRun(runId: number, summary: unknown, owner: RunOwner = processRunOwner()): void {
    this.#run('cannot finish the harvest run', () => this.#jobs.finishRun(runId, summary, owner));
  }

  interruptHarvestRun(runId: number, summary: unknown, owner: RunOwner = processRunOwner()): void {
    this.#run('cannot record the interrupted run', () => this.#jobs.interruptRun(runId, summary, owner));
  }

  requeueInProgress(runId: number): number {
    return this.#run('cannot requeue jobs', () => this.#jobs.requeueInProgress(runId));
  }

  enqueueJob(runId: number, input: JobInput): { job: Job; added: boolean } {
    return this.#run('cannot queue a job', () => this.#jobs.enqueue(runId, input));
  }

  claimJob(runId: number): Job | undefined {
    return this.#run('cannot claim a job', () => this.#jobs.claimNext(runId));
  }

  markJobAnalysing(jobId: number): void {
    this.#run('cannot update a job', () => this.#jobs.markAnalysing(jobId));
  }

  closeJob(jobId: number, state: 'failed' | 'skipped' | 'queued', reason: string): boolean {
    return this.#run('cannot update a job', () => this.#jobs.closeJob(jobId, state, reason));
  }

  finishJob(jobId: number, report: Report): { scanId: number } {
    return this.#run('cannot save the scan', () => this.#jobs.finishJob(jobId, report));
  }

  job(jobId: number): Job | undefined {
    return this.#run('cannot read a job', () => this.#jobs.job(jobId));
  }

  jobs(runId: number): Job[] {
    return this.#run('cannot read the jobs', () => this.#jobs.jobs(runId));
  }

  jobCounts(runId: number): JobCounts {
    return this.#run('cannot count the jobs', () => this.#jobs.jobCounts(runId));
  }

  unchangedScan(identity: ScanIdentity, analyzers: readonly AnalyzerVersion[]): number | undefined {
    return this.#run('cannot look up earlier scans', () => this.#jobs.unchangedScan(identity, analyzers));
  }

  savePackageMeta(name: string, meta: PackageMeta): void {
    this.#run('cannot save package metadata', () => this.#jobs.savePackageMeta(name, meta));
  }

  packageMeta(name: string): PackageMeta | undefined {
    return this.#run('cannot read package metadata', () => this.#jobs.packageMeta(name));
  }

  catalog(query: CatalogQuery): CatalogPage {
    return this.#run('cannot read the catalog', () => listCatalog(this.#db, query));
  }

  storedArchives(limit?: number): StoredArchive[] {
    return this.#run('cannot list the stored archives', () => storedArchives(this.#db, limit));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /** Driver errors (busy, disk full, read-only file) become one-line store errors. */
  #run<T>(context: string, fn: () => T): T {
    if (!this.#db.open) throw new AssayError('store', `the store ${this.path} is closed`);
    try {
      return fn();
    } catch (error) {
      throw storeError(this.path, `${context} in ${this.path}`, error);
    }
  }
}
