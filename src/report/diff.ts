/**
 * What changed between two scans of one package: the tool surface (a re-described tool is how a rug pull
 * looks), install scripts, outside hosts, findings and the score. A pure function of two reports; every
 * string and list it copies out of them is bounded, since both come from package content.
 */
import semver from 'semver';
import { z } from 'zod';
import { hostOfBare, hostOfUrl } from '../analyzers/code/endpoints.js';
import type { Finding } from '../core/finding.js';
import { FindingKindSchema, LocationSchema, SeveritySchema } from '../core/finding.js';
import type { Report, ReportAnalyzer, ReportTool } from '../core/report.js';
import { GradeSchema, VerdictSchema, verdictRank } from '../core/score.js';
import type { ToolParameter } from '../core/tool.js';
import { truncateText } from '../core/text.js';
import type { ScanHistoryEntry } from '../store/repo.js';
import { sortFindings } from './build.js';

export const DIFF_SCHEMA_VERSION = 1;

/** Longest description, command or excerpt kept in a diff, in code points. */
export const DIFF_MAX_TEXT = 4000;
/** Most entries kept in any one list; `counts` has the full numbers. */
export const DIFF_MAX_ITEMS = 500;
const MAX_NAME = 200;
const MAX_EVIDENCE = 400;
const MAX_CAVEAT = 1000;
/** Characters of one finding's message/evidence searched for hosts. */
const MAX_HOST_SCAN = 2000;

// truncateText counts code points, so a kept string may hold up to twice as many UTF-16 units.
const text = (max: number) => z.string().max(2 * max);

const SideSchema = z.object({
  version: text(MAX_NAME).optional(),
  spec: text(MAX_NAME),
  scannedAt: z.string(),
  toolVersion: text(MAX_NAME),
  score: z.object({ value: z.number().int().min(0).max(100), grade: GradeSchema, verdict: VerdictSchema, complete: z.boolean() }),
});

const ToolRefSchema = z.object({
  name: text(MAX_NAME),
  source: z.enum(['static', 'sandbox']),
  description: text(DIFF_MAX_TEXT),
  parameters: z.array(text(MAX_NAME)).max(DIFF_MAX_ITEMS),
});

const ParameterSnapshotSchema = z.object({
  type: text(MAX_NAME).optional(),
  required: z.boolean().optional(),
  description: text(DIFF_MAX_TEXT).optional(),
});

const ParameterChangeSchema = z.object({
  name: text(MAX_NAME),
  change: z.enum(['added', 'removed', 'changed']),
  from: ParameterSnapshotSchema.optional(),
  to: ParameterSnapshotSchema.optional(),
});

const TextChangeSchema = z.object({
  from: text(DIFF_MAX_TEXT),
  to: text(DIFF_MAX_TEXT),
  /** The text between the common start and the common end: what was put in, and what was taken out. */
  inserted: text(DIFF_MAX_TEXT),
  deleted: text(DIFF_MAX_TEXT),
});

const AnnotationChangeSchema = z.object({
  key: text(MAX_NAME),
  from: z.union([z.boolean(), z.string(), z.number()]).optional(),
  to: z.union([z.boolean(), z.string(), z.number()]).optional(),
});

const ToolChangeSchema = z.object({
  name: text(MAX_NAME),
  source: z.enum(['static', 'sandbox']),
  description: TextChangeSchema.optional(),
  title: z.object({ from: text(MAX_NAME).optional(), to: text(MAX_NAME).optional() }).optional(),
  parameters: z.array(ParameterChangeSchema).max(DIFF_MAX_ITEMS),
  annotations: z.array(AnnotationChangeSchema).max(DIFF_MAX_ITEMS),
  /** True when text the model reads (the description or a parameter's) changed under the same tool name. */
  possibleRugPull: z.boolean(),
  why: text(DIFF_MAX_TEXT).optional(),
});

const ScriptSchema = z.object({ name: text(MAX_NAME), command: text(DIFF_MAX_TEXT) });
const ScriptChangeSchema = z.object({ name: text(MAX_NAME), from: text(DIFF_MAX_TEXT), to: text(DIFF_MAX_TEXT) });

const EndpointSchema = z.object({
  host: text(300),
  ruleIds: z.array(z.string()).max(50),
  file: text(MAX_NAME).optional(),
});

const FindingRefSchema = z.object({
  fingerprint: z.string(),
  ruleId: z.string(),
  severity: SeveritySchema,
  kind: FindingKindSchema,
  title: text(MAX_NAME),
  location: LocationSchema.optional(),
  evidence: text(MAX_EVIDENCE).optional(),
});

const count = z.number().int().nonnegative();

export const ReleaseDiffSchema = z.object({
  diffVersion: z.literal(DIFF_SCHEMA_VERSION),
  package: text(MAX_NAME),
  from: SideSchema,
  to: SideSchema,
  score: z.object({
    delta: z.number().int(),
    verdict: z.enum(['worse', 'same', 'better']),
    verdictWorse: z.boolean(),
  }),
  tools: z.object({
    added: z.array(ToolRefSchema).max(DIFF_MAX_ITEMS),
    removed: z.array(ToolRefSchema).max(DIFF_MAX_ITEMS),
    changed: z.array(ToolChangeSchema).max(DIFF_MAX_ITEMS),
  }),
  installScripts: z.object({
    added: z.array(ScriptSchema).max(DIFF_MAX_ITEMS),
    removed: z.array(ScriptSchema).max(DIFF_MAX_ITEMS),
    changed: z.array(ScriptChangeSchema).max(DIFF_MAX_ITEMS),
  }),
  endpoints: z.object({
    added: z.array(EndpointSchema).max(DIFF_MAX_ITEMS),
    removed: z.array(EndpointSchema).max(DIFF_MAX_ITEMS),
  }),
  findings: z.object({
    added: z.array(FindingRefSchema).max(DIFF_MAX_ITEMS),
    resolved: z.array(FindingRefSchema).max(DIFF_MAX_ITEMS),
  }),
  /** Full sizes of the lists above, which keep at most DIFF_MAX_ITEMS entries each. */
  counts: z.object({
    toolsAdded: count,
    toolsRemoved: count,
    toolsChanged: count,
    endpointsAdded: count,
    endpointsRemoved: count,
    findingsAdded: count,
    findingsResolved: count,
  }),
  /** Why part of the diff may be missing or not down to the package: failed analyzers, a newer mcp-assay. */
  caveats: z.array(text(MAX_CAVEAT)).max(50),
});
export type ReleaseDiff = z.infer<typeof ReleaseDiffSchema>;
export type ToolChange = z.infer<typeof ToolChangeSchema>;
export type DiffFindingRef = z.infer<typeof FindingRefSchema>;
export type DiffEndpoint = z.infer<typeof EndpointSchema>;
type Side = z.infer<typeof SideSchema>;
type ToolRef = z.infer<typeof ToolRefSchema>;
type ParameterChange = z.infer<typeof ParameterChangeSchema>;

const INSTALL_SCRIPT_RULE = 'manifest/install-script';

/** Rules whose finding names one host; the code analyzer puts it in the message (`… connects to <host>`). */
const HOST_RULES: ReadonlySet<string> = new Set(['code/endpoint', 'code/endpoint-raw-ip', 'code/endpoint-exfil-service', 'code/endpoint-dynamic-dns']);
/** Rules whose evidence may quote a URL (install scripts, downloads, remote dependencies and transports). */
const URL_RULES: ReadonlySet<string> = new Set([
  'manifest/install-network',
  'manifest/install-download-exec',
  'manifest/dependency-remote-url',
  'manifest/dependency-insecure-url',
  'manifest/insecure-remote',
  'manifest/docker-add-url',
  'manifest/docker-pipe-shell',
  'code/download-exec',
  'code/secrets-to-network',
]);
/** Words after which the code analyzer's messages name a bare host. */
const HOST_MARKERS: ReadonlySet<string> = new Set(['to', 'names', 'address']);

const name = (value: string): string => truncateText(value, MAX_NAME);
const bounded = (value: string): string => truncateText(value, DIFF_MAX_TEXT);

// ---- hosts ---------------------------------------------------------------------------------------------

/**
 * Splits on one character class (linear, nothing to backtrack) and hands each token to the same URL and
 * host parsers the code analyzer uses, so a diff names hosts exactly as the findings did.
 */
function tokens(value: string): string[] {
  return value.slice(0, MAX_HOST_SCAN).split(/[\s"'`()<>,;{}|\\]+/);
}

function urlHost(token: string): string | undefined {
  const sep = token.indexOf('://');
  if (sep <= 0) return undefined;
  let start = sep;
  while (start > 0 && /[a-z0-9+.-]/i.test(token.charAt(start - 1))) start -= 1;
  return hostOfUrl(token.slice(start));
}

/** Hosts named in a text: every URL, and with `bare` also a host right after a marker word. */
export function hostsInText(value: string, bare: boolean): string[] {
  const found = new Set<string>();
  const parts = tokens(value);
  for (let i = 0; i < parts.length; i += 1) {
    const token = parts[i] ?? '';
    const fromUrl = urlHost(token);
    if (fromUrl !== undefined) {
      found.add(fromUrl);
      continue;
    }
    if (!bare || !HOST_MARKERS.has(parts[i - 1] ?? '')) continue;
    const host = hostOfBare(token.replace(/[.:]+$/, ''));
    if (host !== undefined && (host.includes('.') || host.includes(':'))) found.add(host);
  }
  return [...found];
}

function hostsOfFinding(finding: Finding): string[] {
  const bare = HOST_RULES.has(finding.ruleId);
  if (!bare && !URL_RULES.has(finding.ruleId)) return [];
  const hosts = new Set<string>();
  for (const part of [finding.message, finding.evidence]) {
    if (part !== undefined) for (const host of hostsInText(part, bare && part === finding.message)) hosts.add(host);
  }
  return [...hosts];
}

function endpointsOf(report: Report): Map<string, DiffEndpoint> {
  const out = new Map<string, DiffEndpoint>();
  for (const finding of report.findings) {
    for (const host of hostsOfFinding(finding)) {
      const known = out.get(host);
      if (known === undefined) {
        const entry: DiffEndpoint = { host: truncateText(host, 300), ruleIds: [finding.ruleId] };
        if (finding.location?.file !== undefined) entry.file = name(finding.location.file);
        out.set(host, entry);
      } else if (!known.ruleIds.includes(finding.ruleId) && known.ruleIds.length < 50) {
        known.ruleIds.push(finding.ruleId);
      }
    }
  }
  return out;
}

// ---- install scripts -----------------------------------------------------------------------------------

/** Script name → command, from the manifest analyzer's `<script>: <command>` evidence. */
function installScriptsOf(report: Report): Map<string, string> {
  const out = new Map<string, string>();
  for (const finding of report.findings) {
    if (finding.ruleId !== INSTALL_SCRIPT_RULE || finding.evidence === undefined) continue;
    const colon = finding.evidence.indexOf(': ');
    const script = colon > 0 ? finding.evidence.slice(0, colon) : finding.evidence;
    const command = colon > 0 ? finding.evidence.slice(colon + 2) : '';
    if (!out.has(script)) out.set(script, command);
  }
  return out;
}

// ---- tools ---------------------------------------------------------------------------------------------

/** Formatting is not a change: only ASCII whitespace is folded, so inserted invisible characters still count. */
function normaliseText(value: string): string {
  return value.replace(/[ \t\r\n]+/g, ' ').trim();
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The middle parts left after the common start and end are cut away: linear, and enough to show an insertion. */
export function textChange(from: string, to: string): z.infer<typeof TextChangeSchema> {
  const limit = Math.min(from.length, to.length);
  let start = 0;
  while (start < limit && from.charCodeAt(start) === to.charCodeAt(start)) start += 1;
  if (start > 0 && isHighSurrogate(from.charCodeAt(start - 1))) start -= 1;
  let end = 0;
  while (end < limit - start && from.charCodeAt(from.length - 1 - end) === to.charCodeAt(to.length - 1 - end)) end += 1;
  if (end > 0 && isHighSurrogate(to.charCodeAt(to.length - end - 1))) end -= 1;
  return {
    from: bounded(from),
    to: bounded(to),
    inserted: bounded(to.slice(start, to.length - end)),
    deleted: bounded(from.slice(start, from.length - end)),
  };
}

/** One entry per tool name; with a static and a sandbox entry for a name, the sandbox one (what clients see). */
function toolsByName(report: Report): Map<string, ReportTool[]> {
  const out = new Map<string, ReportTool[]>();
  for (const tool of report.tools) {
    const list = out.get(tool.name);
    if (list === undefined) out.set(tool.name, [tool]);
    else list.push(tool);
  }
  return out;
}

/** Compares like with like: sandbox to sandbox when both scans ran it, else static to static. */
function pairTools(before: readonly ReportTool[], after: readonly ReportTool[]): [ReportTool, ReportTool] | undefined {
  for (const source of ['sandbox', 'static'] as const) {
    const a = before.find((t) => t.source === source);
    const b = after.find((t) => t.source === source);
    if (a !== undefined && b !== undefined) return [a, b];
  }
  const a = before[0];
  const b = after[0];
  return a !== undefined && b !== undefined ? [a, b] : undefined;
}

function toolRef(tool: ReportTool): ToolRef {
  return {
    name: name(tool.name),
    source: tool.source,
    description: bounded(tool.description),
    parameters: (tool.parameters ?? []).slice(0, DIFF_MAX_ITEMS).map((p) => name(p.name)),
  };
}

function snapshot(parameter: ToolParameter): z.infer<typeof ParameterSnapshotSchema> {
  const out: z.infer<typeof ParameterSnapshotSchema> = {};
  if (parameter.type !== undefined) out.type = name(parameter.type);
  if (parameter.required !== undefined) out.required = parameter.required;
  if (parameter.description !== undefined) out.description = bounded(parameter.description);
  return out;
}

function parameterChanges(before: readonly ToolParameter[], after: readonly ToolParameter[]): ParameterChange[] {
  const old = new Map(before.map((p) => [p.name, p]));
  const now = new Map(after.map((p) => [p.name, p]));
  const out: ParameterChange[] = [];
  for (const [key, p] of now) {
    const was = old.get(key);
    if (was === undefined) out.push({ name: name(key), change: 'added', to: snapshot(p) });
    else if (was.type !== p.type || was.required !== p.required || normaliseText(was.description ?? '') !== normaliseText(p.description ?? '')) {
      out.push({ name: name(key), change: 'changed', from: snapshot(was), to: snapshot(p) });
    }
  }
  for (const [key, p] of old) if (!now.has(key)) out.push({ name: name(key), change: 'removed', from: snapshot(p) });
  return out.slice(0, DIFF_MAX_ITEMS);
}

function annotationChanges(before: ReportTool['annotations'], after: ReportTool['annotations']): z.infer<typeof AnnotationChangeSchema>[] {
  const a = before ?? {};
  const b = after ?? {};
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const out: z.infer<typeof AnnotationChangeSchema>[] = [];
  for (const key of keys) {
    const from = a[key];
    const to = b[key];
    if (from === to) continue;
    const entry: z.infer<typeof AnnotationChangeSchema> = { key: name(key) };
    if (from !== undefined) entry.from = typeof from === 'string' ? name(from) : from;
    if (to !== undefined) entry.to = typeof to === 'string' ? name(to) : to;
    out.push(entry);
  }
  return out.slice(0, DIFF_MAX_ITEMS);
}

function rugPullReason(toolName: string, descriptionChanged: boolean, parameters: readonly string[], labels: { from: string; to: string }): string {
  const what = descriptionChanged
    ? parameters.length > 0
      ? `the description of "${toolName}" and of its parameter(s) ${parameters.join(', ')}`
      : `the description of "${toolName}"`
    : `the description of parameter(s) ${parameters.join(', ')} of "${toolName}"`;
  return (
    `Between ${labels.from} and ${labels.to} ${what} changed while the tool kept its name. ` +
    'The model reads this text as instructions, and a client that approved the earlier release is not asked again, ' +
    'so read the new text before updating.'
  );
}

function compareTool(before: ReportTool, after: ReportTool, labels: { from: string; to: string }): ToolChange | undefined {
  const descriptionChanged = normaliseText(before.description) !== normaliseText(after.description);
  const parameters = parameterChanges(before.parameters ?? [], after.parameters ?? []);
  const annotations = annotationChanges(before.annotations, after.annotations);
  const titleChanged = (before.title ?? '') !== (after.title ?? '');
  if (!descriptionChanged && parameters.length === 0 && annotations.length === 0 && !titleChanged) return undefined;
  const reworded = parameters.filter((p) => p.change === 'changed' && normaliseText(p.from?.description ?? '') !== normaliseText(p.to?.description ?? ''));
  const possibleRugPull = descriptionChanged || reworded.length > 0;
  const change: ToolChange = { name: name(after.name), source: after.source, parameters, annotations, possibleRugPull };
  if (descriptionChanged) change.description = textChange(before.description, after.description);
  if (titleChanged) {
    change.title = {};
    if (before.title !== undefined) change.title.from = name(before.title);
    if (after.title !== undefined) change.title.to = name(after.title);
  }
  if (possibleRugPull) {
    const shown = reworded.slice(0, 5).map((p) => p.name);
    change.why = bounded(rugPullReason(name(after.name), descriptionChanged, shown, labels));
  }
  return change;
}

function diffTools(from: Report, to: Report, labels: { from: string; to: string }): { added: ToolRef[]; removed: ToolRef[]; changed: ToolChange[] } {
  const before = toolsByName(from);
  const after = toolsByName(to);
  const pick = (list: readonly ReportTool[]): ReportTool | undefined => list.find((t) => t.source === 'sandbox') ?? list[0];
  const added: ToolRef[] = [];
  const removed: ToolRef[] = [];
  const changed: ToolChange[] = [];
  for (const [key, list] of after) {
    const was = before.get(key);
    const tool = pick(list);
    if (was === undefined) {
      if (tool !== undefined) added.push(toolRef(tool));
      continue;
    }
    const pair = pairTools(was, list);
    const change = pair === undefined ? undefined : compareTool(pair[0], pair[1], labels);
    if (change !== undefined) changed.push(change);
  }
  for (const [key, list] of before) {
    const tool = pick(list);
    if (!after.has(key) && tool !== undefined) removed.push(toolRef(tool));
  }
  const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);
  return { added: added.sort(byName), removed: removed.sort(byName), changed: changed.sort(byName) };
}

// ---- findings ------------------------------------------------------------------------------------------

function findingRef(finding: Finding): DiffFindingRef {
  const ref: DiffFindingRef = {
    fingerprint: finding.fingerprint,
    ruleId: finding.ruleId,
    severity: finding.severity,
    kind: finding.kind,
    title: name(finding.title),
  };
  if (finding.location !== undefined) {
    const { file, event, line, column } = finding.location;
    ref.location = {};
    if (file !== undefined) ref.location.file = name(file);
    if (event !== undefined) ref.location.event = name(event);
    if (line !== undefined) ref.location.line = line;
    if (column !== undefined) ref.location.column = column;
  }
  if (finding.evidence !== undefined) ref.evidence = truncateText(finding.evidence, MAX_EVIDENCE);
  return ref;
}

function findingsOnlyIn(report: Report, other: Report): Finding[] {
  const seen = new Set(other.findings.map((f) => f.fingerprint));
  return sortFindings(report.findings.filter((f) => !seen.has(f.fingerprint)));
}

// ---- caveats -------------------------------------------------------------------------------------------

function side(report: Report): Side {
  const { score, target } = report;
  const out: Side = {
    spec: name(target.spec),
    scannedAt: report.scannedAt,
    toolVersion: name(report.tool.version),
    score: { value: score.value, grade: score.grade, verdict: score.verdict, complete: score.complete },
  };
  if (target.version !== undefined) out.version = name(target.version);
  return out;
}

function label(report: Report): string {
  return name(report.target.version ?? report.scannedAt);
}

const STATUS_WORDS: Record<ReportAnalyzer['status'], string> = {
  succeeded: 'succeeded',
  partial: 'was cut short',
  failed: 'failed',
  skipped: 'was skipped',
  timeout: 'timed out',
};

function caveatsFor(from: Report, to: Report): string[] {
  const out: string[] = [];
  for (const report of [from, to]) {
    for (const a of report.analyzers) {
      if (a.status === 'succeeded') continue;
      out.push(
        `The ${name(a.id)} analyzer ${STATUS_WORDS[a.status]} on ${label(report)}` +
          `${a.reason === undefined ? '' : ` (${truncateText(a.reason, 200)})`}, so what it reports may be missing from that side of the diff.`,
      );
    }
  }
  if (from.tool.version !== to.tool.version) {
    out.push(`The scans were made by different mcp-assay releases (${name(from.tool.version)} and ${name(to.tool.version)}): some differences may come from the analyzers, not the package.`);
  }
  const versions = new Map(from.analyzers.map((a) => [a.id, a.version]));
  for (const a of to.analyzers) {
    const was = versions.get(a.id);
    if (was !== undefined && was !== a.version) {
      out.push(`The ${name(a.id)} analyzer changed from v${was} to v${a.version} between the scans: some of its findings may differ for that reason.`);
    }
  }
  return out.slice(0, 50).map((caveat) => truncateText(caveat, MAX_CAVEAT));
}

// ---- the diff ------------------------------------------------------------------------------------------

function cap<T>(list: readonly T[]): T[] {
  return list.slice(0, DIFF_MAX_ITEMS);
}

function diffScripts(from: Report, to: Report): ReleaseDiff['installScripts'] {
  const before = installScriptsOf(from);
  const after = installScriptsOf(to);
  const out: ReleaseDiff['installScripts'] = { added: [], removed: [], changed: [] };
  for (const [script, command] of after) {
    const was = before.get(script);
    if (was === undefined) out.added.push({ name: name(script), command: bounded(command) });
    else if (normaliseText(was) !== normaliseText(command)) out.changed.push({ name: name(script), from: bounded(was), to: bounded(command) });
  }
  for (const [script, command] of before) if (!after.has(script)) out.removed.push({ name: name(script), command: bounded(command) });
  return { added: cap(out.added), removed: cap(out.removed), changed: cap(out.changed) };
}

function diffEndpoints(from: Report, to: Report): { added: DiffEndpoint[]; removed: DiffEndpoint[] } {
  const before = endpointsOf(from);
  const after = endpointsOf(to);
  const byHost = (a: DiffEndpoint, b: DiffEndpoint): number => a.host.localeCompare(b.host);
  return {
    added: [...after.values()].filter((e) => !before.has(e.host)).sort(byHost),
    removed: [...before.values()].filter((e) => !after.has(e.host)).sort(byHost),
  };
}

/**
 * What changed from `from` to `to` (normally two versions of one package, older first). Tools are matched
 * by name, findings by fingerprint, install scripts by script name, endpoints by host.
 */
export function diffReports(from: Report, to: Report): ReleaseDiff {
  const labels = { from: label(from), to: label(to) };
  const tools = diffTools(from, to, labels);
  const endpoints = diffEndpoints(from, to);
  const added = findingsOnlyIn(to, from);
  const resolved = findingsOnlyIn(from, to);
  const rank = verdictRank(to.score.verdict) - verdictRank(from.score.verdict);
  const diff: ReleaseDiff = {
    diffVersion: DIFF_SCHEMA_VERSION,
    package: name(to.target.name ?? from.target.name ?? to.target.spec),
    from: side(from),
    to: side(to),
    score: {
      delta: to.score.value - from.score.value,
      verdict: rank > 0 ? 'worse' : rank < 0 ? 'better' : 'same',
      verdictWorse: rank > 0,
    },
    tools: { added: cap(tools.added), removed: cap(tools.removed), changed: cap(tools.changed) },
    installScripts: diffScripts(from, to),
    endpoints: { added: cap(endpoints.added), removed: cap(endpoints.removed) },
    findings: { added: cap(added).map(findingRef), resolved: cap(resolved).map(findingRef) },
    counts: {
      toolsAdded: tools.added.length,
      toolsRemoved: tools.removed.length,
      toolsChanged: tools.changed.length,
      endpointsAdded: endpoints.added.length,
      endpointsRemoved: endpoints.removed.length,
      findingsAdded: added.length,
      findingsResolved: resolved.length,
    },
    caveats: caveatsFor(from, to),
  };
  return diff;
}

/** Tools whose model-visible text changed: the signal behind a rug-pull alert. */
export function redescribedTools(diff: ReleaseDiff): ToolChange[] {
  return diff.tools.changed.filter((t) => t.possibleRugPull);
}

/**
 * Distinct stored versions, newest first: by semver when every version is one (release order), else by
 * the newest scan of each (what the store saw last). Unversioned scans (bare directories) are left out.
 */
export function distinctVersions(history: readonly ScanHistoryEntry[]): string[] {
  const seen: string[] = [];
  for (const entry of history) if (entry.version !== undefined && !seen.includes(entry.version)) seen.push(entry.version);
  if (seen.every((v) => semver.valid(v) !== null)) return [...seen].sort((a, b) => semver.rcompare(a, b));
  return seen;
}
