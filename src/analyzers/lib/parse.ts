import { parse } from '@babel/parser';
import type { ParseResult, ParserPlugin } from '@babel/parser';
import type { File } from '@babel/types';

/**
 * Largest script the code and tools analyzers parse. Babel needs about 30 bytes of heap per byte of source and
 * parses 3–4 MiB/s here, so a file of 4 MiB takes ~150 MiB and about a second of its 2 s budget; a 13 MiB
 * bundle took 3.1 s and 340 MiB just to parse, after which both analyzers were out of budget and reported it
 * cut short anyway. Over this cap a file is reported as not analysed (the signatures still scan it).
 */
export const MAX_PARSE_BYTES = 4 * 1024 * 1024;

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
 */
export function parseScript(file: string, text: string): ParseOutcome {
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
