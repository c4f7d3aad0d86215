import { Command, CommanderError } from 'commander';
import { closeCompiledLibraries } from '../analyzers/signatures/compiled.js';
import { EXIT } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import { TOOL_VERSION } from '../report/version.js';
import type { Io } from './io.js';
import { processIo, reportError } from './io.js';

type Register = (program: Command, io: Io, signal: AbortSignal, setExit: (code: ExitCode) => void) => Promise<void>;

/**
 * Each command's module is loaded only when that command runs: together they pull in the parsers, the
 * fetch stack and the engines, about a second of loading that `check` or `score` should not pay. Help
 * (no command, or an unknown one) loads them all so every command is listed.
 */
const COMMANDS: Readonly<Record<string, Register>> = {
  scan: async (p, io, signal, setExit) => (await import('./scan.js')).registerScan(p, io, signal, setExit),
  check: async (p, io, signal, setExit) => (await import('./check.js')).registerCheck(p, io, signal, setExit),
  harvest: async (p, io, signal, setExit) => (await import('./harvest.js')).registerHarvest(p, io, signal, setExit),
  score: async (p, io, _signal, setExit) => (await import('./score.js')).registerScore(p, io, setExit),
  diff: async (p, io, _signal, setExit) => (await import('./diff.js')).registerDiff(p, io, setExit),
  signatures: async (p, io, signal, setExit) => (await import('./signatures.js')).registerSignatures(p, io, signal, setExit),
  cache: async (p, io, _signal, setExit) => (await import('./cache.js')).registerCache(p, io, setExit),
  serve: async (p, io, signal, setExit) => (await import('./serve.js')).registerServe(p, io, signal, setExit),
  sandbox: async (p, io, signal, setExit) => (await import('./sandbox.js')).registerSandbox(p, io, signal, setExit),
};

/** The command named on the line (the first word that is not a global option), if it is one of ours. */
export function commandOf(argv: readonly string[]): string | undefined {
  const word = argv.find((a) => !a.startsWith('-'));
  return word !== undefined && Object.hasOwn(COMMANDS, word) ? word : undefined;
}

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
  try {
    const only = commandOf(argv);
    for (const [name, register] of Object.entries(COMMANDS)) {
      if (only === undefined || only === name) await register(program, io, controller.signal, setExit);
    }
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
