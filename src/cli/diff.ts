import type { Command } from 'commander';
import { AssayError, EXIT } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import { truncateText } from '../core/text.js';
import { diffReports, distinctVersions } from '../report/diff.js';
import { formatDiffJson, formatDiffTable } from '../report/diff-table.js';
import type { StoredScan, Store } from '../store/index.js';
import { openStore } from '../store/index.js';
import type { Io } from './io.js';
import { defaultDbPath, parseFormat } from './options.js';

interface DiffFlags {
  format: string;
  db?: string;
}

const SHOWN_VERSIONS = 10;



function listVersions(versions: readonly string[]): string {
  const shown = versions.slice(0, SHOWN_VERSIONS).map((v) => truncateText(v, 100)).join(', ');
  return versions.length > SHOWN_VERSIONS ? `${shown}, …` : shown;
}

function scanOf(store: Store, name: string, version: string, known: readonly string[]): StoredScan {
  const stored = store.latestScan(name, version);
  if (stored === undefined) {
    throw new AssayError('notFound', `no stored scan of ${name}@${version}; stored versions: ${listVersions(known)}`);
  }
  return stored;
}

/** The two versions to compare, older first: the ones given, or the two newest stored. */
function pickVersions(name: string, versions: readonly string[], from: string | undefined, to: string | undefined): [string, string] {
  if (from !== undefined && to !== undefined) {
    if (from === to) throw new AssayError('usage', `<from> and <to> are both ${from}: give two different versions`);
    return [from, to];
  }
  if (from !== undefined) throw new AssayError('usage', 'give both <from> and <to>, or neither to compare the two newest stored versions');
  const [newest, previous] = versions;
  if (newest === undefined || previous === undefined) {
    const only = newest === undefined ? 'no versioned scan' : `only one version (${truncateText(newest, 100)})`;
    throw new AssayError('notFound', `the store holds ${only} of ${name}: scan another release first, or give <from> and <to>`);
  }
  return [previous, newest];
}

function diff(name: string, from: string | undefined, to: string | undefined, flags: DiffFlags, io: Io): ExitCode {
  const format = parseFormat(flags.format);
  const store = openStore(flags.db ?? defaultDbPath());
  try {
    const history = store.scanHistory(name);
    if (history.length === 0) throw new AssayError('notFound', `no stored scan for ${name}; run \`mcp-assay scan\` first`);
    const versions = distinctVersions(history);
    const [older, newer] = pickVersions(name, versions, from, to);
    const result = diffReports(scanOf(store, name, older, versions).report, scanOf(store, name, newer, versions).report);
    io.out(format === 'json' ? formatDiffJson(result) : formatDiffTable(result, { color: io.color }));
    return EXIT.ok;
  } finally {
    store.close();
  }
}

export function registerDiff(program: Command, io: Io, setExit: (code: ExitCode) => void): void {
  program
    .command('diff')
    .description('show what changed between two stored releases of a package: tools, install scripts, endpoints, findings, score')
    .argument('<name>', 'package name as recorded')
    .argument('[from]', 'older version (default: the second newest stored)')
    .argument('[to]', 'newer version (default: the newest stored)')
    .option('--format <format>', 'table or json', 'table')
    .option('--db <path>', 'SQLite database to read')
    .action((name: string, from: string | undefined, to: string | undefined, flags: DiffFlags) => {
      setExit(diff(name, from, to, flags, io));
    });
}
