import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssayError } from '../core/errors.js';
import type { Finding, FindingKind, Location, Severity } from '../core/finding.js';
import type { Report } from '../core/report.js';
import { ReportSchema } from '../core/report.js';
import { MIGRATIONS, latestSchemaVersion } from './migrations.js';
import type { Store } from './store.js';
import { testFinding } from '../report/test-helpers/report-builder.js';
import { openStore } from './store.js';

interface FindingSpec {
  rule?: string;
  severity?: Severity;
  kind?: FindingKind;
  title?: string;
  message?: string;
  location?: Location;
  evidence?: string;
}

function finding(spec: FindingSpec = {}): Finding {
  const { rule, ...rest } = spec;
  return testFinding(rule ?? 'code/exec-dynamic-command', { ...rest, severity: spec.severity ?? 'high', title: spec.title ?? 'Runs a command built from input', kind: spec.kind ?? 'capability' });
}

interface ReportSpec {
  name?: string;
  version?: string;
  spec?: string;
  integrity?: string;
  scannedAt?: string;
  value?: number;
  findings?: Finding[];
  tools?: Report['tools'];
}

/** A report that ReportSchema accepts; each test changes only what it is about. */
function makeReport(spec: ReportSpec = {}): Report {
  const target: Report['target'] =
    spec.spec === undefined
      ? { kind: 'npm', spec: `${spec.name ?? 'demo-mcp'}@${spec.version ?? '1.0.0'}`, name: spec.name ?? 'demo-mcp', version: spec.version ?? '1.0.0' }
      : { kind: 'dir', spec: spec.spec };
  if (spec.integrity !== undefined) target.integrity = spec.integrity;
  const report: Report = {
    schemaVersion: 1,
    tool: { name: 'mcp-assay', version: '0.1.0' },
    scannedAt: spec.scannedAt ?? '2025-01-01T00:00:00.000Z',
    target,
    score: {
      value: spec.value ?? 80,
      grade: 'B',
      verdict: 'pass',
      complete: true,
      breakdown: [{ reason: 'dynamic command', ruleId: 'code/exec-dynamic-command', points: 20, findings: [] }],
    },
    findings: spec.findings ?? [
      finding({ location: { file: 'index.js', line: 3, column: 7 }, evidence: 'exec(cmd)', message: 'runs cmd' }),
      finding({ rule: 'code/read-credentials', kind: 'threat', severity: 'critical', location: { file: 'steal.js' } }),
    ],
    analyzers: [
      { id: 'manifest', version: 1, status: 'succeeded', durationMs: 3, errors: [] },
      { id: 'code', version: 2, status: 'partial', reason: 'one file too big', durationMs: 12.5, errors: [{ file: 'big.js', message: 'too big' }] },
    ],
    tools: spec.tools ?? [{ name: 'run', description: 'Runs a shell command', source: 'static' }],
    files: { count: 4, bytes: 1200, incomplete: false, binaries: [] },
    timings: { fetchMs: 10, analyzeMs: 20, scoreMs: 1, totalMs: 31 },
  };
  return ReportSchema.parse(report);
}

function sortByFingerprint(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
}

function raw(path: string): Database.Database {
  return new Database(path);
}

function count(path: string, table: 'packages' | 'versions' | 'scans' | 'findings' | 'scan_findings' | 'tools' | 'analyzer_runs'): number {
  const db = raw(path);
  try {
    return db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n ?? -1;
  } finally {
    db.close();
  }
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

let dir: string;
let dbPath: string;
let store: Store | undefined;

function open(path = dbPath): Store {
  store = openStore(path);
  return store;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'assay-store-'));
  dbPath = join(dir, 'nested', 'deeper', 'assay.db');
});

afterEach(() => {
  store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('migrations', () => {
  it('are numbered 1..n without gaps and have unique names', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(new Set(MIGRATIONS.map((m) => m.name)).size).toBe(MIGRATIONS.length);
    expect(latestSchemaVersion()).toBe(MIGRATIONS.length);
  });

  it('creates the folder, records every migration and does not reapply them on reopen', () => {
    const first = open().migrations();
    expect(first.map((m) => [m.version, m.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
    store?.close();

    const second = open().migrations();
    expect(second).toEqual(first);
    const db = raw(dbPath);
    const rows = db.prepare('SELECT version FROM schema_migrations').all();
    db.close();
    expect(rows).toHaveLength(MIGRATIONS.length);
  });

  it('keeps data across reopen', () => {
    open().saveReport(makeReport());
    store?.close();
    expect(open().scanHistory('demo-mcp')).toHaveLength(1);
  });

  it('turns on WAL', () => {
    open();
    const db = raw(dbPath);
    const mode = db.pragma('journal_mode', { simple: true });
    db.close();
    expect(mode).toBe('wal');
  });

  it('refuses a database written by a newer schema', () => {
    open().close();
    const db = raw(dbPath);
    const next = latestSchemaVersion() + 1;
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(next, 'future', 'x');
    db.close();

    const error = catchError(() => open());
    expect(error).toBeInstanceOf(AssayError);
    expect((error as AssayError).category).toBe('store');
    expect((error as AssayError).message).toBe(
      `database ${dbPath} was written by a newer mcp-assay (schema ${next} > ${latestSchemaVersion()})`,
    );
  });

  it.each([
    {
      name: 'a text file',
      make: (path: string) => writeFileSync(path, 'this is not a database\n'.repeat(64)),
      message: /is not an SQLite database/,
    },
    {
      name: 'random bytes',
      make: (path: string) => writeFileSync(path, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37 + 11) % 256))),
      message: /is not an SQLite database/,
    },
    {
      name: 'another program’s SQLite file',
      make: (path: string) => {
        const db = raw(path);
        db.exec('CREATE TABLE notes (body TEXT)');
        db.close();
      },
      message: /not an mcp-assay one/,
    },
    {
      name: 'a directory',
      make: (path: string) => mkdirSync(path),
      message: /cannot open database/,
    },
  ])('refuses $name with one clear line', ({ make, message }) => {
    const path = join(dir, 'bad.db');
    make(path);
    const error = catchError(() => open(path));
    expect(error).toBeInstanceOf(AssayError);
    expect((error as AssayError).category).toBe('store');
    expect((error as AssayError).message).toMatch(message);
    expect((error as AssayError).message).not.toContain('\n');
  });
});

describe('saveReport and latestScan', () => {
  it('round-trips a report exactly', () => {
    const report = makeReport();
    const { scanId } = open().saveReport(report);
    store?.close();
    const stored = open().latestScan('demo-mcp');
    expect(stored).toEqual({ scanId, scannedAt: '2025-01-01T00:00:00.000Z', report });
    expect(count(dbPath, 'analyzer_runs')).toBe(2);
    expect(count(dbPath, 'tools')).toBe(1);
  });

  it('returns undefined for an unknown package', () => {
    expect(open().latestScan('nobody')).toBeUndefined();
    expect(store?.scanHistory('nobody')).toEqual([]);
  });

  it('filters by version', () => {
    const s = open();
    const v1 = s.saveReport(makeReport({ version: '1.0.0', scannedAt: '2025-01-01T00:00:00Z' })).scanId;
    const v2 = s.saveReport(makeReport({ version: '2.0.0', scannedAt: '2025-02-01T00:00:00Z' })).scanId;
    const v1again = s.saveReport(makeReport({ version: '1.0.0', scannedAt: '2025-01-15T00:00:00Z' })).scanId;

    expect(s.latestScan('demo-mcp')?.scanId).toBe(v2);
    expect(s.latestScan('demo-mcp', '1.0.0')?.scanId).toBe(v1again);
    expect(s.latestScan('demo-mcp', '2.0.0')?.scanId).toBe(v2);
    expect(s.latestScan('demo-mcp', '3.0.0')).toBeUndefined();
    expect(v1).not.toBe(v1again);
    expect(count(dbPath, 'versions')).toBe(2);
    expect(count(dbPath, 'packages')).toBe(1);
  });

  it('files an unnamed target under its spec and reuses its version row', () => {
    const s = open();
    const spec = '/srv/checkout/some-server';
    const first = makeReport({ spec, scannedAt: '2025-01-01T00:00:00Z' });
    s.saveReport(first);
    s.saveReport(makeReport({ spec, scannedAt: '2025-01-02T00:00:00Z' }));
    expect(first.target.name).toBeUndefined();
    expect(s.scanHistory(spec).map((h) => h.version)).toEqual([undefined, undefined]);
    expect(count(dbPath, 'versions')).toBe(1);
  });

  it('keeps a new version row when the same version has different integrity', () => {
    const s = open();
    s.saveReport(makeReport({ integrity: 'sha512-aaa' }));
    s.saveReport(makeReport({ integrity: 'sha512-bbb' }));
    s.saveReport(makeReport({ integrity: 'sha512-aaa' }));
    expect(count(dbPath, 'versions')).toBe(2);
  });

  it('refuses an invalid report and writes nothing', () => {
    const bad = { ...makeReport(), scannedAt: 'yesterday' } as Report;
    const error = catchError(() => open().saveReport(bad));
    expect(error).toBeInstanceOf(AssayError);
    expect((error as AssayError).message).toMatch(/invalid report: scannedAt/);
    expect(count(dbPath, 'scans')).toBe(0);
    expect(count(dbPath, 'packages')).toBe(0);
  });

  it('rolls back the whole report when one part fails', () => {
    const s = open();
    const original = finding({ location: { file: 'a.js' }, evidence: 'x' });
    s.saveReport(makeReport({ findings: [original] }));
    const forged = { ...finding({ rule: 'code/other-rule' }), fingerprint: original.fingerprint };
    const error = catchError(() => s.saveReport(makeReport({ name: 'second-mcp', findings: [forged] })));
    expect((error as AssayError).category).toBe('store');
    expect(count(dbPath, 'scans')).toBe(1);
    expect(count(dbPath, 'packages')).toBe(1);
    expect(s.latestScan('second-mcp')).toBeUndefined();
  });

  it('refuses a stored report that no longer matches the schema', () => {
    const { scanId } = open().saveReport(makeReport());
    const db = raw(dbPath);
    db.prepare('UPDATE scans SET report_json = ? WHERE id = ?').run(JSON.stringify({ schemaVersion: 1 }), scanId);
    db.close();
    const error = catchError(() => store?.latestScan('demo-mcp'));
    expect(error).toBeInstanceOf(AssayError);
    expect((error as AssayError).category).toBe('store');
    expect((error as AssayError).message).toMatch(new RegExp(`scan ${scanId} holds a report that does not match`));
  });

  it('refuses stored report text that is not JSON', () => {
    const { scanId } = open().saveReport(makeReport());
    const db = raw(dbPath);
    db.prepare('UPDATE scans SET report_json = ? WHERE id = ?').run('{"schemaVersion": 1,', scanId);
    db.close();
    expect(() => store?.latestScan('demo-mcp')).toThrow(/not valid JSON/);
  });

  it('stores injection-looking text verbatim', () => {
    const name = "x'); DROP TABLE scans; --";
    const evidence = "' OR 1=1; DELETE FROM findings WHERE '1'='1";
    const description = 'Robert"); DROP TABLE tools;-- \u0000 and a NUL';
    const report = makeReport({
      name,
      version: "1.0.0' OR '1'='1",
      findings: [finding({ evidence, message: '%_\\', location: { file: "a'b\".js" } })],
      tools: [{ name: '"; --', description, source: 'sandbox' }],
    });
    const s = open();
    s.saveReport(report);
    const stored = s.latestScan(name, "1.0.0' OR '1'='1");
    expect(stored?.report).toEqual(report);
    expect(s.findingsForScan(stored?.scanId ?? -1)[0]?.evidence).toBe(evidence);
    expect(s.latestScan('x')).toBeUndefined();
    expect(count(dbPath, 'scans')).toBe(1);
    expect(count(dbPath, 'findings')).toBe(1);
    const db = raw(dbPath);
    const tool = db.prepare<[], { description: string }>('SELECT description FROM tools').get();
    db.close();
    expect(tool?.description).toBe(description);
  });

  it('refuses use after close', () => {
    const s = open();
    s.close();
    expect(() => s.latestScan('demo-mcp')).toThrow(AssayError);
  });
});

describe('findings by fingerprint', () => {
  it('shares one findings row between scans of the same version', () => {
    const s = open();
    const shared = [finding({ location: { file: 'a.js', line: 1 }, evidence: 'spawn(x)' })];
    const first = s.saveReport(makeReport({ findings: shared, scannedAt: '2025-01-01T00:00:00Z' })).scanId;
    const extra = finding({ rule: 'code/eval', location: { file: 'b.js' }, evidence: 'eval(y)' });
    const second = s.saveReport(makeReport({ findings: [...shared, extra], scannedAt: '2025-01-02T00:00:00Z' })).scanId;

    expect(count(dbPath, 'findings')).toBe(2);
    expect(count(dbPath, 'scan_findings')).toBe(3);
    const db = raw(dbPath);
    const firstSeen = db
      .prepare<[], { fingerprint: string; scan: number }>('SELECT fingerprint, first_seen_scan_id AS scan FROM findings ORDER BY id')
      .all();
    db.close();
    expect(firstSeen).toEqual([
      { fingerprint: shared[0]?.fingerprint, scan: first },
      { fingerprint: extra.fingerprint, scan: second },
    ]);
  });

  it('rebuilds every shape of finding from the tables', () => {
    const findings = [
      finding({ location: { file: 'index.js', line: 10, column: 2 }, evidence: 'exec(a)', message: 'm' }),
      // The fingerprint ignores the line, so one scan can hold the same fingerprint twice.
      finding({ location: { file: 'index.js', line: 20, column: 2 }, evidence: 'exec(a)', message: 'again' }),
      finding({ rule: 'sandbox/canary-read', kind: 'threat', severity: 'critical', location: { event: 'open ~/.ssh/id_rsa' } }),
      finding({ rule: 'manifest/no-location' }),
      finding({ rule: 'manifest/empty-location', location: {} }),
    ];
    const s = open();
    const { scanId } = s.saveReport(makeReport({ findings }));
    const rebuilt = s.findingsForScan(scanId);
    expect(rebuilt).toEqual(findings);
    expect(sortByFingerprint(rebuilt)).toEqual(sortByFingerprint(s.latestScan('demo-mcp')?.report.findings ?? []));
    expect(count(dbPath, 'findings')).toBe(4);
  });

  it('keeps each scan’s own rule data when a later analyzer changed it', () => {
    const s = open();
    const before = finding({ severity: 'medium', title: 'Old title', location: { file: 'a.js' }, evidence: 'e' });
    const after = finding({ severity: 'critical', kind: 'threat', title: 'New title', location: { file: 'a.js' }, evidence: 'e' });
    expect(after.fingerprint).toBe(before.fingerprint);
    const first = s.saveReport(makeReport({ findings: [before] })).scanId;
    const second = s.saveReport(makeReport({ findings: [after] })).scanId;
    expect(s.findingsForScan(first)).toEqual([before]);
    expect(s.findingsForScan(second)).toEqual([after]);
  });

  it('returns an empty list for a clean scan and notFound for an unknown one', () => {
    const s = open();
    const { scanId } = s.saveReport(makeReport({ findings: [] }));
    expect(s.findingsForScan(scanId)).toEqual([]);
    const error = catchError(() => s.findingsForScan(scanId + 100));
    expect(error).toBeInstanceOf(AssayError);
    expect((error as AssayError).category).toBe('notFound');
  });
});

describe('scanHistory', () => {
  it('lists scans newest first, whatever order they were saved in', () => {
    const s = open();
    const saved = [
      { version: '1.0.0', scannedAt: '2025-03-01T00:00:00Z', value: 90 },
      { version: '1.1.0', scannedAt: '2025-05-01T00:00:00Z', value: 70 },
      // Sub-second precision must sort after the whole second, not before it as plain text would.
      { version: '1.1.0', scannedAt: '2025-05-01T00:00:00.5Z', value: 60 },
      { version: '0.9.0', scannedAt: '2024-12-31T23:59:59.999Z', value: 100 },
    ].map((r) => ({ ...r, scanId: s.saveReport(makeReport(r)).scanId }));

    const history = s.scanHistory('demo-mcp');
    expect(history.map((h) => h.value)).toEqual([60, 70, 90, 100]);
    expect(history[0]).toEqual({
      scanId: saved[2]?.scanId,
      version: '1.1.0',
      scannedAt: '2025-05-01T00:00:00.500Z',
      value: 60,
      grade: 'B',
      verdict: 'pass',
    });
  });

  it('breaks ties in time by save order', () => {
    const s = open();
    const a = s.saveReport(makeReport({ value: 1 })).scanId;
    const b = s.saveReport(makeReport({ value: 2 })).scanId;
    expect(s.scanHistory('demo-mcp').map((h) => h.scanId)).toEqual([b, a]);
    expect(s.latestScan('demo-mcp')?.scanId).toBe(b);
  });

  it('keeps packages apart', () => {
    const s = open();
    s.saveReport(makeReport({ name: 'one-mcp' }));
    s.saveReport(makeReport({ name: 'two-mcp' }));
    s.saveReport(makeReport({ name: 'two-mcp', version: '2.0.0' }));
    expect(s.scanHistory('one-mcp')).toHaveLength(1);
    expect(s.scanHistory('two-mcp')).toHaveLength(2);
  });
});
