/**
 * Numbered schema migrations. Append only: a released migration is never edited, a change is a new entry
 * with the next version. Versions run 1..n without gaps (a test holds us to it).
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/*
 * Design notes for v1:
 * - Tables are STRICT so a wrong type is an error, not a silent coercion.
 * - Enumerations (severity, verdict, status…) carry no CHECK: SQLite cannot change a CHECK without rebuilding
 *   the table, and every read is validated with zod at the edge anyway.
 * - versions keeps NULL for an unknown version/integrity/commit; the unique index folds NULL to '' so two
 *   scans of the same unnamed tarball land on one row.
 * - A fingerprint ignores the line, so one scan can hold the same finding twice: scan_findings and tools are
 *   keyed by (scan_id, seq), which also keeps the report's order.
 * - findings holds a fingerprint's rule data as first seen; scan_findings repeats severity/kind/title only
 *   when a later analyzer version changed them, so every scan can be rebuilt exactly.
 * - tools carries version_id as well as scan_id so descriptions can be diffed between releases directly.
 */
const INITIAL = `
CREATE TABLE packages (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE versions (
  id           INTEGER PRIMARY KEY,
  package_id   INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  version      TEXT,
  integrity    TEXT,
  git_commit   TEXT,
  target_kind  TEXT NOT NULL,
  target_spec  TEXT NOT NULL,
  first_seen   TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX versions_identity ON versions (
  package_id, COALESCE(version, ''), COALESCE(integrity, ''), COALESCE(git_commit, '')
);

CREATE TABLE scans (
  id                INTEGER PRIMARY KEY,
  version_id        INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  scanned_at        TEXT NOT NULL,
  tool_version      TEXT NOT NULL,
  schema_version    INTEGER NOT NULL,
  score_value       INTEGER NOT NULL,
  grade             TEXT NOT NULL,
  verdict           TEXT NOT NULL,
  complete          INTEGER NOT NULL CHECK (complete IN (0, 1)),
  file_count        INTEGER NOT NULL,
  file_bytes        INTEGER NOT NULL,
  files_incomplete  INTEGER NOT NULL CHECK (files_incomplete IN (0, 1)),
  fetch_ms          REAL NOT NULL,
  analyze_ms        REAL NOT NULL,
  score_ms          REAL NOT NULL,
  total_ms          REAL NOT NULL,
  report_json       TEXT NOT NULL
) STRICT;
CREATE INDEX scans_by_version ON scans (version_id, scanned_at);
CREATE INDEX scans_by_time ON scans (scanned_at);

CREATE TABLE analyzer_runs (
  scan_id      INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
  seq          INTEGER NOT NULL,
  analyzer     TEXT NOT NULL,
  version      INTEGER NOT NULL,
  status       TEXT NOT NULL,
  reason       TEXT,
  duration_ms  REAL NOT NULL,
  error_count  INTEGER NOT NULL,
  PRIMARY KEY (scan_id, seq)
) STRICT;
CREATE INDEX analyzer_runs_by_analyzer ON analyzer_runs (analyzer, version, status);

CREATE TABLE findings (
  id                  INTEGER PRIMARY KEY,
  fingerprint         TEXT NOT NULL UNIQUE,
  rule_id             TEXT NOT NULL,
  analyzer            TEXT NOT NULL,
  severity            TEXT NOT NULL,
  kind                TEXT NOT NULL,
  title               TEXT NOT NULL,
  first_seen_scan_id  INTEGER REFERENCES scans(id) ON DELETE SET NULL
) STRICT;
CREATE INDEX findings_by_rule ON findings (rule_id);
CREATE INDEX findings_by_first_scan ON findings (first_seen_scan_id);

CREATE TABLE scan_findings (
  scan_id         INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
  seq             INTEGER NOT NULL,
  finding_id      INTEGER NOT NULL REFERENCES findings(id),
  severity        TEXT,
  kind            TEXT,
  title           TEXT,
  message         TEXT,
  has_location    INTEGER NOT NULL CHECK (has_location IN (0, 1)),
  location_file   TEXT,
  location_event  TEXT,
  line            INTEGER,
  col             INTEGER,
  evidence        TEXT,
  PRIMARY KEY (scan_id, seq)
) STRICT;
CREATE INDEX scan_findings_by_finding ON scan_findings (finding_id);

CREATE TABLE tools (
  scan_id      INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
  seq          INTEGER NOT NULL,
  version_id   INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  description  TEXT NOT NULL,
  source       TEXT NOT NULL,
  PRIMARY KEY (scan_id, seq)
) STRICT;
CREATE INDEX tools_by_version ON tools (version_id, name);
`;

/*
 * Design notes for v2 (the durable harvest queue):
 * - A run that never reached finished_at is resumed by the next harvest, so a kill loses no listed work.
 * - jobs are unique per (run, key): a source listing the same item twice, or a resumed run listing it again,
 *   lands on one row. A later run gets fresh rows; "already scanned" is decided from the scans, not the jobs.
 * - scan_id links a done job to the scan it produced; both are written in one transaction.
 * - package_meta keeps the latest registry/npm metadata a source reported, one row per package name.
 */
const HARVEST = `
CREATE TABLE harvest_runs (
  id            INTEGER PRIMARY KEY,
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  status        TEXT NOT NULL,
  options_json  TEXT NOT NULL,
  summary_json  TEXT
) STRICT;
CREATE INDEX harvest_runs_unfinished ON harvest_runs (finished_at, id);

CREATE TABLE jobs (
  id           INTEGER PRIMARY KEY,
  run_id       INTEGER NOT NULL REFERENCES harvest_runs(id) ON DELETE CASCADE,
  key          TEXT NOT NULL,
  target_json  TEXT NOT NULL,
  origin       TEXT NOT NULL,
  npm_json     TEXT,
  state        TEXT NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  reason       TEXT,
  scan_id      INTEGER REFERENCES scans(id) ON DELETE SET NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  UNIQUE (run_id, key)
) STRICT;
CREATE INDEX jobs_by_state ON jobs (run_id, state, id);

CREATE TABLE package_meta (
  name           TEXT PRIMARY KEY,
  registry_json  TEXT,
  npm_json       TEXT,
  updated_at     TEXT NOT NULL
) STRICT;
`;

/*
 * Design notes for v3:
 * - A running harvest holds its run: a random token per process, its pid and host, and a heartbeat (ms since
 *   the epoch) it renews while it runs. A second harvest on the database refuses to start while the holder is
 *   alive, instead of requeueing the first one's jobs and doing them again beside it.
 */
const RUN_OWNER = `
ALTER TABLE harvest_runs ADD COLUMN owner_token TEXT;
ALTER TABLE harvest_runs ADD COLUMN owner_pid INTEGER;
ALTER TABLE harvest_runs ADD COLUMN owner_host TEXT;
ALTER TABLE harvest_runs ADD COLUMN heartbeat_at INTEGER;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sql: INITIAL },
  { version: 2, name: 'harvest-queue', sql: HARVEST },
  { version: 3, name: 'harvest-run-owner', sql: RUN_OWNER },
];

export function latestSchemaVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}
