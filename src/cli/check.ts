import type { Command } from 'commander';
import { AssayError, isAbortError } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { severityRank } from '../core/finding.js';
import type { Report } from '../core/report.js';
import type { Grade, Verdict } from '../core/score.js';
import { verdictRank } from '../core/score.js';
import { escapeTerminal } from '../core/text.js';
import type { runScan } from '../queue/scan-job.js';
import { TOOLS_ANALYZER_ID } from '../analyzers/tools/rules.js';
import { asciiJson } from '../report/json.js';
import type { ConfiguredServer, PathEnv } from '../sources/client-configs/index.js';
import { loadClientConfigs, pathEnvFromProcess } from '../sources/client-configs/index.js';
import type { ServerTarget, TargetNote } from '../sources/client-configs/to-target.js';
import { toTarget } from '../sources/client-configs/to-target.js';
import type { Store } from '../store/index.js';
import { openStore } from '../store/index.js';
import { gateExitCode } from './gate.js';
import type { Io } from './io.js';
import { analyzerLimits, defaultDbPath, parseFailOn, parseFormat, registryOption, secondsOption, workspaceLimits } from './options.js';

interface CheckFlags {
  format: string;
  failOn?: string;
  db?: string;
  registry?: string;
  offline?: boolean;
  timeout?: string;
}

const DEFAULT_SERVER_TIMEOUT_S = 600;
const TOP_REASONS = 3;

export type CheckStatus = 'stored' | 'scanned' | 'not-in-store' | 'not-scannable' | 'error';

export interface AllowList {
  /** The tools the client would allow after tightening, in the config's order. */
  keep: string[];
  /** Tools the tools analyzer flagged, left out. */
  remove: string[];
}

export interface CheckRow {
  client: string;
  file: string;
  name: string;
  runs: string;
  target?: string;
  status: CheckStatus;
  score?: { value: number; grade: Grade; verdict: Verdict; complete: boolean; version?: string };
  reasons: string[];
  notes: TargetNote[];
  error?: string;
  allowList?: AllowList;
  /** mcpd's package, kept so the tightened `[[servers]]` block can be pasted whole. */
  package?: string;
}

export type ScanFn = typeof runScan;

export interface CheckOptions {
  offline: boolean;
  signal: AbortSignal;
  registry?: string | undefined;
  timeoutS?: number;
  scan?: ScanFn;
  onProgress?: ((message: string) => void) | undefined;
}

/** Highest-severity finding titles first, each once. */
export function topReasons(findings: readonly Finding[], count = TOP_REASONS): string[] {
  const sorted = [...findings].filter((f) => f.severity !== 'info').sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  const out: string[] = [];
  for (const f of sorted) {
    if (!out.includes(f.title)) out.push(f.title);
    if (out.length >= count) break;
  }
  return out;
}

const TOOL_MESSAGE = /^Tool ("(?:[^"\\]|\\.)*"):/;

/**
 * Tools the tools analyzer flagged: its messages start with the tool's quoted name, and a finding at
 * a tool's own definition site names that tool too.
 */
export function flaggedTools(report: Report): Set<string> {
  const out = new Set<string>();
  for (const f of report.findings) {
    if (f.analyzer !== TOOLS_ANALYZER_ID || f.severity === 'info') continue;
    const quoted = f.message === undefined ? undefined : TOOL_MESSAGE.exec(f.message)?.[1];
    if (quoted !== undefined) {
      try {
        out.add(JSON.parse(quoted) as string);
      } catch {
        // A name made visible with escapes is not a name any client matches; skip it.
      }
    }
    const loc = f.location;
    if (loc?.file === undefined || loc.line === undefined) continue;
    for (const tool of report.tools) if (tool.location?.file === loc.file && tool.location.line === loc.line) out.add(tool.name);
  }
  return out;
}

/** Only mcpd and VS Code let a config name the tools a server may expose. */
export function allowListFor(server: ConfiguredServer, report: Report): AllowList | undefined {
  if (server.client !== 'mcpd' && server.client !== 'vscode') return undefined;
  const flagged = flaggedTools(report);
  const current = server.allowTools ?? report.tools.map((t) => t.name);
  const remove = current.filter((t) => flagged.has(t));
  if (remove.length === 0) return undefined;
  return { keep: current.filter((t) => !flagged.has(t)), remove };
}

function rowBase(st: ServerTarget): CheckRow {
  const row: CheckRow = { client: st.server.client, file: st.server.file, name: st.server.name, runs: st.runs, status: 'not-scannable', reasons: [], notes: [...st.notes] };
  if (st.target !== undefined) row.target = st.target.spec;
  if (st.server.package !== undefined) row.package = st.server.package;
  return row;
}

function withReport(row: CheckRow, server: ConfiguredServer, report: Report, status: CheckStatus): CheckRow {
  row.status = status;
  row.score = { value: report.score.value, grade: report.score.grade, verdict: report.score.verdict, complete: report.score.complete };
  if (report.target.version !== undefined) row.score.version = report.target.version;
  row.reasons = topReasons(report.findings);
  const allow = allowListFor(server, report);
  if (allow !== undefined) row.allowList = allow;
  if (!report.score.complete) row.notes.push({ kind: 'unknown', message: 'analysis incomplete: the score is an upper bound' });
  return row;
}

/** A stored scan answers for pinned packages; an unpinned one is only looked up when offline. */
function lookUp(store: Store, st: ServerTarget, offline: boolean): Report | undefined {
  const target = st.target;
  if (target?.kind !== 'npm' || target.name === undefined) return undefined;
  if (target.version === undefined && !offline) return undefined;
  return store.latestScan(target.name, target.version)?.report;
}

async function scanOne(st: ServerTarget, store: Store, options: CheckOptions): Promise<Report> {
  const target = st.target;
  if (target === undefined) throw new Error('no target');
  const timeoutS = options.timeoutS ?? DEFAULT_SERVER_TIMEOUT_S;
  const deadline = AbortSignal.timeout(timeoutS * 1000);
  try {
    // Loaded only when something must be scanned: the analyzers take over a second to import.
    const scan = options.scan ?? (await import('../queue/scan-job.js')).runScan;
    const report = await scan(target, {
      signal: AbortSignal.any([options.signal, deadline]),
      limits: workspaceLimits({}),
      analyzerLimits: analyzerLimits({}),
      registry: options.registry,
      onProgress: options.onProgress,
    });
    store.saveReport(report);
    return report;
  } catch (error) {
    if (deadline.aborted && !options.signal.aborted) throw new AssayError('timeout', `did not finish within ${timeoutS} s (--timeout)`, { cause: error });
    throw error;
  }
}

async function checkOne(st: ServerTarget, store: Store, options: CheckOptions): Promise<CheckRow> {
  const row = rowBase(st);
  if (st.target === undefined) return row;
  const stored = lookUp(store, st, options.offline);
  if (stored !== undefined) return withReport(row, st.server, stored, 'stored');
  if (options.offline) {
    row.status = 'not-in-store';
    return row;
  }
  try {
    return withReport(row, st.server, await scanOne(st, store, options), 'scanned');
  } catch (error) {
    if (isAbortError(error) && options.signal.aborted) throw error;
    row.status = 'error';
    row.error = error instanceof Error ? error.message : String(error);
    return row;
  }
}

/** Looks up (and unless offline, scans and stores) every configured server, in config order. */
export async function checkServers(servers: readonly ConfiguredServer[], store: Store, options: CheckOptions): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  for (const server of servers) {
    options.signal.throwIfAborted();
    rows.push(await checkOne(toTarget(server), store, options));
  }
  return rows;
}

function show(text: string): string {
  return escapeTerminal(text);
}

function scoreText(row: CheckRow): string {
  if (row.score !== undefined) return `${row.score.value}/100 ${row.score.grade} ${row.score.verdict}${row.score.complete ? '' : ' (incomplete)'}`;
  if (row.status === 'not-in-store') return 'not in store';
  if (row.status === 'error') return 'scan failed';
  return 'not scanned';
}

/** TOML basic strings accept JSON's escapes; non-ASCII is escaped so nothing hidden reaches the terminal. */
function tomlString(text: string): string {
  return asciiJson(text);
}

function allowListBlock(row: CheckRow): string[] {
  const allow = row.allowList;
  if (allow === undefined) return [];
  const removed = `  # left out (flagged by the tools analyzer): ${allow.remove.map(show).join(', ')}`;
  if (row.client === 'mcpd') {
    const lines = [`  tightened allow-list for ${show(row.name)} (paste into ${show(row.file)}):`, removed, '  [[servers]]', `    name = ${tomlString(row.name)}`];
    if (row.package !== undefined) lines.push(`    package = ${tomlString(row.package)}`);
    lines.push(`    tools = [${allow.keep.map(tomlString).join(', ')}]`);
    return lines;
  }
  return [`  tools to enable for ${show(row.name)} (VS Code tools picker or a prompt file's tools list):`, removed, `  ${asciiJson(allow.keep)}`];
}

export function formatCheckTable(rows: readonly CheckRow[], problems: readonly string[]): string {
  const lines: string[] = [];
  for (const row of rows) {
    const parts = [`${show(row.name)} [${row.client}]`, show(row.runs), scoreText(row)];
    if (row.reasons.length > 0) parts.push(row.reasons.map(show).join('; '));
    const unknown = row.notes.map((n) => `${n.kind}: ${show(n.message)}`);
    if (row.error !== undefined) unknown.push(`error: ${show(row.error)}`);
    if (unknown.length > 0) parts.push(`unknown: ${unknown.join('; ')}`);
    lines.push(parts.join('  |  '));
    lines.push(...allowListBlock(row));
  }
  for (const problem of problems) lines.push(`skipped: ${show(problem)}`);
  return `${lines.join('\n')}\n`;
}

export function formatCheckJson(rows: readonly CheckRow[], files: readonly string[], problems: readonly string[]): string {
  return `${asciiJson({ files, problems, servers: rows }, 2)}\n`;
}

/** The worst verdict among servers with a score; servers without one cannot fail the gate. */
export function checkExitCode(rows: readonly CheckRow[], failOn: Exclude<Verdict, 'pass'> | undefined): ExitCode {
  let worst: Verdict = 'pass';
  for (const row of rows) if (row.score !== undefined && verdictRank(row.score.verdict) > verdictRank(worst)) worst = row.score.verdict;
  return gateExitCode(worst, failOn);
}

export interface RunCheckDeps {
  env?: PathEnv;
  scan?: ScanFn;
}

export async function runCheck(configs: readonly string[], flags: CheckFlags, io: Io, signal: AbortSignal, deps: RunCheckDeps = {}): Promise<ExitCode> {
  const format = parseFormat(flags.format);
  const failOn = parseFailOn(flags.failOn);
  const registry = registryOption(flags.registry);
  const timeoutS = secondsOption('--timeout', flags.timeout, DEFAULT_SERVER_TIMEOUT_S);
  const loaded = await loadClientConfigs(configs, deps.env ?? pathEnvFromProcess());
  if (loaded.files.length === 0) {
    const why = loaded.problems.length > 0 ? `: ${loaded.problems.join('; ')}` : '';
    throw new AssayError('notFound', `no MCP client configuration found for this user or project; name one: mcp-assay check <config>${why}`);
  }
  const store = openStore(flags.db ?? defaultDbPath());
  try {
    const rows = await checkServers(loaded.servers, store, {
      offline: flags.offline === true,
      signal,
      registry,
      timeoutS,
      ...(deps.scan !== undefined ? { scan: deps.scan } : {}),
      onProgress: io.interactive ? (message) => io.err(`\u001b[2m… ${escapeTerminal(message)}\u001b[0m\n`) : undefined,
    });
    io.out(format === 'json' ? formatCheckJson(rows, loaded.files, loaded.problems) : formatCheckTable(rows, loaded.problems));
    return checkExitCode(rows, failOn);
  } finally {
    store.close();
  }
}

export function registerCheck(program: Command, io: Io, signal: AbortSignal, setExit: (code: ExitCode) => void): void {
  program
    .command('check')
    .description('check the MCP servers in your client configurations (Claude Desktop, Cursor, VS Code, Windsurf, Claude Code, mcpd)')
    .argument('[config...]', 'config files to read (default: the usual locations for this user and project)')
    .option('--offline', 'only look servers up in the store; scan nothing')
    .option('--format <format>', 'table or json', 'table')
    .option('--fail-on <verdict>', 'exit 1 when any server\'s verdict is at least this: fail or review')
    .option('--db <path>', 'SQLite database to read and record scans in')
    .option('--registry <url>', 'npm registry (default: from your npm configuration)')
    .option('--timeout <seconds>', `time limit for scanning each server (default ${DEFAULT_SERVER_TIMEOUT_S})`)
    .action(async (configs: string[], flags: CheckFlags) => {
      setExit(await runCheck(configs, flags, io, signal));
    });
}
