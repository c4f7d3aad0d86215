import type { Command } from 'commander';
import { AssayError } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import type { Report } from '../core/report.js';
import { ANALYZERS, withAnalyzer } from '../analyzers/index.js';
import { createSandboxAnalyzer } from '../analyzers/sandbox/index.js';
import { requireEngine } from '../analyzers/signatures/compiled.js';
import { createEngine } from '../analyzers/signatures/engine/index.js';
import { createSignaturesAnalyzer } from '../analyzers/signatures/index.js';
import type { Analyzer } from '../core/analyzer.js';
import { runScan } from '../queue/scan-job.js';
import { formatJson } from '../report/json.js';
import { requireSandbox } from '../sandbox/preflight.js';
import { formatSarif } from '../report/sarif.js';
import { formatTable } from '../report/table.js';
import { parseTargetSpec } from '../sources/spec.js';
import { openStore } from '../store/index.js';
import { gateExitCode } from './gate.js';
import type { Io } from './io.js';
import type { LimitFlags } from './options.js';
import { parseEngineName, ruleDirs } from './signatures.js';
import { analyzerLimits, defaultDbPath, parseFailOn, parseFormat, registryOption, secondsOption, workspaceLimits } from './options.js';

interface ScanFlags extends LimitFlags {
  format: string;
  failOn?: string;
  registry?: string;
  db?: string;
  store: boolean;
  timeout?: string;
  yaraEngine?: string;
  signatures: string[];
  sandbox?: boolean;
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

/** The analyzer list with the signatures analyzer swapped for one on the chosen engine and folders. */
async function analyzersFor(flags: ScanFlags): Promise<readonly Analyzer[] | undefined> {
  if (flags.yaraEngine === undefined && flags.signatures.length === 0) return undefined;
  const engine = parseEngineName(flags.yaraEngine ?? 'wasm');
  await requireEngine(engine, createEngine);
  const signatures = createSignaturesAnalyzer({ engine, dirs: ruleDirs(undefined, flags.signatures) });
  return withAnalyzer(ANALYZERS, signatures);
}

/** The analyzer list with the sandbox analyzer given the scan's registry. */
function withSandbox(analyzers: readonly Analyzer[], registry: string | undefined): Analyzer[] {
  return withAnalyzer(analyzers, createSandboxAnalyzer({ registry }));
}

async function scan(spec: string, flags: ScanFlags, io: Io, signal: AbortSignal): Promise<ExitCode> {
  // sarif is scan-only, so it is checked here rather than in the shared parseFormat.
  const format = flags.format === 'sarif' ? 'sarif' : parseFormat(flags.format);
  const failOn = parseFailOn(flags.failOn);
  const limits = workspaceLimits(flags);
  const analyzer = analyzerLimits(flags);
  const registry = registryOption(flags.registry);
  const timeoutS = secondsOption('--timeout', flags.timeout, DEFAULT_SCAN_TIMEOUT_S);
  const chosen = await analyzersFor(flags);
  const target = await parseTargetSpec(spec);
  if (flags.sandbox === true) await requireSandbox(signal);
  const analyzers = flags.sandbox === true ? withSandbox(chosen ?? ANALYZERS, registry) : chosen;

  const deadline = AbortSignal.timeout(timeoutS * 1000);
  let report: Report;
  try {
    report = await runScan(target, {
      signal: AbortSignal.any([signal, deadline]),
      limits,
      analyzerLimits: analyzer,
      registry,
      ...(analyzers !== undefined ? { analyzers } : {}),
      ...(flags.sandbox === true ? { capabilities: { network: true, docker: true } } : {}),
      onProgress: io.interactive ? (message) => io.err(`\u001b[2m… ${message}\u001b[0m\n`) : undefined,
    });
  } catch (error) {
    if (deadline.aborted && !signal.aborted) throw new AssayError('timeout', `scan of ${spec} did not finish within ${timeoutS} s (--timeout)`, { cause: error });
    throw error;
  }
  if (flags.store) storeReport(report, flags.db ?? defaultDbPath());
  io.out(format === 'sarif' ? formatSarif(report) : format === 'json' ? formatJson(report) : formatTable(report, { color: io.color }));
  return gateExitCode(report.score.verdict, failOn);
}

export function registerScan(program: Command, io: Io, signal: AbortSignal, setExit: (code: ExitCode) => void): void {
  program
    .command('scan')
    .description('scan one MCP server: a directory, a .tgz, npm:<name>[@version|range|tag], or a git URL[#ref]')
    .argument('<target>', 'what to scan')
    .option('--format <format>', 'table, json or sarif', 'table')
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
    .option('--yara-engine <engine>', 'signature engine: wasm (default) or yara-x')
    .option('--sandbox', 'also run the server in a throwaway container and record what it does (needs Docker; see mcp-assay sandbox doctor)')
    .option('--signatures <dir>', 'add a folder of YARA rules to the signature library (repeatable)', (value: string, previous: string[]) => [...previous, value], [])
    .action(async (spec: string, flags: ScanFlags) => {
      setExit(await scan(spec, flags, io, signal));
    });
}
