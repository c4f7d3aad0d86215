/**
 * Builds Reports in code for tests of anything that reads them (diffs, alerts, renderers, the store).
 * Every report goes through ReportSchema, so a test cannot pass on a shape a real scan never makes.
 */
import type { Finding, FindingKind, Location, Severity } from '../../core/finding.js';
import { makeFinding } from '../../core/finding.js';
import type { Report, ReportAnalyzer, ReportTool } from '../../core/report.js';
import { ReportSchema } from '../../core/report.js';
import type { Grade, Verdict } from '../../core/score.js';

export interface TestFindingSpec {
  severity?: Severity;
  kind?: FindingKind;
  title?: string;
  message?: string;
  location?: Location;
  evidence?: string;
}

/** A finding of `ruleId` (`analyzer/rule`), fingerprinted the way analyzers do it. */
export function testFinding(ruleId: string, spec: TestFindingSpec = {}): Finding {
  const rule = {
    id: ruleId,
    title: spec.title ?? `Test finding ${ruleId}`,
    severity: spec.severity ?? 'medium',
    kind: spec.kind ?? 'capability',
    description: 'test rule',
    recommendation: 'none',
  };
  const input: { message?: string; location?: Location; evidence?: string } = {};
  if (spec.message !== undefined) input.message = spec.message;
  if (spec.location !== undefined) input.location = spec.location;
  if (spec.evidence !== undefined) input.evidence = spec.evidence;
  return makeFinding(rule, ruleId.split('/')[0] ?? 'test', input);
}

/** The finding the manifest analyzer makes for one lifecycle script. */
export function installScriptFinding(script: string, command: string): Finding {
  return testFinding('manifest/install-script', {
    severity: 'medium',
    location: { file: 'package.json', line: 5, column: 5 },
    evidence: `${script}: ${command}`,
    message: `npm runs the ${script} script when the package is installed: ${command}`,
  });
}

/** A code/endpoint finding the way the code analyzer words it: the host is in the message, not the evidence. */
export function endpointFinding(host: string, file = 'index.js', ruleId = 'code/endpoint'): Finding {
  return testFinding(ruleId, {
    severity: ruleId === 'code/endpoint' ? 'info' : 'medium',
    kind: ruleId === 'code/endpoint' ? 'capability' : 'threat',
    location: { file, line: 10, column: 3 },
    evidence: `fetch(URL_${host.length}, { method: 'POST' })`,
    message: `fetch connects to ${host}`,
  });
}

export function testTool(name: string, description: string, extra: Partial<ReportTool> = {}): ReportTool {
  return { name, description, source: 'static', ...extra };
}

export interface TestReportSpec {
  name?: string;
  version?: string;
  /** Makes an unnamed directory target with this spec instead of an npm package. */
  dirSpec?: string;
  scannedAt?: string;
  toolVersion?: string;
  value?: number;
  grade?: Grade;
  verdict?: Verdict;
  complete?: boolean;
  findings?: Finding[];
  tools?: ReportTool[];
  analyzers?: ReportAnalyzer[];
}

export const DEFAULT_TEST_ANALYZERS: readonly ReportAnalyzer[] = ['manifest', 'code', 'tools', 'signatures'].map((id) => ({
  id,
  version: 1,
  status: 'succeeded' as const,
  durationMs: 1,
  errors: [],
}));

export function buildTestReport(spec: TestReportSpec = {}): Report {
  const name = spec.name ?? 'demo-mcp';
  const version = spec.version ?? '1.0.0';
  const target: Report['target'] =
    spec.dirSpec === undefined ? { kind: 'npm', spec: `npm:${name}@${version}`, name, version } : { kind: 'dir', spec: spec.dirSpec };
  const report: Report = {
    schemaVersion: 1,
    tool: { name: 'mcp-assay', version: spec.toolVersion ?? '0.1.0' },
    scannedAt: spec.scannedAt ?? '2025-01-01T00:00:00.000Z',
    target,
    score: {
      value: spec.value ?? 100,
      grade: spec.grade ?? 'A',
      verdict: spec.verdict ?? 'pass',
      complete: spec.complete ?? true,
      breakdown: [],
    },
    findings: spec.findings ?? [],
    analyzers: spec.analyzers ?? DEFAULT_TEST_ANALYZERS.map((a) => ({ ...a })),
    tools: spec.tools ?? [],
    files: { count: 3, bytes: 1000, incomplete: false, binaries: [] },
    timings: { fetchMs: 1, analyzeMs: 1, scoreMs: 1, totalMs: 3 },
  };
  return ReportSchema.parse(report);
}
