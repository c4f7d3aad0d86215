import { readFileSync } from 'node:fs';
import { ANALYZERS } from '../analyzers/index.js';
import type { Finding, RuleMeta, Severity } from '../core/finding.js';
import type { Report } from '../core/report.js';
import { WORKSPACE_RULES } from '../fetch/rules.js';
import { asciiJson } from './json.js';
import { TOOL_VERSION } from './version.js';

/** The OASIS schema location SARIF consumers expect in `$schema`; never fetched by this tool. */
export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** Key of our one partial fingerprint; bump the suffix if Finding fingerprints ever change meaning. */
export const FINGERPRINT_KEY = 'mcpAssayFinding/v1';

export type SarifLevel = 'error' | 'warning' | 'note';

export interface SarifMessage {
  text: string;
}

export interface SarifRule {
  id: string;
  name: string;
  shortDescription: SarifMessage;
  fullDescription: SarifMessage;
  help: SarifMessage;
  helpUri?: string;
  defaultConfiguration: { level: SarifLevel };
  properties: { tags: string[]; severity: Severity; kind: string; 'security-severity': string };
}

export interface SarifRegion {
  startLine: number;
  startColumn?: number;
}

export interface SarifLocation {
  physicalLocation?: { artifactLocation: { uri: string }; region?: SarifRegion };
  logicalLocations?: { name: string; kind: string }[];
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: SarifMessage;
  locations: SarifLocation[];
  partialFingerprints: Record<string, string>;
  properties: { severity: Severity; kind: string; analyzer: string; target: string; capability?: string; declaredBy?: string };
}

export interface SarifRun {
  tool: { driver: { name: string; version: string; informationUri?: string; rules: SarifRule[] } };
  columnKind: 'utf16CodeUnits';
  results: SarifResult[];
  properties: { scores: { target: string; value: number; grade: string; verdict: string; complete: boolean }[] };
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: [SarifRun];
}

export interface SarifOptions {
  /** Where people read about the tool; defaults to `homepage` in our package.json when it has one. */
  informationUri?: string;
  /** Rule metadata to describe results with; defaults to every workspace and analyzer rule. */
  rules?: readonly RuleMeta[];
}

const LEVELS: Record<Severity, SarifLevel> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };

/** GitHub code scanning ranks security results by this 0–10 number on the rule. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '1.0' };

export function sarifLevel(severity: Severity): SarifLevel {
  return LEVELS[severity];
}

function readHomepage(): string | undefined {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    if (typeof pkg === 'object' && pkg !== null && 'homepage' in pkg && typeof pkg.homepage === 'string' && URL.canParse(pkg.homepage)) return pkg.homepage;
  } catch {
    // No homepage is not an error: informationUri is optional in SARIF.
  }
  return undefined;
}

/** Every rule any stage can emit, as docs/rules.md lists them. */
export function knownRules(): RuleMeta[] {
  return [...WORKSPACE_RULES, ...ANALYZERS.flatMap((a) => a.rules)];
}

function toSarifRule(meta: RuleMeta): SarifRule {
  const rule: SarifRule = {
    id: meta.id,
    name: meta.id.replace(/[/-](.)/g, (_, ch: string) => ch.toUpperCase()),
    shortDescription: { text: meta.title },
    fullDescription: { text: meta.description },
    help: { text: meta.recommendation },
    defaultConfiguration: { level: sarifLevel(meta.severity) },
    properties: { tags: ['security', meta.kind], severity: meta.severity, kind: meta.kind, 'security-severity': SECURITY_SEVERITY[meta.severity] },
  };
  if (meta.reference !== undefined && /^https?:\/\//.test(meta.reference) && URL.canParse(meta.reference)) rule.helpUri = meta.reference;
  return rule;
}

/** A finding whose rule has no metadata (a rule added after the report was stored) still gets a rule. */
function ruleFromFinding(finding: Finding): RuleMeta {
  return {
    id: finding.ruleId,
    title: finding.title,
    severity: finding.severity,
    kind: finding.kind,
    description: finding.title,
    recommendation: 'See the finding message and evidence.',
  };
}

/**
 * Workspace paths are relative with `/` separators; each segment is percent-encoded so spaces, `#` or
 * `%` in a package's file names cannot turn the URI into something else.
 */
export function relativeUri(file: string): string {
  const segments = file.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
  return segments.map((s) => encodeURIComponent(s)).join('/');
}

function locationsOf(finding: Finding): SarifLocation[] {
  const loc = finding.location;
  if (loc === undefined) return [];
  const out: SarifLocation = {};
  const uri = loc.file === undefined ? '' : relativeUri(loc.file);
  if (uri !== '') {
    out.physicalLocation = { artifactLocation: { uri } };
    if (loc.line !== undefined) {
      const region: SarifRegion = { startLine: loc.line };
      if (loc.column !== undefined) region.startColumn = loc.column;
      out.physicalLocation.region = region;
    }
  }
  if (loc.event !== undefined) out.logicalLocations = [{ name: loc.event, kind: 'sandbox-event' }];
  return out.physicalLocation === undefined && out.logicalLocations === undefined ? [] : [out];
}

function messageOf(finding: Finding): string {
  const parts = [finding.message ?? finding.title];
  if (finding.evidence !== undefined) parts.push(`Evidence: ${finding.evidence}`);
  return parts.join('\n');
}

function toResult(finding: Finding, report: Report, ruleIndex: number): SarifResult {
  const result: SarifResult = {
    ruleId: finding.ruleId,
    ruleIndex,
    level: sarifLevel(finding.severity),
    message: { text: messageOf(finding) },
    locations: locationsOf(finding),
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    properties: { severity: finding.severity, kind: finding.kind, analyzer: finding.analyzer, target: report.target.spec },
  };
  if (finding.capability !== undefined) result.properties.capability = finding.capability;
  if (finding.declaredBy !== undefined) result.properties.declaredBy = finding.declaredBy;
  return result;
}

/**
 * SARIF 2.1.0 for one or more reports: one run, every known rule on the driver, one result per finding.
 * Output is ASCII-escaped by `formatSarif`, so package text cannot carry terminal controls.
 */
export function toSarif(input: Report | readonly Report[], options: SarifOptions = {}): SarifLog {
  const reports: readonly Report[] = Array.isArray(input) ? input : [input as Report];
  const metas = new Map<string, RuleMeta>();
  for (const meta of options.rules ?? knownRules()) if (!metas.has(meta.id)) metas.set(meta.id, meta);
  for (const report of reports) for (const f of report.findings) if (!metas.has(f.ruleId)) metas.set(f.ruleId, ruleFromFinding(f));
  const ids = [...metas.keys()];
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  const results = reports.flatMap((report) => report.findings.map((f) => toResult(f, report, indexOf.get(f.ruleId) ?? -1)));
  const informationUri = options.informationUri ?? readHomepage();
  const driver: SarifRun['tool']['driver'] = { name: 'mcp-assay', version: reports[0]?.tool.version ?? TOOL_VERSION, rules: [...metas.values()].map(toSarifRule) };
  if (informationUri !== undefined) driver.informationUri = informationUri;
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: { driver },
        columnKind: 'utf16CodeUnits',
        results,
        properties: {
          scores: reports.map((r) => ({ target: r.target.spec, value: r.score.value, grade: r.score.grade, verdict: r.score.verdict, complete: r.score.complete })),
        },
      },
    ],
  };
}

export function formatSarif(input: Report | readonly Report[], options: SarifOptions = {}): string {
  return `${asciiJson(toSarif(input, options), 2)}\n`;
}
