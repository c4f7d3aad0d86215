import { Command, CommanderError } from 'commander';
import { closeCompiledLibraries } from '../analyzers/signatures/compiled.js';
import { EXIT } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import { TOOL_VERSION } from '../report/version.js';
import type { Io } from './io.js';
import { processIo, reportError } from './io.js';
import { registerCache } from './cache.js';
import { registerCheck } from './check.js';
import { registerDiff } from './diff.js';
import { registerHarvest } from './harvest.js';
import { registerSandbox } from './sandbox.js';
import { registerScan } from './scan.js';
import { registerServe } from './serve.js';
import { registerScore } from './score.js';
import { registerSignatures } from './signatures.js';

/** `--help` and `--version` succeed; help shown because no command was given is a usage error. */
function commanderExit(error: CommanderError): ExitCode {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
  return EXIT.usage;
}

/**
 * Runs one command line and returns the exit code (docs/cli.md). Ctrl-C aborts the running job so
 * workspaces are removed before the process ends.
 */
export async function runCli(argv: readonly string[], io: Io = processIo()): Promise<ExitCode> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new DOMException('interrupted', 'AbortError'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let exit: ExitCode = EXIT.ok;
  const setExit = (code: ExitCode): void => {
    exit = code;
  };
  const program = new Command('mcp-assay')
    .description('Analyse third-party MCP servers without trusting them, and score how safe they are.')
    .version(TOOL_VERSION)
    .option('--debug', 'show stack traces for errors')
    .exitOverride()
    .showHelpAfterError('(run `mcp-assay --help` for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (text, write) => write(`mcp-assay: ${text.replace(/^error: /, 'error: ')}`) });
  registerScan(program, io, controller.signal, setExit);
  registerCheck(program, io, controller.signal, setExit);
  registerHarvest(program, io, controller.signal, setExit);
  registerScore(program, io, setExit);
  registerDiff(program, io, setExit);
  registerSignatures(program, io, controller.signal, setExit);
  registerCache(program, io, setExit);
  registerServe(program, io, controller.signal, setExit);
  registerSandbox(program, io, controller.signal, setExit);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exit;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExit(error);
    return reportError(io, error, program.opts<{ debug?: boolean }>().debug === true || argv.includes('--debug'));
  } finally {
    // Compiled rule sets may hold engine workers that would keep the process alive.
    await closeCompiledLibraries();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
