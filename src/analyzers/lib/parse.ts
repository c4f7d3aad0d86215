import { parse } from '@babel/parser';
import type { ParseResult, ParserPlugin } from '@babel/parser';
import type { File } from '@babel/types';
import type { AnalyzerLimits } from '../../core/limits.js';
import { parseFast } from './fast-parse.js';

/**
 * Largest script the code and tools analyzers parse. Babel needs about 30 bytes of heap per byte of source and
 * parses 3–4 MiB/s here, so a file of 4 MiB takes ~150 MiB and about a second of its 2 s budget; a 13 MiB
 * bundle took 3.1 s and 340 MiB just to parse, after which both analyzers were out of budget and reported it
 * cut short anyway. Over this cap a file is reported as not analysed (the signatures still scan it).
 */
export const MAX_PARSE_BYTES = 4 * 1024 * 1024;

/**
 * Most tokens (as `estimateTokens` counts them) in a script the analyzers parse. Bytes alone do not bound a
 * syntax tree: 3.9 MiB of `;` is four million statements, and parsing it ran an analysis thread out of its
 * 384 MiB heap. Babel's trees of real scripts take 80–150 bytes per token, and real scripts have 0.25–0.5 tokens
 * per byte: the most among the harvest bench's 6,627 scripts was 1.09 million, in 2.6 MiB (a 118 MiB tree).
 * Over this cap a file is reported as not analysed, like one over the byte cap. Degenerate syntax takes more
 * (`;` repeated: 252 bytes per token), so a file under the cap can still fill an analysis thread's heap; a
 * harvest then retries the package with `AnalyzerLimits.maxParseTokens` lowered (queue/analysis-pool.ts).
 */
export const MAX_PARSE_TOKENS = 1_500_000;

/** The token cap these limits set: MAX_PARSE_TOKENS unless a retry lowered it (never raised above it). */
export function parseTokenCap(limits: Pick<AnalyzerLimits, 'maxParseTokens'>): number {
  return Math.min(limits.maxParseTokens ?? MAX_PARSE_TOKENS, MAX_PARSE_TOKENS);
}

/** "the 1,500,000-token cap", saying why when it is the cap a retry lowered in `limits`. */
export function tokenCapText(cap: number, limits: Pick<AnalyzerLimits, 'maxParseTokens'>): string {
  const text = `the ${cap.toLocaleString('en-US')}-token cap`;
  return cap === limits.maxParseTokens && cap < MAX_PARSE_TOKENS ? `${text} (lowered from ${MAX_PARSE_TOKENS.toLocaleString('en-US')} for a retry after the analysis ran out of heap)` : text;
}

/**
 * An upper estimate of a script's tokens: each run of word characters counts once, every other character
 * that is not white space counts once. Strings and comments count as if they were code, so that syntax hidden
 * behind a quote or a comment marker the estimate misread is never under-counted.
 */
export function estimateTokens(text: string): number {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    const word = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 128;
    if (word) {
      if (!inWord) count += 1;
      inWord = true;
      continue;
    }
    inWord = false;
    if (c !== 32 && c !== 10 && c !== 9 && c !== 13) count += 1;
  }
  return count;
}

/** Extensions the JavaScript-reading analyzers parse, and the parser plugins each needs. */
const PLUGINS_BY_EXTENSION: Readonly<Record<string, readonly ParserPlugin[]>> = {
  '.js': ['jsx'],
  '.mjs': [],
  '.cjs': [],
  '.jsx': ['jsx'],
  '.ts': ['typescript'],
  '.mts': ['typescript'],
  '.cts': ['typescript'],
  '.tsx': ['typescript', 'jsx'],
};

export const SCRIPT_EXTENSIONS: readonly string[] = Object.keys(PLUGINS_BY_EXTENSION);

/**
 * Plain JavaScript, which acorn tries first (lib/fast-parse.ts); a file it rejects, and every TypeScript
 * file, goes to Babel. Files without a script extension (`bin` scripts) are JavaScript too.
 */
const FAST_EXTENSIONS: ReadonlySet<string> = new Set(['.js', '.mjs', '.cjs']);

function extensionOf(file: string): string {
  const dot = file.lastIndexOf('.');
  return dot < 0 ? '' : file.slice(dot).toLowerCase();
}

/** True for the files the code and tools analyzers parse (by name; `.d.ts` declarations hold no code). */
export function isScriptFile(file: string): boolean {
  if (/\.d\.[mc]?ts$/i.test(file)) return false;
  return extensionOf(file) in PLUGINS_BY_EXTENSION;
}

export type ParseOutcome = { ok: true; ast: File; recovered: string[] } | { ok: false; error: string };

function attempt(text: string, plugins: ParserPlugin[]): ParseResult<File> {
  return parse(text, {
    sourceType: 'unambiguous',
    errorRecovery: true,
    allowReturnOutsideFunction: true,
    allowAwaitOutsideFunction: true,
    allowImportExportEverywhere: true,
    allowUndeclaredExports: true,
    allowSuperOutsideMethod: true,
    allowNewTargetOutsideFunction: true,
    createParenthesizedExpressions: false,
    // No analyzer reads comments; attaching them to nodes only costs allocation.
    attachComment: false,
    plugins: [...plugins, 'decorators-legacy', 'importAttributes', 'explicitResourceManagement'],
  });
}

function recoveredErrors(ast: ParseResult<File>): string[] {
  return (ast.errors ?? []).slice(0, 20).map((e) => e.reasonCode);
}

/**
 * Parses one file with error recovery. A file with a shebang, JSX in `.js`, or TypeScript syntax in a
 * `.js` file still parses when it can; a file that cannot be parsed at all is an error result, never a throw.
 * Plain JavaScript that acorn accepts comes back in Babel's shape without `loc` (ADR 0004); everything else is
 * Babel's own tree.
 */
export function parseScript(file: string, text: string): ParseOutcome {
  const extension = extensionOf(file);
  if (FAST_EXTENSIONS.has(extension) || !(extension in PLUGINS_BY_EXTENSION)) {
    const ast = parseFast(text);
    if (ast !== undefined) return { ok: true, ast, recovered: [] };
  }
  return parseWithBabel(file, text);
}

/** Babel alone, as parseScript uses it for what the fast path does not take (and tests, to compare with it). */
export function parseWithBabel(file: string, text: string): ParseOutcome {
  const plugins = [...(PLUGINS_BY_EXTENSION[extensionOf(file)] ?? ['jsx'])];
  try {
    const ast = attempt(text, plugins);
    return { ok: true, ast, recovered: recoveredErrors(ast) };
  } catch (first) {
    // `.js` files are sometimes TypeScript or Flow in disguise; one retry with TypeScript is cheap.
    if (plugins.includes('typescript')) return { ok: false, error: (first as Error).message };
    try {
      const ast = attempt(text, ['typescript', 'jsx']);
      return { ok: true, ast, recovered: recoveredErrors(ast) };
    } catch {
      return { ok: false, error: (first as Error).message };
    }
  }
}
