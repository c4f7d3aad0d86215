import type { Command } from 'commander';
import { AssayError } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import { escapeTerminal } from '../core/text.js';
import { formatJson } from '../report/json.js';
import { formatTable } from '../report/table.js';
import { openStore } from '../store/index.js';
import { gateExitCode } from './gate.js';
import type { Io } from './io.js';
import { defaultDbPath, parseFailOn, parseFormat } from './options.js';

interface ScoreFlags {
  format: string;
  failOn?: string;
  db?: string;
}

/** `@scope/name@1.2.3` → name and version; the leading `@` of a scope is not a separator. */
export function splitNameVersion(input: string): { name: string; version?: string } {
  const at = input.lastIndexOf('@');
  if (at <= 0) return { name: input };
  const version = input.slice(at + 1);
  return version ? { name: input.slice(0, at), version } : { name: input.slice(0, at) };
}

function score(input: string, flags: ScoreFlags, io: Io): ExitCode {
  const format = parseFormat(flags.format);
  const failOn = parseFailOn(flags.failOn);
  const { name, version } = splitNameVersion(input);
  const store = openStore(flags.db ?? defaultDbPath());
  try {
    const stored = store.latestScan(name, version);
    if (!stored) {
      const what = version ? `${name}@${version}` : name;
      throw new AssayError('notFound', `no stored scan for ${what}; run \`mcp-assay scan\` first`);
    }
    if (format === 'json') {
      io.out(formatJson(stored.report));
    } else {
      io.out(formatTable(stored.report, { color: io.color }));
      const history = store.scanHistory(name);
      if (history.length > 1) {
        io.out('\nHistory\n');
        for (const row of history.slice(0, 10)) {
          io.out(`  ${row.scannedAt}  ${escapeTerminal(row.version ?? '-')}  ${row.value}/100 ${row.grade} ${row.verdict}\n`);
        }
      }
    }
    return gateExitCode(stored.report.score.verdict, failOn);
  } finally {
    store.close();
  }
}

export function registerScore(program: Command, io: Io, setExit: (code: ExitCode) => void): void {
  program
    .command('score')
    .description('print the stored result for a package without scanning again')
    .argument('<name[@version]>', 'package name as recorded, optionally with a version')
    .option('--format <format>', 'table or json', 'table')
    .option('--fail-on <verdict>', 'exit 1 when the verdict is at least this: fail or review')
    .option('--db <path>', 'SQLite database to read')
    .action((input: string, flags: ScoreFlags) => {
      setExit(score(input, flags, io));
    });
}
