import type { Analyzer, AnalyzerContext, AnalyzerOutput } from '../../core/analyzer.js';
import { errorMessage } from '../../core/errors.js';
import type { Finding } from '../../core/finding.js';
import { makeFinding } from '../../core/finding.js';
import { formatBytes } from '../../core/limits.js';
import type { FileType, WorkspaceFile } from '../../core/workspace.js';
import { MAX_PARSE_BYTES, estimateTokens, isScriptFile, parseTokenCap, tokenCapText } from '../lib/parse.js';
import { keepBudget, parseForHandover, type TimedParse } from '../lib/shared-parse.js';
import { DEFAULT_FILE_BUDGET_MS, analyseSource } from './module.js';
import { CODE_ANALYZER_ID, CODE_RULES, RULES } from './rules.js';

export { CODE_RULES } from './rules.js';
export { analyseSource } from './module.js';

/** Largest file handed to the parser (the reader's own text cap applies too, whichever is lower). */
export { MAX_PARSE_BYTES } from '../lib/parse.js';

/** Share of the analyzer's time limit after which remaining files are left out (so the result is partial, not a timeout). */
const TIME_SHARE = 0.75;
export const NO_CODE_REASON = 'no JavaScript or TypeScript files';

/** Content that is certainly not script text whatever its name says. */
const NOT_SCRIPT: ReadonlySet<FileType> = new Set(['elf', 'pe', 'macho', 'wasm', 'archive', 'image']);

export function isCodeFile(file: WorkspaceFile): boolean {
  if (file.omitted === true) return false;
  if (file.path.split('/').includes('node_modules')) return false;
  if (NOT_SCRIPT.has(file.type)) return false;
  if (isScriptFile(file.path)) return true;
  // Extension-less `bin` scripts announce node in their shebang.
  const base = file.path.slice(file.path.lastIndexOf('/') + 1);
  return file.type === 'javascript' && !base.includes('.');
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

interface Tally {
  files: number;
  unparsed: number;
  unread: number;
  skipped: number;
  cutShort: number;
  notReached: number;
}

function reasonOf(t: Tally): string | undefined {
  const parts: string[] = [];
  if (t.unparsed > 0) parts.push(`${t.unparsed} of ${t.files} files could not be parsed`);
  if (t.unread > 0) parts.push(`${t.unread} of ${t.files} files could not be read`);
  if (t.skipped > 0) parts.push(`${plural(t.skipped, 'file')} over the parser cap ${t.skipped === 1 ? 'was' : 'were'} not analysed`);
  if (t.cutShort > 0) parts.push(`analysis of ${plural(t.cutShort, 'file')} was cut short by the time budget`);
  if (t.notReached > 0) parts.push(`${t.notReached} of ${t.files} files were not reached before the analyzer's time limit`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

export interface CodeAnalyzerOptions {
  /** Per-file time budget for the walk (the checks get half as much again). */
  fileBudgetMs?: number;
  /** Largest file parsed; the reader's text cap applies too. */
  maxParseBytes?: number;
  /** Most tokens (estimated) in a file parsed. */
  maxParseTokens?: number;
}

async function analyze(ctx: AnalyzerContext, options: CodeAnalyzerOptions): Promise<AnalyzerOutput> {
  const started = performance.now();
  const files = ctx.workspace.files.filter(isCodeFile);
  if (files.length === 0) return { findings: [], status: 'skipped', reason: NO_CODE_REASON };
  const cap = Math.min(options.maxParseBytes ?? MAX_PARSE_BYTES, ctx.limits.maxTextBytes);
  const tokenCap = options.maxParseTokens ?? parseTokenCap(ctx.limits);
  const budget = keepBudget(tokenCap);
  const budgetMs = options.fileBudgetMs ?? DEFAULT_FILE_BUDGET_MS;
  const findings: Finding[] = [];
  const errors: { file: string; message: string }[] = [];
  const tally: Tally = { files: files.length, unparsed: 0, unread: 0, skipped: 0, cutShort: 0, notReached: 0 };
  const skip = (file: WorkspaceFile, message: string): void => {
    tally.skipped += 1;
    findings.push(makeFinding(RULES.fileSkipped, CODE_ANALYZER_ID, { location: { file: file.path }, message }));
  };

  for (const [index, file] of files.entries()) {
    await yieldToEventLoop();
    ctx.signal.throwIfAborted();
    if (performance.now() - started > ctx.limits.timeoutMs * TIME_SHARE) {
      tally.notReached = files.length - index;
      errors.push({ file: file.path, message: `stopped before ${file.path} and ${tally.notReached - 1} more files: the analyzer's time limit was near` });
      break;
    }
    if (file.size > cap) {
      skip(file, `${file.path} is ${formatBytes(file.size)}, over the ${formatBytes(cap)} cap for parsing code; it was not analysed`);
      continue;
    }
    let text: string;
    try {
      text = await ctx.reader.readText(file);
    } catch (error) {
      ctx.signal.throwIfAborted();
      tally.unread += 1;
      errors.push({ file: file.path, message: `could not read: ${errorMessage(error).slice(0, 200)}` });
      continue;
    }
    const tokens = estimateTokens(text);
    if (tokens > tokenCap) {
      skip(file, `${file.path} has about ${tokens.toLocaleString('en-US')} tokens, over ${tokenCapText(tokenCap, ctx.limits)} for parsing code; it was not analysed`);
      continue;
    }
    const parse = (name: string, source: string): TimedParse =>
      parseForHandover(ctx.workspace, name, source, budget, source === text ? tokens : undefined);
    const result = analyseSource(file.path, text, { budgetMs, signal: ctx.signal, parse });
    ctx.signal.throwIfAborted();
    if (result.parseError !== undefined) {
      tally.unparsed += 1;
      errors.push({ file: file.path, message: `could not parse: ${result.parseError}` });
      continue;
    }
    if (result.cutShort) tally.cutShort += 1;
    findings.push(...result.findings);
  }
  const reason = reasonOf(tally);
  if (reason === undefined) return { findings, errors, status: 'succeeded' };
  return { findings, errors, status: 'partial', reason };
}

/** The code analyzer with non-default budgets (tests, benchmarks). */
export function createCodeAnalyzer(options: CodeAnalyzerOptions = {}): Analyzer {
  return {
    id: CODE_ANALYZER_ID,
    version: 2,
    description:
      'JavaScript and TypeScript, bundles included: process execution, eval, computed imports, credential and MCP-config access, ' +
      'environment harvesting, endpoints, hidden mail recipients, persistence, obfuscation, and flows from secrets to the network.',
    requirements: {},
    rules: CODE_RULES,
    analyze: (ctx) => analyze(ctx, options),
  };
}

export const codeAnalyzer: Analyzer = createCodeAnalyzer();
