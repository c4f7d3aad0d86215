import { z } from 'zod';
import { AssayError } from '../core/errors.js';
import type { Finding, Location } from '../core/finding.js';
import { FindingSchema } from '../core/finding.js';
import type { Report } from '../core/report.js';
import { ReportSchema } from '../core/report.js';
import type { Grade, Verdict } from '../core/score.js';
import { GradeSchema, VerdictSchema } from '../core/score.js';
import type { Db } from './db.js';

export interface StoredScan {
  scanId: number;
  /** The scan time as stored: the report's `scannedAt` normalised to millisecond ISO form. */
  scannedAt: string;
  report: Report;
}

export interface ScanHistoryEntry {
  scanId: number;
  version?: string;
  scannedAt: string;
  value: number;
  grade: Grade;
  verdict: Verdict;
}

/** The package a report is filed under: its name, or for an unnamed target (a bare directory) the spec. */
export function packageNameOf(report: Report): string {
  return report.target.name ?? report.target.spec;
}

/**
 * Sorting by text only works when every timestamp has the same shape: '…00Z' sorts after '…00.5Z'.
 * So the column always holds `toISOString()` form; the report JSON keeps what was reported.
 */
function normaliseTime(iso: string): string {
  return new Date(iso).toISOString();
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const where = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  return `${where}: ${issue.message}`;
}

function bool(value: boolean): number {
  return value ? 1 : 0;
}

interface FindingIdentityRow {
  id: number;
  rule_id: string;
  analyzer: string;
  severity: string;
  kind: string;
  title: string;
}

/** Prepared once per connection; every statement binds its values, none is built from data. */
export class Repo {
  readonly #db: Db;
  readonly #stmt: Statements;

  constructor(db: Db) {
    this.#db = db;
    this.#stmt = prepareAll(db);
  }

  saveReport(report: Report): { scanId: number } {
    const checked = ReportSchema.safeParse(report);
    if (!checked.success) {
      throw new AssayError('store', `refusing to store an invalid report: ${firstIssue(checked.error)}`);
    }
    return this.#db.transaction(() => this.#insertReport(checked.data, JSON.stringify(report))).immediate();
  }

  latestScan(name: string, version?: string): StoredScan | undefined {
    const row =
      version === undefined
        ? this.#stmt.latestByName.get(name)
        : this.#stmt.latestByNameVersion.get(name, version);
    if (row === undefined) return undefined;
    return { scanId: row.scanId, scannedAt: row.scannedAt, report: parseStoredReport(row.scanId, row.reportJson) };
  }

  scanHistory(name: string): ScanHistoryEntry[] {
    return this.#stmt.history.all(name).map((row) => {
      const parsed = HistoryRowSchema.safeParse(row);
      if (!parsed.success) {
        throw new AssayError('store', `scan ${row.scanId} has a damaged summary row: ${firstIssue(parsed.error)}`);
      }
      const { version, ...rest } = parsed.data;
      return version === null ? rest : { ...rest, version };
    });
  }

  findingsForScan(scanId: number): Finding[] {
    if (this.#stmt.scanExists.get(scanId) === undefined) {
      throw new AssayError('notFound', `no scan ${scanId} in the store`);
    }
    return this.#stmt.scanFindings.all(scanId).map((row) => {
      const parsed = FindingSchema.safeParse(findingFromRow(row));
      if (!parsed.success) {
        throw new AssayError('store', `scan ${scanId} has a damaged finding row: ${firstIssue(parsed.error)}`);
      }
      return parsed.data;
    });
  }

  #insertReport(report: Report, json: string): { scanId: number } {
    const scannedAt = normaliseTime(report.scannedAt);
    const packageId = this.#packageId(packageNameOf(report));
    const versionId = this.#versionId(packageId, report, scannedAt);
    const scanId = this.#insertScan(versionId, report, scannedAt, json);
    report.analyzers.forEach((run, seq) => {
      this.#stmt.insertRun.run(scanId, seq, run.id, run.version, run.status, run.reason ?? null, run.durationMs, run.errors.length);
    });
    report.findings.forEach((finding, seq) => this.#insertFinding(scanId, seq, finding));
    report.tools.forEach((tool, seq) => {
      this.#stmt.insertTool.run(scanId, seq, versionId, tool.name, tool.description, tool.source);
    });
    return { scanId };
  }

  #packageId(name: string): number {
    const found = this.#stmt.packageByName.get(name);
    if (found !== undefined) return found.id;
    return Number(this.#stmt.insertPackage.run(name, new Date().toISOString()).lastInsertRowid);
  }

  #versionId(packageId: number, report: Report, scannedAt: string): number {
    const { target } = report;
    const found = this.#stmt.versionByIdentity.get(packageId, target.version ?? '', target.integrity ?? '', target.commit ?? '');
    if (found !== undefined) return found.id;
    const result = this.#stmt.insertVersion.run(
      packageId,
      target.version ?? null,
      target.integrity ?? null,
      target.commit ?? null,
      target.kind,
      target.spec,
      scannedAt,
    );
    return Number(result.lastInsertRowid);
  }

  #insertScan(versionId: number, report: Report, scannedAt: string, json: string): number {
    const { score, files, timings } = report;
    const result = this.#stmt.insertScan.run(
      versionId,
      scannedAt,
      report.tool.version,
      report.schemaVersion,
      score.value,
      score.grade,
      score.verdict,
      bool(score.complete),
      files.count,
      files.bytes,
      bool(files.incomplete),
      timings.fetchMs,
      timings.analyzeMs,
      timings.scoreMs,
      timings.totalMs,
      json,
    );
    return Number(result.lastInsertRowid);
  }

  #insertFinding(scanId: number, seq: number, finding: Finding): void {
    const known = this.#stmt.findingByFingerprint.get(finding.fingerprint);
    if (known !== undefined && (known.rule_id !== finding.ruleId || known.analyzer !== finding.analyzer)) {
      throw new AssayError(
        'store',
        `fingerprint ${finding.fingerprint} is stored for ${known.rule_id} (${known.analyzer}), not ${finding.ruleId} (${finding.analyzer})`,
      );
    }
    const findingId =
      known?.id ??
      Number(
        this.#stmt.insertFinding.run(finding.fingerprint, finding.ruleId, finding.analyzer, finding.severity, finding.kind, finding.title, scanId)
          .lastInsertRowid,
      );
    const loc = finding.location;
    this.#stmt.insertScanFinding.run(
      scanId,
      seq,
      findingId,
      // Rule data is repeated here only when a newer analyzer changed it since the fingerprint was first seen.
      known !== undefined && known.severity !== finding.severity ? finding.severity : null,
      known !== undefined && known.kind !== finding.kind ? finding.kind : null,
      known !== undefined && known.title !== finding.title ? finding.title : null,
      finding.message ?? null,
      bool(loc !== undefined),
      loc?.file ?? null,
      loc?.event ?? null,
      loc?.line ?? null,
      loc?.column ?? null,
      finding.evidence ?? null,
    );
  }
}

const HistoryRowSchema = z.object({
  scanId: z.number().int(),
  version: z.string().nullable(),
  scannedAt: z.string(),
  value: z.number().int().min(0).max(100),
  grade: GradeSchema,
  verdict: VerdictSchema,
});

interface ScanFindingRow {
  fingerprint: string;
  rule_id: string;
  analyzer: string;
  severity: string;
  kind: string;
  title: string;
  message: string | null;
  has_location: number;
  location_file: string | null;
  location_event: string | null;
  line: number | null;
  col: number | null;
  evidence: string | null;
}

/** Builds the raw shape; FindingSchema decides whether the row is valid. Absent values stay absent keys. */
function findingFromRow(row: ScanFindingRow): Record<string, unknown> {
  const finding: Record<string, unknown> = {
    ruleId: row.rule_id,
    analyzer: row.analyzer,
    severity: row.severity,
    kind: row.kind,
    title: row.title,
    fingerprint: row.fingerprint,
  };
  if (row.message !== null) finding.message = row.message;
  if (row.has_location === 1) finding.location = locationFromRow(row);
  if (row.evidence !== null) finding.evidence = row.evidence;
  return finding;
}

function locationFromRow(row: ScanFindingRow): Location {
  const location: Location = {};
  if (row.location_file !== null) location.file = row.location_file;
  if (row.line !== null) location.line = row.line;
  if (row.col !== null) location.column = row.col;
  if (row.location_event !== null) location.event = row.location_event;
  return location;
}

function parseStoredReport(scanId: number, json: string): Report {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new AssayError('store', `scan ${scanId} holds a report that is not valid JSON`);
  }
  const parsed = ReportSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AssayError('store', `scan ${scanId} holds a report that does not match the schema: ${firstIssue(parsed.error)}`);
  }
  return parsed.data;
}

interface ScanRow {
  scanId: number;
  scannedAt: string;
  reportJson: string;
}

const LATEST_SELECT = `
  SELECT s.id AS scanId, s.scanned_at AS scannedAt, s.report_json AS reportJson
  FROM scans s
  JOIN versions v ON v.id = s.version_id
  JOIN packages p ON p.id = v.package_id
  WHERE p.name = ?`;

const NEWEST_FIRST = 'ORDER BY s.scanned_at DESC, s.id DESC';

type Statements = ReturnType<typeof prepareAll>;

function prepareAll(db: Db) {
  return {
    packageByName: db.prepare<[string], { id: number }>('SELECT id FROM packages WHERE name = ?'),
    insertPackage: db.prepare<[string, string]>('INSERT INTO packages (name, created_at) VALUES (?, ?)'),
    versionByIdentity: db.prepare<[number, string, string, string], { id: number }>(
      `SELECT id FROM versions WHERE package_id = ?
         AND COALESCE(version, '') = ? AND COALESCE(integrity, '') = ? AND COALESCE(git_commit, '') = ?`,
    ),
    insertVersion: db.prepare<[number, string | null, string | null, string | null, string, string, string]>(
      `INSERT INTO versions (package_id, version, integrity, git_commit, target_kind, target_spec, first_seen)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertScan: db.prepare<
      [number, string, string, number, number, string, string, number, number, number, number, number, number, number, number, string]
    >(
      `INSERT INTO scans (version_id, scanned_at, tool_version, schema_version, score_value, grade, verdict, complete,
         file_count, file_bytes, files_incomplete, fetch_ms, analyze_ms, score_ms, total_ms, report_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertRun: db.prepare<[number, number, string, number, string, string | null, number, number]>(
      `INSERT INTO analyzer_runs (scan_id, seq, analyzer, version, status, reason, duration_ms, error_count)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    findingByFingerprint: db.prepare<[string], FindingIdentityRow>(
      'SELECT id, rule_id, analyzer, severity, kind, title FROM findings WHERE fingerprint = ?',
    ),
    insertFinding: db.prepare<[string, string, string, string, string, string, number]>(
      `INSERT INTO findings (fingerprint, rule_id, analyzer, severity, kind, title, first_seen_scan_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertScanFinding: db.prepare<
      [number, number, number, string | null, string | null, string | null, string | null, number, string | null, string | null, number | null, number | null, string | null]
    >(
      `INSERT INTO scan_findings (scan_id, seq, finding_id, severity, kind, title, message, has_location,
         location_file, location_event, line, col, evidence)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertTool: db.prepare<[number, number, number, string, string, string]>(
      'INSERT INTO tools (scan_id, seq, version_id, name, description, source) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    latestByName: db.prepare<[string], ScanRow>(`${LATEST_SELECT} ${NEWEST_FIRST} LIMIT 1`),
    latestByNameVersion: db.prepare<[string, string], ScanRow>(`${LATEST_SELECT} AND v.version = ? ${NEWEST_FIRST} LIMIT 1`),
    history: db.prepare<[string], { scanId: number; version: string | null; scannedAt: string; value: number; grade: string; verdict: string }>(
      `SELECT s.id AS scanId, v.version AS version, s.scanned_at AS scannedAt, s.score_value AS value,
              s.grade AS grade, s.verdict AS verdict
       FROM scans s
       JOIN versions v ON v.id = s.version_id
       JOIN packages p ON p.id = v.package_id
       WHERE p.name = ?
       ${NEWEST_FIRST}`,
    ),
    scanExists: db.prepare<[number], { id: number }>('SELECT id FROM scans WHERE id = ?'),
    scanFindings: db.prepare<[number], ScanFindingRow>(
      `SELECT f.fingerprint, f.rule_id, f.analyzer,
              COALESCE(sf.severity, f.severity) AS severity,
              COALESCE(sf.kind, f.kind) AS kind,
              COALESCE(sf.title, f.title) AS title,
              sf.message, sf.has_location, sf.location_file, sf.location_event, sf.line, sf.col, sf.evidence
       FROM scan_findings sf
       JOIN findings f ON f.id = sf.finding_id
       WHERE sf.scan_id = ?
       ORDER BY sf.seq`,
    ),
  };
}
