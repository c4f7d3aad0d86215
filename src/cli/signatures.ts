/**
 * The researcher's loop: `signatures test | lint | list | hunt`. Everything printed that comes from a
 * rule file, a sample or a scanned package goes through escapeTerminal.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { runAnalyzer } from '../analyzers/runner.js';
import { createSignaturesAnalyzer } from '../analyzers/signatures/index.js';
import { requireEngine } from '../analyzers/signatures/compiled.js';
import type { EngineFactory } from '../analyzers/signatures/compiled.js';
import { availableEngines, createEngine } from '../analyzers/signatures/engine/index.js';
import type { CompiledRuleSet, EngineName, RuleMatch } from '../analyzers/signatures/engine/types.js';
import { ENGINE_NAMES } from '../analyzers/signatures/engine/types.js';
import type { LibraryRule, Problem, RuleLibrary } from '../analyzers/signatures/library.js';
import { defaultSignaturesDir, lintLibrary, loadRuleLibrary, ruleSources } from '../analyzers/signatures/library.js';
import { AssayError, EXIT, errorMessage } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import { DEFAULT_ANALYZER_LIMITS, DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import { escapeTerminal, truncateText } from '../core/text.js';
import { fetchWorkspace } from '../fetch/index.js';
import { readerFor } from '../fetch/reader.js';
import { parseTargetSpec } from '../sources/spec.js';
import type { Target } from '../core/target.js';
import { openArchiveCache } from '../fetch/archive-cache.js';
import type { StoredArchive } from '../store/archives.js';
import { openStore } from '../store/store.js';
import { defaultCacheDir } from './cache.js';
import type { Io } from './io.js';
import { defaultDbPath, parseFormat } from './options.js';

const MAX_SAMPLE_BYTES = 16 * 1024 * 1024;

interface CommonFlags {
  signatures: string[];
  yaraEngine?: string;
  format?: string;
  store?: boolean;
  db?: string;
  cacheDir?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parseEngineName(value: string): EngineName {
  if ((ENGINE_NAMES as readonly string[]).includes(value)) return value as EngineName;
  throw new AssayError('usage', `unknown --yara-engine "${value}": use ${ENGINE_NAMES.join(' or ')}`);
}

/** The folders a command works on: the given one (or the project's library) plus every --signatures. */
export function ruleDirs(dir: string | undefined, extra: readonly string[]): string[] {
  return [dir ?? defaultSignaturesDir(), ...extra].map((d) => path.resolve(d));
}

function show(text: string): string {
  return escapeTerminal(text);
}

function formatProblem(p: Problem): string {
  return `${show(p.file)}${p.line !== undefined ? `:${p.line}` : ''}: ${p.rule !== undefined ? `${show(p.rule)}: ` : ''}${show(p.message)}`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - [...cell].length))).join('  ').trimEnd()).join('\n') + '\n';
}

/** `yara-x` only when asked; with no flag, every engine installed here. */
async function enginesFor(flag: string | undefined, factory: EngineFactory): Promise<EngineName[]> {
  if (flag !== undefined) {
    const name = parseEngineName(flag);
    await requireEngine(name, factory);
    return [name];
  }
  return availableEngines();
}

// ---------------------------------------------------------------- test

interface SampleCheck {
  rule: string;
  sample: string;
  expected: boolean;
  matched: boolean;
}

interface TestRow {
  rule: string;
  engine: EngineName;
  matchOk: string;
  nomatchOk: string;
  ms: number;
  failure?: string;
}

function matchesRule(rule: LibraryRule, matches: readonly RuleMatch[] | undefined): boolean {
  return (matches ?? []).some((m) => m.meta.id === rule.id || rule.ruleNames.includes(m.rule));
}

async function readSample(file: string): Promise<Buffer> {
  const data = await readFile(file);
  if (data.length > MAX_SAMPLE_BYTES) throw new AssayError('invalidInput', `sample ${file} is over ${MAX_SAMPLE_BYTES} bytes`);
  return data;
}

async function testRule(rule: LibraryRule, compiled: CompiledRuleSet, signal: AbortSignal, checks: SampleCheck[]): Promise<TestRow> {
  const started = performance.now();
  const row = (matchOk: string, nomatchOk: string, failure?: string): TestRow => ({
    rule: rule.id,
    engine: compiled.engine,
    matchOk,
    nomatchOk,
    ms: Math.round(performance.now() - started),
    ...(failure !== undefined ? { failure } : {}),
  });
  const compileError = compiled.errors.find((e) => e.path === rule.path);
  if (compileError) return row('-', '-', `does not compile: ${rule.path}${compileError.line !== undefined ? `:${compileError.line}` : ''}: ${compileError.message}`);
  if (!compiled.rules.some((name) => rule.ruleNames.includes(name) || name === rule.id)) return row('-', '-', 'not in the compiled rule set');
  const samples = [...rule.samples.match.map((f) => ({ f, expected: true })), ...rule.samples.nomatch.map((f) => ({ f, expected: false }))];
  const inputs = await Promise.all(samples.map(async ({ f }) => ({ name: f, data: await readSample(f) })));
  const outcome = await compiled.scan(inputs, signal);
  const failures: string[] = outcome.errors.map((e) => `${path.basename(e.name)}: ${e.message}`);
  let matchGood = 0;
  let nomatchGood = 0;
  for (const { f, expected } of samples) {
    const matched = matchesRule(rule, outcome.matches.get(f));
    checks.push({ rule: rule.id, sample: f, expected, matched });
    if (matched === expected) {
      if (expected) matchGood += 1;
      else nomatchGood += 1;
    } else failures.push(`${expected ? 'missed' : 'falsely matched'} ${path.relative(path.dirname(rule.file), f)}`);
  }
  if (rule.samples.match.length === 0) failures.push('no match sample');
  if (rule.samples.nomatch.length === 0) failures.push('no nomatch sample');
  const failure = failures.length > 0 ? failures.join('; ') : undefined;
  return row(`${matchGood}/${rule.samples.match.length}`, `${nomatchGood}/${rule.samples.nomatch.length}`, failure);
}

/** Every engine must agree on every sample: a disagreement is a failure even where both pass their own checks. */
function disagreements(byEngine: ReadonlyMap<EngineName, SampleCheck[]>): string[] {
  const seen = new Map<string, Map<EngineName, boolean>>();
  for (const [engine, checks] of byEngine) {
    for (const c of checks) {
      const key = `${c.rule}\0${c.sample}`;
      const entry = seen.get(key) ?? new Map<EngineName, boolean>();
      entry.set(engine, c.matched);
      seen.set(key, entry);
    }
  }
  const out: string[] = [];
  for (const [key, results] of seen) {
    if (new Set(results.values()).size <= 1) continue;
    const [rule = '', sample = ''] = key.split('\0');
    out.push(`${rule}: engines disagree on ${sample} (${[...results].map(([e, m]) => `${e} ${m ? 'matches' : 'does not match'}`).join(', ')})`);
  }
  return out;
}

export interface SignaturesDeps {
  engineFactory: EngineFactory;
  availableEngines: () => Promise<EngineName[]>;
}

const REAL_DEPS: SignaturesDeps = { engineFactory: createEngine, availableEngines };

async function runTest(dir: string | undefined, flags: CommonFlags, io: Io, signal: AbortSignal, deps: SignaturesDeps): Promise<ExitCode> {
  const library = await loadRuleLibrary(ruleDirs(dir, flags.signatures));
  const engines = flags.yaraEngine !== undefined ? await enginesFor(flags.yaraEngine, deps.engineFactory) : await deps.availableEngines();
  const rows: TestRow[] = [];
  const byEngine = new Map<EngineName, SampleCheck[]>();
  const extra: string[] = library.problems.map(formatProblem);
  for (const name of engines) {
    const compiled = await deps.engineFactory(name).compile(ruleSources(library.rules));
    try {
      const known = new Set(library.rules.map((r) => r.path));
      for (const e of compiled.errors) if (!known.has(e.path)) extra.push(`${show(e.path)}${e.line !== undefined ? `:${e.line}` : ''}: does not compile (${name}): ${show(e.message)}`);
      const checks: SampleCheck[] = [];
      for (const rule of library.rules) rows.push(await testRule(rule, compiled, signal, checks));
      byEngine.set(name, checks);
    } finally {
      await compiled.close();
    }
  }
  extra.push(...disagreements(byEngine).map(show));
  const header = ['rule', 'engine', 'match', 'nomatch', 'ms', 'result'];
  const body = rows.map((r) => [show(r.rule), r.engine, r.matchOk, r.nomatchOk, String(r.ms), r.failure === undefined ? 'ok' : `FAIL ${show(r.failure)}`]);
  io.out(table([header, ...body]));
  for (const line of extra) io.out(`FAIL ${line}\n`);
  const failed = rows.filter((r) => r.failure !== undefined).length + extra.length;
  io.out(`${library.rules.length} rules, ${engines.length} engine(s) (${engines.join(', ')}): ${failed === 0 ? 'all samples as expected' : `${failed} failure(s)`}\n`);
  return failed === 0 ? EXIT.ok : EXIT.gate;
}

// ---------------------------------------------------------------- lint, list

async function runLint(dir: string | undefined, flags: CommonFlags, io: Io): Promise<ExitCode> {
  const library = await loadRuleLibrary(ruleDirs(dir, flags.signatures));
  const problems = [...library.problems, ...lintLibrary(library.rules)];
  for (const p of problems) io.out(`${formatProblem(p)}\n`);
  io.out(`${library.rules.length} rules, ${problems.length} problem(s)\n`);
  return problems.length === 0 ? EXIT.ok : EXIT.gate;
}

async function runList(dir: string | undefined, flags: CommonFlags, io: Io): Promise<ExitCode> {
  const format = parseFormat(flags.format ?? 'table');
  const library = await loadRuleLibrary(ruleDirs(dir, flags.signatures));
  for (const p of library.problems) io.err(`mcp-assay: warning: ${formatProblem(p)}\n`);
  if (format === 'json') {
    const rules = library.rules.map((r) => ({ id: r.id, category: r.category, severity: r.severity, kind: r.kind, description: r.description, reference: r.reference, author: r.author, version: r.version, path: r.path }));
    io.out(`${JSON.stringify({ rules, problems: library.problems }, null, 2)}\n`);
    return EXIT.ok;
  }
  const rows = library.rules.map((r) => [show(r.id), show(r.category), r.severity, r.kind, show(truncateText(r.description, 100))]);
  io.out(table([['id', 'category', 'severity', 'kind', 'description'], ...rows]));
  return EXIT.ok;
}

// ---------------------------------------------------------------- hunt

interface HuntMatch {
  rule: string;
  file: string;
  line?: number;
  column?: number;
  evidence?: string;
}

interface HuntTarget {
  target: string;
  status: string;
  error?: string;
  errors: { file?: string | undefined; message: string }[];
  matches: HuntMatch[];
}

async function huntSpec(spec: string, library: RuleLibrary, engine: EngineName, signal: AbortSignal, deps: SignaturesDeps): Promise<HuntTarget> {
  const target = await parseTargetSpec(spec);
  if (target.kind !== 'dir' && target.kind !== 'tarball') throw new AssayError('usage', `hunt takes directories and tarballs, not ${target.kind} targets: ${spec}`);
  return huntTarget(spec, target, library, engine, signal, deps);
}

async function huntTarget(spec: string, target: Target, library: RuleLibrary, engine: EngineName, signal: AbortSignal, deps: SignaturesDeps): Promise<HuntTarget> {
  const made = await fetchWorkspace(target, { limits: DEFAULT_WORKSPACE_LIMITS, signal });
  try {
    const analyzer = createSignaturesAnalyzer({ library, engine, engineFactory: deps.engineFactory });
    const limits = { ...DEFAULT_ANALYZER_LIMITS, timeoutMs: 10 * 60_000 };
    const result = await runAnalyzer(analyzer, { workspace: made.workspace, reader: readerFor(made.workspace, made.contents, limits), limits }, { signal, capabilities: { network: false, docker: false } });
    const matches = result.findings.map((f) => ({
      rule: f.ruleId.slice(f.ruleId.indexOf('/') + 1),
      file: f.location?.file ?? '',
      ...(f.location?.line !== undefined ? { line: f.location.line } : {}),
      ...(f.location?.column !== undefined ? { column: f.location.column } : {}),
      ...(f.evidence !== undefined ? { evidence: f.evidence } : {}),
    }));
    return { target: spec, status: result.status, ...(result.reason !== undefined ? { error: result.reason } : {}), errors: result.errors, matches };
  } finally {
    await made.dispose();
  }
}

/**
 * Every npm version the store has scanned whose archive is still in the integrity-keyed cache (the cache
 * re-checks the digest on the way out). Versions whose archive was pruned are listed as skipped, not fetched:
 * a hunt must not turn into a download run.
 */
async function storeJobs(flags: CommonFlags, library: RuleLibrary, engine: EngineName, signal: AbortSignal, deps: SignaturesDeps, io: Io): Promise<{ spec: string; run: () => Promise<HuntTarget> }[]> {
  const dbPath = flags.db ?? defaultDbPath();
  if (!existsSync(dbPath)) throw new AssayError('usage', `no store at ${dbPath}: run a scan or a harvest first, or pass --db`);
  const store = openStore(dbPath);
  let archives: StoredArchive[];
  try {
    archives = store.storedArchives();
  } finally {
    store.close();
  }
  const cacheDir = flags.cacheDir ?? defaultCacheDir();
  if (!existsSync(cacheDir)) throw new AssayError('usage', `no archive cache at ${cacheDir}: harvest with a cache first, or pass --cache-dir`);
  const cache = await openArchiveCache({ dir: cacheDir });
  io.err(`mcp-assay: hunting over ${archives.length} stored version(s) with archives in ${show(cacheDir)}\n`);
  return archives.map((a) => {
    const spec = `npm:${a.name}@${a.version}`;
    return {
      spec,
      run: async (): Promise<HuntTarget> => {
        const file = await cache.get(a.integrity, signal);
        if (file === undefined) return { target: spec, status: 'skipped', error: 'archive not in the cache (pruned, or scanned without one)', errors: [], matches: [] };
        return huntTarget(spec, { kind: 'tarball', spec: file, name: a.name, version: a.version }, library, engine, signal, deps);
      },
    };
  });
}

async function runHunt(ruleOrDir: string, targets: readonly string[], flags: CommonFlags, io: Io, signal: AbortSignal, deps: SignaturesDeps): Promise<ExitCode> {
  const format = parseFormat(flags.format ?? 'table');
  const engine = parseEngineName(flags.yaraEngine ?? 'wasm');
  await requireEngine(engine, deps.engineFactory);
  const library = await loadRuleLibrary([path.resolve(ruleOrDir), ...flags.signatures.map((d) => path.resolve(d))]);
  for (const p of library.problems) io.err(`mcp-assay: warning: ${formatProblem(p)}\n`);
  if (library.rules.length === 0) throw new AssayError('invalidInput', `no usable rule in ${ruleOrDir}`);
  const results: HuntTarget[] = [];
  let failure: ExitCode = EXIT.ok;
  const jobs: { spec: string; run: () => Promise<HuntTarget> }[] = targets.map((spec) => ({ spec, run: () => huntSpec(spec, library, engine, signal, deps) }));
  if (flags.store === true) jobs.push(...(await storeJobs(flags, library, engine, signal, deps, io)));
  if (jobs.length === 0) throw new AssayError('usage', 'hunt needs targets, or --store to hunt over every archive the store has scanned');
  for (const job of jobs) {
    try {
      results.push(await job.run());
    } catch (error) {
      if (signal.aborted) throw error;
      if (failure === EXIT.ok) failure = error instanceof AssayError ? error.exitCode : EXIT.internal;
      results.push({ target: job.spec, status: 'failed', error: errorMessage(error), errors: [], matches: [] });
    }
  }
  if (format === 'json') io.out(`${JSON.stringify({ engine, rules: library.rules.map((r) => r.id), targets: results }, null, 2)}\n`);
  else printHunt(results, library, io);
  return failure;
}

function printHunt(results: readonly HuntTarget[], library: RuleLibrary, io: Io): void {
  const rows: string[][] = [['target', 'rule', 'file', 'evidence']];
  for (const t of results) {
    for (const m of t.matches) rows.push([show(t.target), show(m.rule), show(`${m.file}${m.line !== undefined ? `:${m.line}:${m.column ?? 1}` : ''}`), show(m.evidence ?? '')]);
  }
  io.out(table(rows));
  for (const t of results) {
    if (t.status !== 'succeeded') io.out(`${show(t.target)}: ${t.status}${t.error !== undefined ? `: ${show(t.error)}` : ''}\n`);
    for (const e of t.errors.slice(0, 20)) io.out(`  ${show(e.file ?? '')}: ${show(e.message)}\n`);
  }
  const hit = new Set(results.flatMap((t) => t.matches.map((m) => m.rule)));
  const silent = library.rules.filter((r) => !hit.has(r.id)).map((r) => r.id);
  const total = results.reduce((n, t) => n + t.matches.length, 0);
  io.out(`${total} match(es) in ${results.length} target(s)${silent.length > 0 ? `; no match for: ${silent.map(show).join(', ')}` : ''}\n`);
}

// ---------------------------------------------------------------- registration

export function registerSignatures(program: Command, io: Io, signal: AbortSignal, setExit: (code: ExitCode) => void, deps: SignaturesDeps = REAL_DEPS): void {
  const group = program.command('signatures').description('write, test and measure YARA signature rules');
  const dirHelp = 'rule folder (default: the project\'s signatures/)';
  const sigOption = ['--signatures <dir>', 'add a folder of rules (repeatable)'] as const;
  group
    .command('test')
    .description('compile every rule and check every sample on every available engine')
    .argument('[dir]', dirHelp)
    .option(...sigOption, collect, [])
    .option('--yara-engine <engine>', 'only this engine: wasm or yara-x')
    .action(async (dir: string | undefined, flags: CommonFlags) => setExit(await runTest(dir, flags, io, signal, deps)));
  group
    .command('lint')
    .description('check meta, one rule per file, bounded patterns, distinctive atoms and samples')
    .argument('[dir]', dirHelp)
    .option(...sigOption, collect, [])
    .action(async (dir: string | undefined, flags: CommonFlags) => setExit(await runLint(dir, flags, io)));
  group
    .command('list')
    .description('list rules with their meta')
    .argument('[dir]', dirHelp)
    .option(...sigOption, collect, [])
    .option('--format <format>', 'table or json', 'table')
    .action(async (dir: string | undefined, flags: CommonFlags) => setExit(await runList(dir, flags, io)));
  group
    .command('hunt')
    .description('run rules over directories and tarballs and show which files they match')
    .argument('<rule-or-dir>', 'a .yar file or a folder of rules')
    .argument('[targets...]', 'directories or .tgz files')
    .option(...sigOption, collect, [])
    .option('--store', 'also hunt over every npm version the store has scanned whose archive is in the cache')
    .option('--db <path>', 'the store (default: data/assay.db, or MCP_ASSAY_DB)')
    .option('--cache-dir <dir>', 'the archive cache (default: data/cache, or MCP_ASSAY_CACHE_DIR)')
    .option('--yara-engine <engine>', 'wasm (default) or yara-x')
    .option('--format <format>', 'table or json', 'table')
    .action(async (ruleOrDir: string, targets: string[], flags: CommonFlags) => setExit(await runHunt(ruleOrDir, targets, flags, io, signal, deps)));
}
