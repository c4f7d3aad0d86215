/**
 * Parses handed from the code analyzer to the tools analyzer of the same workspace. Both read the scripts
 * that define tools (a server's main file or its whole bundle), and parsing is most of what either spends on
 * such a file: a bundle of several MiB takes seconds. The code analyzer keeps the parse of a file the tools
 * analyzer will read; the tools analyzer takes it once, and it is gone.
 *
 * Only files that may define tools are kept, within a budget (one file at the parse caps, in bytes and in tokens)
 * that counts the tree being made too: before a parse that would not fit beside the kept trees (the code
 * analyzer's, or the tools analyzer's own of a file it was not handed), the oldest kept trees are dropped and the
 * tools analyzer parses those files itself. Keeping one cap's worth beside a new parse of another doubled a
 * thread's heap on packages that ship a bundle twice (ESM and CommonJS), which made a harvest's peaks, and two
 * dense 4 MiB bundles ran an analysis thread out of its 384 MiB heap. Under a token cap a retry lowered, the
 * budget is one file at that cap. The cache is keyed by the workspace object the
 * runner hands every analyzer, so it ends with the run. A kept parse is given out only for exactly the text it
 * was made from.
 */
import type { Workspace } from '../../core/workspace.js';
import { MAX_PARSE_BYTES, MAX_PARSE_TOKENS, estimateTokens, parseScript, type ParseOutcome } from './parse.js';

/** A parse and the wall-clock time it took, so that a later user can charge it to its own budget. */
export interface TimedParse {
  outcome: ParseOutcome;
  ms: number;
}

/** Source whose syntax trees may be alive at once, kept or being made: one file at the parse caps. */
export interface KeepBudget {
  bytes: number;
  tokens: number;
}
export const KEEP_BUDGET: KeepBudget = { bytes: MAX_PARSE_BYTES, tokens: MAX_PARSE_TOKENS };

/** The budget under a token cap a retry lowered: one file at that cap. */
export function keepBudget(tokenCap: number): KeepBudget {
  return tokenCap < KEEP_BUDGET.tokens ? { bytes: KEEP_BUDGET.bytes, tokens: tokenCap } : KEEP_BUDGET;
}

interface Kept {
  text: string;
  tokens: number;
  parse: TimedParse;
}

class Handover {
  readonly kept = new Map<string, Kept>();
  bytes = 0;
  tokens = 0;

  fits(bytes: number, tokens: number, budget: KeepBudget): boolean {
    return this.bytes + bytes <= budget.bytes && this.tokens + tokens <= budget.tokens;
  }

  drop(file: string, kept: Kept): void {
    this.kept.delete(file);
    this.bytes -= kept.text.length;
    this.tokens -= kept.tokens;
  }
}

const handovers = new WeakMap<Workspace, Handover>();

/**
 * Test code and other packages are not the server's surface; the tools analyzer skips them (they are still
 * read when a module of the package imports from them).
 */
export const NOT_TOOL_SURFACE = /(?:^|\/)(?:__tests__|__mocks__|tests?|spec|e2e|node_modules)\/|\.(?:test|spec)\.[cm]?[jt]sx?$/i;

/** Cheap test before parsing: a file without these words cannot define a tool the ways we read. */
export function mayDefineTools(text: string): boolean {
  if (/\.\s{0,20}tool\s{0,20}\(/.test(text)) return true;
  if (!text.includes('description')) return false;
  return /inputSchema|input_schema|parameters|schema|tools|registerTool|addTool/.test(text);
}

export function parseTimed(file: string, text: string): TimedParse {
  const started = performance.now();
  const outcome = parseScript(file, text);
  return { outcome, ms: performance.now() - started };
}

/** Drops the oldest kept parses until a tree of `bytes` and `tokens` more fits the budget beside them. */
function makeRoom(handover: Handover, bytes: number, tokens: number, budget: KeepBudget): void {
  for (const [file, kept] of handover.kept) {
    if (handover.fits(bytes, tokens, budget)) return;
    handover.drop(file, kept);
  }
}

/** Before a parse that was not handed over: drops the kept parses it would not fit beside. */
export function makeRoomFor(workspace: Workspace, text: string, tokens = estimateTokens(text), budget = KEEP_BUDGET): void {
  const handover = handovers.get(workspace);
  if (handover !== undefined) makeRoom(handover, text.length, tokens, budget);
}

/** Parses a script and keeps the result for the tools analyzer when it will read this file too. */
export function parseForHandover(workspace: Workspace, file: string, text: string, budget = KEEP_BUDGET, tokens = estimateTokens(text)): TimedParse {
  const handover = handovers.get(workspace) ?? new Handover();
  makeRoom(handover, text.length, tokens, budget);
  const parse = parseTimed(file, text);
  if (!parse.outcome.ok || NOT_TOOL_SURFACE.test(file) || !mayDefineTools(text)) return parse;
  if (handover.kept.has(file) || !handover.fits(text.length, tokens, budget)) return parse;
  handover.kept.set(file, { text, tokens, parse });
  handover.bytes += text.length;
  handover.tokens += tokens;
  handovers.set(workspace, handover);
  return parse;
}

/** The parse an earlier analyzer kept for exactly this text, handed over once; undefined otherwise. */
export function takeHandover(workspace: Workspace, file: string, text: string): TimedParse | undefined {
  const handover = handovers.get(workspace);
  const kept = handover?.kept.get(file);
  if (handover === undefined || kept === undefined) return undefined;
  handover.drop(file, kept);
  return kept.text === text ? kept.parse : undefined;
}

/** Bytes of source whose parses are waiting to be taken (tests). */
export function keptBytes(workspace: Workspace): number {
  return handovers.get(workspace)?.bytes ?? 0;
}

/** Drops whatever was kept for this workspace (the runner calls it when the last analyzer is done). */
export function releaseHandovers(workspace: Workspace): void {
  handovers.delete(workspace);
}
