import type { AnalyzerResult } from '../core/analyzer.js';
import type { Finding } from '../core/finding.js';
import { severityRank } from '../core/finding.js';
import type { Report, ReportTool } from '../core/report.js';
import { REPORT_SCHEMA_VERSION, ReportSchema } from '../core/report.js';
import type { Score } from '../core/score.js';
import type { Target } from '../core/target.js';
import type { Workspace } from '../core/workspace.js';
import { BINARY_EXECUTABLE_TYPES } from '../core/workspace.js';
import { TOOL_VERSION } from './version.js';

export interface ReportInput {
  target: Target;
  workspace: Workspace;
  results: readonly AnalyzerResult[];
  findings: readonly Finding[];
  score: Score;
  tools?: readonly ReportTool[];
  /** sha256 by workspace path, for the executables found by content. */
  binaryHashes?: ReadonlyMap<string, string>;
  timings: Report['timings'];
  scannedAt: Date;
}

/** Worst first, then by place, so the report reads top-down and is stable between runs. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      Number(b.kind === 'threat') - Number(a.kind === 'threat') ||
      severityRank(b.severity) - severityRank(a.severity) ||
      a.ruleId.localeCompare(b.ruleId) ||
      (a.location?.file ?? '').localeCompare(b.location?.file ?? '') ||
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      a.fingerprint.localeCompare(b.fingerprint),
  );
}

function reportTarget(target: Target, workspace: Workspace): Report['target'] {
  const out: Report['target'] = { kind: target.kind, spec: target.spec };
  const name = workspace.name ?? target.name;
  const version = workspace.version ?? target.version;
  if (name !== undefined) out.name = name;
  if (version !== undefined) out.version = version;
  if (workspace.integrity !== undefined) out.integrity = workspace.integrity;
  if (workspace.commit !== undefined) out.commit = workspace.commit;
  return out;
}

function reportAnalyzers(results: readonly AnalyzerResult[]): Report['analyzers'] {
  return results.map((r) => {
    const entry: Report['analyzers'][number] = { id: r.analyzer, version: r.version, status: r.status, durationMs: r.durationMs, errors: r.errors };
    if (r.reason !== undefined) entry.reason = r.reason;
    return entry;
  });
}

/** Assembles the public JSON contract and validates it before anyone sees it. */
export function buildReport(input: ReportInput): Report {
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'mcp-assay', version: TOOL_VERSION },
    scannedAt: input.scannedAt.toISOString(),
    target: reportTarget(input.target, input.workspace),
    score: input.score,
    findings: sortFindings(input.findings),
    analyzers: reportAnalyzers(input.results),
    tools: [...(input.tools ?? [])],
    files: {
      count: input.workspace.files.length,
      bytes: input.workspace.totalBytes,
      incomplete: input.workspace.incomplete,
      binaries: input.workspace.files
        .filter((f) => BINARY_EXECUTABLE_TYPES.has(f.type))
        .map((f) => {
          const sha256 = input.binaryHashes?.get(f.path);
          return { path: f.path, size: f.size, type: f.type, ...(sha256 === undefined ? {} : { sha256 }) };
        }),
    },
    timings: input.timings,
  };
  return ReportSchema.parse(report);
}
