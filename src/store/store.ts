import { AssayError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import type { Report } from '../core/report.js';
import type { AppliedMigration, Db } from './db.js';
import { appliedMigrations, openDatabase, storeError } from './db.js';
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
  close(): void;
}

/**
 * Opens the store at `path` (`:memory:` for a throwaway one), creating the folder and the schema as needed.
 * Throws AssayError('store') for a file that is not ours or comes from a newer release.
 */
export function openStore(path: string): Store {
  const db = openDatabase(path);
  let repo: Repo;
  try {
    repo = new Repo(db);
  } catch (error) {
    db.close();
    throw storeError(path, `cannot prepare database ${path}`, error);
  }
  return new SqliteStore(path, db, repo);
}

class SqliteStore implements Store {
  readonly path: string;
  readonly #db: Db;
  readonly #repo: Repo;

  constructor(path: string, db: Db, repo: Repo) {
    this.path = path;
    this.#db = db;
    this.#repo = repo;
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
