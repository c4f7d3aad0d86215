import { appendFileSync, lstatSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { AssayError, EXIT, errorMessage } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import type { Report } from '../core/report.js';
import { formatBytes, parseSize } from '../core/limits.js';
import { escapeTerminal } from '../core/text.js';
import { resolveRegistry } from '../fetch/registry-config.js';
import { alertFor, formatAlertLine } from '../queue/alerts.js';
import type { HarvestEvent, HarvestSummary } from '../queue/harvest.js';
import { DEFAULT_WORKSPACE_MEMORY_BYTES, runHarvest } from '../queue/harvest.js';
import { sourcesFromOptions } from '../sources/index.js';
import { openStore } from '../store/index.js';
import type { Io } from './io.js';
import type { LimitFlags } from './options.js';
import { analyzerLimits, defaultDbPath, registryOption, secondsOption, workspaceLimits } from './options.js';
import { requireSandbox } from '../sandbox/preflight.js';
import { requireEngine } from '../analyzers/signatures/compiled.js';
import { createEngine } from '../analyzers/signatures/engine/index.js';
import { DEFAULT_WORKER_HEAP_MB } from '../queue/analysis-pool.js';
import { parseEngineName } from './signatures.js';
import { createProgress } from './progress.js';

interface HarvestFlags extends LimitFlags {
  sandbox?: boolean;
  list: string[];
  git: string[];
  name: string[];
  keyword: string[];
  search?: boolean;
  registry?: string;
  mcpRegistry?: string;
  db?: string;
  limit?: string;
  since?: string;
  concurrency?: string;
  jobTimeout?: string;
  alerts?: string;
  logFormat: string;
  cacheDir?: string;
  workDir?: string;
  yaraEngine?: string;
  workerHeapMb?: string;
  workspaceMemory?: string;
}

const DEFAULT_JOB_TIMEOUT_S = 600;
const PROGRESS_TICK_MS = 1000;
const collect = (value: string, previous: string[]): string[] => [...previous, value];

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new AssayError('usage', `${flag} expects a positive whole number, got "${value}"`);
  return n;
}

function memoryOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '0') return 0;
  const bytes = parseSize(value);
  if (bytes === undefined) throw new AssayError('usage', `--workspace-memory expects a size such as 96MiB, or 0 to always unpack to disk, got "${value}"`);
  return bytes;
}

function sinceOption(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new AssayError('usage', `--since expects a date (YYYY-MM-DD or ISO time), got "${value}"`);
  return date;
}

function logFormat(value: string): 'json' | 'text' {
  if (value === 'json' || value === 'text') return value;
  throw new AssayError('usage', `--log-format expects json or text, got "${value}"`);
}

/** An existing directory of ours to unpack into; checked once here rather than failing every job. */
function workDirOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const dir = path.resolve(value);
  let stats: Stats;
  try {
    stats = lstatSync(dir);
  } catch (error) {
    throw new AssayError('usage', `--work-dir ${value}: ${errorMessage(error)}`);
  }
  if (!stats.isDirectory()) throw new AssayError('usage', `--work-dir ${value} is not a directory`);
  return dir;
}

/** The npm registry is needed only for npm work; a harvest of lists of local targets runs without one. */
async function registryFor(flags: HarvestFlags): Promise<string | undefined> {
  const explicit = registryOption(flags.registry);
  const needed = explicit !== undefined || flags.name.length > 0 || flags.keyword.length > 0 || flags.search === true;
  try {
    return await resolveRegistry({ explicit });
  } catch (error) {
    if (needed) throw error;
    return undefined;
  }
}

function logEvent(log: Logger, event: HarvestEvent): void {
  switch (event.type) {
    case 'job-failed':
    case 'job-retry':
      log.warn(event, event.type);
      return;
    case 'source-ended':
      log.info({ source: event.source, ...event.end }, event.type);
      return;
    default:
      log.info(event, event.type);
  }
}

function textEvent(io: Io, event: HarvestEvent): void {
  if (event.type === 'job-failed') io.err(`\r\u001b[2Kfailed ${escapeTerminal(event.key)}: ${escapeTerminal(event.reason)}\n`);
  if (event.type === 'source-ended' && event.end.status !== 'complete') {
    io.err(`\r\u001b[2Ksource ${event.source} ended (${event.end.status})${event.end.reason === undefined ? '' : `: ${escapeTerminal(event.end.reason)}`}\n`);
  }
}

export function formatSummary(summary: HarvestSummary): string {
  const lines = [
    `harvest run ${summary.runId}${summary.resumed ? ' (resumed)' : ''}${summary.interrupted ? ' — interrupted, run again to resume' : ''}`,
    `  targets seen       ${summary.targetsSeen}`,
    `  new versions       ${summary.newVersions}`,
    `  scanned            ${summary.scanned}`,
    `  unchanged, skipped ${summary.skippedUnchanged}`,
    `  failed             ${summary.failed.length}`,
    ...summary.failed.slice(0, 50).map((f) => `    ${escapeTerminal(f.key)}: ${escapeTerminal(f.reason)}`),
    `  verdict changes    ${summary.verdictChanges.length}`,
    ...summary.verdictChanges.slice(0, 50).map((c) => `    ${escapeTerminal(c.package)}: ${c.from} → ${c.to}`),
    ...summary.sourceEnds.map((e) => `  source ${e.source}: ${e.status}, ${e.items} items${e.reason === undefined ? '' : ` (${escapeTerminal(e.reason)})`}`),
    `  duration           ${(summary.durationMs / 1000).toFixed(1)} s`,
  ];
  return `${lines.join('\n')}\n`;
}

async function harvest(flags: HarvestFlags, io: Io, signal: AbortSignal): Promise<ExitCode> {
  const format = logFormat(flags.logFormat);
  const limit = positiveInt('--limit', flags.limit);
  const concurrency = positiveInt('--concurrency', flags.concurrency);
  const jobTimeoutS = secondsOption('--job-timeout', flags.jobTimeout, DEFAULT_JOB_TIMEOUT_S);
  const since = sinceOption(flags.since);
  const registry = await registryFor(flags);
  const workDir = workDirOption(flags.workDir);
  const workerHeapMb = positiveInt('--worker-heap-mb', flags.workerHeapMb);
  const workspaceMemoryBytes = memoryOption(flags.workspaceMemory);
  const signatureEngine = flags.yaraEngine === undefined ? undefined : parseEngineName(flags.yaraEngine);
  if (signatureEngine !== undefined) await requireEngine(signatureEngine, createEngine);
  const sources = sourcesFromOptions({
    ...(registry !== undefined ? { registry } : {}),
    ...(flags.mcpRegistry !== undefined ? { mcpRegistry: flags.mcpRegistry } : {}),
    ...(flags.keyword.length > 0 ? { keywords: flags.keyword } : {}),
    names: flags.name,
    listFiles: flags.list,
    gitUrls: flags.git,
    ...(flags.search !== undefined ? { search: flags.search } : {}),
  });
  if (sources.length === 0) throw new AssayError('usage', 'nothing to harvest: give --list, --git, --name, --keyword or --search');
  const dbPath = flags.db ?? defaultDbPath();
  const alertsPath = flags.alerts ?? path.join(path.dirname(dbPath), 'alerts.jsonl');
  const log = format === 'json' ? pino({ base: null }, pino.destination({ fd: 2, sync: true })) : undefined;
  const progress = format === 'text' ? createProgress({ stream: { write: io.err, isTTY: io.interactive } }) : undefined;
  const timer = progress === undefined ? undefined : setInterval(() => progress.tick(), PROGRESS_TICK_MS);
  timer?.unref();
  const onScanned = (previous: Report | undefined, current: Report): void => {
    const alert = alertFor(previous, current);
    if (alert !== undefined) appendFileSync(alertsPath, `${formatAlertLine(alert)}\n`);
  };
  if (flags.sandbox === true) await requireSandbox(signal);
  const store = openStore(dbPath);
  let summary: HarvestSummary;
  try {
    summary = await runHarvest({
      store,
      sources,
      signal,
      limits: workspaceLimits(flags),
      analyzerLimits: analyzerLimits(flags),
      limit,
      since,
      concurrency,
      jobTimeoutMs: jobTimeoutS * 1000,
      registry,
      cacheDir: flags.cacheDir,
      ...(workDir !== undefined ? { tmpDir: workDir } : {}),
      ...(workerHeapMb !== undefined ? { workerHeapMb } : {}),
      ...(workspaceMemoryBytes !== undefined ? { workspaceMemoryBytes } : {}),
      ...(signatureEngine !== undefined ? { signatureEngine } : {}),
      ...(flags.sandbox === true ? { capabilities: { network: true, docker: true } } : {}),
      onEvent: (event) => {
        if (log !== undefined) logEvent(log, event);
        else textEvent(io, event);
        progress?.onEvent(event);
      },
      onWarning: (message) => (log !== undefined ? log.warn({ message }, 'warning') : io.err(`warning: ${escapeTerminal(message)}\n`)),
      onScanned: (previous, current) => {
        try {
          onScanned(previous, current);
        } catch (error) {
          io.err(`warning: cannot write alert to ${alertsPath}: ${errorMessage(error)}\n`);
        }
      },
    });
  } finally {
    if (timer !== undefined) clearInterval(timer);
    store.close();
  }
  progress?.finish();
  if (log !== undefined) log.info(summary, 'harvest-summary');
  io.out(format === 'json' ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
  return summary.interrupted ? EXIT.interrupted : EXIT.ok;
}

export function registerHarvest(program: Command, io: Io, signal: AbortSignal, setExit: (code: ExitCode) => void): void {
  program
    .command('harvest')
    .description('list MCP servers from sources and scan each new version into the database; resumable')
    .option('--list <file>', 'a file of targets, one per line (repeatable)', collect, [])
    .option('--git <url>', 'a git repository to scan (repeatable)', collect, [])
    .option('--name <name>', 'an npm package name (repeatable)', collect, [])
    .option('--keyword <keyword>', 'search npm for this keyword (repeatable)', collect, [])
    .option('--search', 'search npm with the default keywords')
    .option('--registry <url>', 'npm registry (default: from your npm configuration)')
    .option('--mcp-registry <url>', 'MCP registry to list servers from')
    .option('--db <path>', 'SQLite database (default: data/assay.db or $MCP_ASSAY_DB)')
    .option('--limit <n>', 'most targets to take from all sources')
    .option('--since <date>', 'only versions published since this date (where the source knows)')
    .option('--concurrency <n>', 'analysis threads (default: the available cores)')
    .option('--job-timeout <seconds>', `time limit per package (default ${DEFAULT_JOB_TIMEOUT_S})`)
    .option('--alerts <file>', 'append release alerts here as JSON lines (default: alerts.jsonl next to the db)')
    .option('--log-format <format>', 'text (progress on stderr) or json (pino lines on stderr)', 'text')
    .option('--cache-dir <dir>', 'keep fetched archives here between harvests')
    .option('--work-dir <dir>', 'unpack workspaces here when they are not held in memory (default: the system temp dir)')
    .option('--workspace-memory <size>', `unpacked packages held in memory at once; 0 unpacks every package to disk (default ${formatBytes(DEFAULT_WORKSPACE_MEMORY_BYTES)})`)
    .option('--yara-engine <engine>', 'signature engine: wasm (default) or yara-x')
    .option('--worker-heap-mb <n>', `heap of one analysis thread in MiB (default ${DEFAULT_WORKER_HEAP_MB})`)
    .option('--sandbox', 'also run each server in a throwaway container (needs Docker; see mcp-assay sandbox doctor)')
    .option('--analyzer-timeout <seconds>', 'time limit for each analyzer (default 60)')
    .option('--max-archive-size <size>', 'largest archive to read (default 200MiB)')
    .option('--max-unpacked-size <size>', 'most bytes to unpack (default 1GiB)')
    .option('--max-files <count>', 'most files to keep (default 20000)')
    .option('--max-file-size <size>', 'largest single file to keep (default 64MiB)')
    .action(async (flags: HarvestFlags) => {
      setExit(await harvest(flags, io, signal));
    });
}
