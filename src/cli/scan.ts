import type { Command } from 'commander';
import { AssayError } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import type { Report } from '../core/report.js';
import { runScan } from '../queue/scan-job.js';
import { formatJson } from '../report/json.js';
import { formatTable } from '../report/table.js';
import { parseTargetSpec } from '../sources/spec.js';
import { openStore } from '../store/index.js';
import { gateExitCode } from './gate.js';
import type { Io } from './io.js';
import type { LimitFlags } from './options.js';
import { analyzerLimits, defaultDbPath, parseFailOn, parseFormat, registryOption, secondsOption, workspaceLimits } from './options.js';

interface ScanFlags extends LimitFlags {
  format: string;
  failOn?: string;
  registry?: string;
  db?: string;
  store: boolean;
  timeout?: string;
}

const DEFAULT_SCAN_TIMEOUT_S = 600;

function storeReport(report: Report, dbPath: string): void {
  const store = openStore(dbPath);
  try {
    store.saveReport(report);
  } finally {
    store.close();
  }
}

async function scan(spec: string, flags: ScanFlags, io: Io, signal: AbortSignal): Promise<ExitCode> {
  const format = parseFormat(flags.format);
  const failOn = parseFailOn(flags.failOn);
  const limits = workspaceLimits(flags);
  const analyzer = analyzerLimits(flags);
  const registry = registryOption(flags.registry);
  const timeoutS = secondsOption('--timeout', flags.timeout, DEFAULT_SCAN_TIMEOUT_S);
  const target = await parseTargetSpec(spec);

  const deadline = AbortSignal.timeout(timeoutS * 1000);
  let report: Report;
  try {
    report = await runScan(target, {
      signal: AbortSignal.any([signal, deadline]),
      limits,
      analyzerLimits: analyzer,
      registry,
      onProgress: io.interactive ? (message) => io.err(`\u001b[2m… ${message}\u001b[0m\n`) : undefined,
    });
  } catch (error) {
    if (deadline.aborted && !signal.aborted) throw new AssayError('timeout', `scan of ${spec} did not finish within ${timeoutS} s (--timeout)`, { cause: error });
    throw error;
  }
  if (flags.store) storeReport(report, flags.db ?? defaultDbPath());
  io.out(format === 'json' ? formatJson(report) : formatTable(report, { color: io.color }));
  return gateExitCode(report.score.verdict, failOn);
}

export function registerScan(program: Command, io: Io, signal: AbortSignal, setExit: (code: ExitCode) => void): void {
  program
    .command('scan')
    .description('scan one MCP server: a directory, a .tgz, npm:<name>[@version|range|tag], or a git URL[#ref]')
    .argument('<target>', 'what to scan')
    .option('--format <format>', 'table or json', 'table')
    .option('--fail-on <verdict>', 'exit 1 when the verdict is at least this: fail or review')
    .option('--registry <url>', 'npm registry (default: from your npm configuration)')
    .option('--db <path>', 'SQLite database to record the scan in')
    .option('--no-store', 'do not record the scan')
    .option('--timeout <seconds>', `time limit for the whole scan (default ${DEFAULT_SCAN_TIMEOUT_S})`)
    .option('--analyzer-timeout <seconds>', 'time limit for each analyzer (default 60)')
    .option('--max-archive-size <size>', 'largest archive to read (default 200MiB)')
    .option('--max-unpacked-size <size>', 'most bytes to unpack (default 1GiB)')
    .option('--max-files <count>', 'most files to keep (default 20000)')
    .option('--max-file-size <size>', 'largest single file to keep (default 64MiB)')
    .action(async (spec: string, flags: ScanFlags) => {
      setExit(await scan(spec, flags, io, signal));
    });
}
