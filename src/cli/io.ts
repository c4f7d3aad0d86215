import { AssayError, EXIT, errorMessage, isAbortError } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import { escapeTerminal } from '../core/text.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal: progress lines go there, never into piped output. */
  interactive: boolean;
  color: boolean;
}

export function processIo(): Io {
  const interactive = process.stderr.isTTY === true;
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    interactive,
    color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
  };
}

/**
 * One line per failure, no stack trace unless --debug. Error text can carry package or registry
 * content, so it is escaped like any other untrusted string.
 */
export function reportError(io: Io, error: unknown, debug: boolean): ExitCode {
  if (error instanceof AssayError) {
    io.err(`mcp-assay: error: ${escapeTerminal(error.message)}\n`);
    if (debug && error.cause !== undefined) io.err(`${escapeTerminal(String((error.cause as Error).stack ?? error.cause), true)}\n`);
    return error.exitCode;
  }
  if (isAbortError(error)) {
    io.err('mcp-assay: interrupted\n');
    return EXIT.interrupted;
  }
  io.err(`mcp-assay: internal error: ${escapeTerminal(errorMessage(error))}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug && error instanceof Error && error.stack) io.err(`${escapeTerminal(error.stack, true)}\n`);
  return EXIT.internal;
}
