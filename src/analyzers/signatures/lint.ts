/**
 * Lint for rule files: what makes a rule slow on every scan (unbounded patterns, atoms so short or
 * common that the engine checks them everywhere) or impossible to trust (no samples, several rules in
 * one file). Everything here is a linear walk over the rule's own source.
 */
import type { LibraryRule, Problem } from './library.js';
import type { YarString } from './yar-parse.js';

/** Fewest bytes of a literal atom that keep a rule from waking up on every file. */
export const MIN_ATOM_BYTES = 4;

/** Atoms found in almost every package: a rule whose only atoms are these runs everywhere. */
const COMMON_ATOMS: ReadonlySet<string> = new Set([
  'http', 'https', 'http:', 'https:', 'http://', 'https://', 'www.', '.com', 'key', 'keys', 'token', 'true', 'false',
  'null', 'this', 'that', 'function', 'return', 'const', 'var', 'let', 'data', 'test', 'name', 'type', 'value',
  'string', 'error', 'file', 'path', 'user', 'pass', 'password', 'secret', 'json', 'require', 'import', 'export',
  'module', 'exports', 'process', 'window', 'document', 'console', 'object', 'async', 'await', 'index', 'main',
]);

interface PatternReport {
  /** Longest literal run outside groups (or, failing that, the weakest alternative of a required group), as bytes. */
  atom: number[];
  /** Every match contains a distinctive literal: a run of its own, or a required group whose every alternative has one. */
  distinctive: boolean;
  unbounded: string[];
}

/**
 * Deepest group nesting analysed; deeper groups count as having no atom. Rule sources are small, and
 * the cap keeps the walk's state bounded on a hostile `((((…`.
 */
export const MAX_GROUP_DEPTH = 16;

interface GroupSummary {
  atom: number[];
  distinctive: boolean;
}

const NO_ATOM: GroupSummary = { atom: [], distinctive: false };

/** One alternative being read: its current literal run, its longest run, and whether it already has a distinctive atom. */
interface Sequence {
  run: number[];
  best: number[];
  distinctive: boolean;
  /** Atom shown when a required group, not a run of its own, made the sequence distinctive. */
  groupAtom: number[] | undefined;
}

interface Frame {
  done: Sequence[];
  current: Sequence;
}

function newSequence(): Sequence {
  return { run: [], best: [], distinctive: false, groupAtom: undefined };
}

function sequenceAtom(seq: Sequence): number[] {
  if (isDistinctiveAtom(seq.best) || seq.groupAtom === undefined) return seq.best;
  return seq.groupAtom;
}

/** An alternation is only as good as its weakest alternative. */
function summarize(alternatives: readonly Sequence[]): GroupSummary {
  let weakest: Sequence | undefined;
  for (const alt of alternatives) {
    if (weakest === undefined) weakest = alt;
    else if (weakest.distinctive && !alt.distinctive) weakest = alt;
    else if (weakest.distinctive === alt.distinctive && sequenceAtom(alt).length < sequenceAtom(weakest).length) weakest = alt;
  }
  if (weakest === undefined) return NO_ATOM;
  return { atom: sequenceAtom(weakest), distinctive: weakest.distinctive };
}

/**
 * Follows literal runs through nested alternations without recursion: one frame per open group up to
 * MAX_GROUP_DEPTH, a counter beyond it. Each call is O(1) apart from copying a finished run.
 */
class AtomTracker {
  private readonly frames: Frame[] = [{ done: [], current: newSequence() }];
  private opaque = 0;

  private get top(): Frame {
    return this.frames[this.frames.length - 1] as Frame;
  }

  literal(byte: number): void {
    if (this.opaque === 0) this.top.current.run.push(byte);
  }

  breakRun(): void {
    if (this.opaque > 0) return;
    const seq = this.top.current;
    if (seq.run.length > seq.best.length) seq.best = seq.run;
    if (isDistinctiveAtom(seq.run)) seq.distinctive = true;
    seq.run = [];
  }

  open(): void {
    this.breakRun();
    if (this.opaque > 0 || this.frames.length > MAX_GROUP_DEPTH) {
      this.opaque += 1;
      return;
    }
    this.frames.push({ done: [], current: newSequence() });
  }

  alternative(): void {
    if (this.opaque > 0) return;
    this.breakRun();
    const frame = this.top;
    frame.done.push(frame.current);
    frame.current = newSequence();
  }

  /** Closes the innermost group; undefined for a stray `)` or a group inside one too deep to analyse. */
  close(): GroupSummary | undefined {
    if (this.opaque > 0) {
      this.opaque -= 1;
      return this.opaque === 0 ? NO_ATOM : undefined;
    }
    if (this.frames.length === 1) {
      this.breakRun();
      return undefined;
    }
    this.breakRun();
    const frame = this.frames.pop() as Frame;
    return summarize([...frame.done, frame.current]);
  }

  /** Folds a closed group into the enclosing sequence; only a group every match must pass through counts. */
  group(summary: GroupSummary | undefined, required: boolean): void {
    if (summary === undefined || !required || !summary.distinctive || this.opaque > 0) return;
    const seq = this.top.current;
    seq.distinctive = true;
    if (seq.groupAtom === undefined || summary.atom.length > seq.groupAtom.length) seq.groupAtom = summary.atom;
  }

  finish(): GroupSummary {
    this.breakRun();
    // Groups never closed are malformed: they add nothing.
    this.frames.length = 1;
    this.opaque = 0;
    return summarize([...this.top.done, this.top.current]);
  }
}

function isFixedHexPair(a: string, b: string): boolean {
  return /^[0-9a-fA-F]$/.test(a) && /^[0-9a-fA-F]$/.test(b);
}

function analyzeHex(source: string): PatternReport {
  const compact = source.replace(/\s+/g, '');
  const unbounded: string[] = [];
  const atoms = new AtomTracker();
  for (let i = 0; i < compact.length; ) {
    const c = compact[i] ?? '';
    if (c === '[') {
      const close = compact.indexOf(']', i);
      const jump = close < 0 ? compact.slice(i + 1) : compact.slice(i + 1, close);
      if (jump.endsWith('-')) unbounded.push(`unbounded jump [${jump}]`);
      atoms.breakRun();
      i = close < 0 ? compact.length : close + 1;
      continue;
    }
    if (c === '(') atoms.open();
    else if (c === '|') atoms.alternative();
    // Hex alternatives take no quantifier: a closed group is always required.
    else if (c === ')') atoms.group(atoms.close(), true);
    if (c === '(' || c === ')' || c === '|') {
      i += 1;
      continue;
    }
    // `~AB` matches any byte but one: a wildcard of three characters.
    if (c === '~') {
      atoms.breakRun();
      i += 3;
      continue;
    }
    const next = compact[i + 1] ?? '';
    if (isFixedHexPair(c, next)) atoms.literal(parseInt(c + next, 16));
    else atoms.breakRun();
    i += 2;
  }
  const summary = atoms.finish();
  return { atom: summary.atom, distinctive: summary.distinctive, unbounded };
}

const WIDE_ESCAPES: ReadonlySet<string> = new Set(['S', 'W', 'D']);
const REGEX_META: ReadonlySet<string> = new Set(['.', '^', '$', '|', '(', ')', '[', ']', '{', '}', '*', '+', '?', '\\']);
/** Escapes that stand for one fixed byte. */
const BYTE_ESCAPES: ReadonlyMap<string, number> = new Map([['n', 0x0a], ['r', 0x0d], ['t', 0x09], ['f', 0x0c], ['v', 0x0b], ['a', 0x07]]);

/** Reads `{n,}` / `{n,m}` / `{n}` at `i`; returns its end and whether it is unbounded or allows zero. */
function readBraces(source: string, i: number): { end: number; unbounded: boolean; optional: boolean } | undefined {
  // Look only a short way ahead: a source of many `{` without `}` must not make the walk quadratic.
  const ahead = source.slice(i, i + 21).indexOf('}');
  if (ahead < 0) return undefined;
  const close = i + ahead;
  const body = source.slice(i + 1, close);
  if (!/^\d{0,6}(?:,\d{0,6})?$/.test(body)) return undefined;
  const [min = '', max] = body.split(',');
  return { end: close + 1, unbounded: max !== undefined && max === '', optional: min === '' || Number(min) === 0 };
}

interface Quantifier {
  end: number;
  quantified: boolean;
  unbounded: boolean;
  optional: boolean;
}

function readQuantifier(source: string, i: number): Quantifier {
  const q = source[i] ?? '';
  if (q === '*' || q === '+' || q === '?') {
    const lazy = source[i + 1] === '?' ? 1 : 0;
    return { end: i + 1 + lazy, quantified: true, unbounded: q !== '?', optional: q !== '+' };
  }
  const braces = q === '{' ? readBraces(source, i) : undefined;
  if (braces === undefined) return { end: i, quantified: false, unbounded: false, optional: false };
  return { end: braces.end, quantified: true, unbounded: braces.unbounded, optional: braces.optional };
}

/** One atom of a regex at `i`: a literal byte, something wider, or a character class; undefined for metacharacters. */
function readRegexAtom(source: string, i: number): { end: number; literal: number | undefined; wide: boolean } | undefined {
  const c = source[i] ?? '';
  if (c === '\\') {
    const e = source[i + 1] ?? '';
    const hex = source.slice(i + 2, i + 4);
    if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(hex)) return { end: i + 4, literal: parseInt(hex, 16), wide: false };
    const fixed = BYTE_ESCAPES.get(e);
    if (fixed !== undefined) return { end: i + 2, literal: fixed, wide: false };
    const literal = /[a-zA-Z0-9]/.test(e) ? undefined : e.charCodeAt(0);
    return { end: i + 2, literal, wide: WIDE_ESCAPES.has(e) };
  }
  if (c === '[') {
    let j = i + 1;
    if (source[j] === '^') j += 1;
    // A `]` right after `[` or `[^` is a member of the class, not its end.
    if (source[j] === ']') j += 1;
    while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
    return { end: j + 1, literal: undefined, wide: source[i + 1] === '^' };
  }
  if (c === '.') return { end: i + 1, literal: undefined, wide: true };
  if (!REGEX_META.has(c)) return { end: i + 1, literal: c.charCodeAt(0), wide: false };
  return undefined;
}

function analyzeRegex(source: string): PatternReport {
  const unbounded: string[] = [];
  const atoms = new AtomTracker();
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? '';
    if (c === '(') {
      atoms.open();
      i += 1;
      if (source.startsWith('?:', i)) i += 2;
      continue;
    }
    if (c === '|') {
      atoms.alternative();
      i += 1;
      continue;
    }
    if (c === ')') {
      const summary = atoms.close();
      const q = readQuantifier(source, i + 1);
      atoms.group(summary, !q.optional);
      i = q.end;
      continue;
    }
    const atom = readRegexAtom(source, i);
    if (atom === undefined) {
      atoms.breakRun();
      i += 1;
      continue;
    }
    const q = readQuantifier(source, atom.end);
    if (atom.wide && q.unbounded) unbounded.push(`unbounded pattern ${source.slice(i, q.end)}`);
    if (atom.literal !== undefined && !q.optional) atoms.literal(atom.literal);
    if (atom.literal === undefined || q.quantified) atoms.breakRun();
    i = q.end;
  }
  const summary = atoms.finish();
  return { atom: summary.atom, distinctive: summary.distinctive, unbounded };
}

function textAtom(value: string): number[] {
  return [...Buffer.from(value, 'latin1')];
}

function reportFor(s: YarString): PatternReport {
  if (s.kind === 'hex') return analyzeHex(s.value);
  if (s.kind === 'regex') return analyzeRegex(s.value);
  const atom = textAtom(s.value);
  return { atom, distinctive: isDistinctiveAtom(atom), unbounded: [] };
}

/** Four or more bytes, at least three different, not only padding, and not a word every package contains. */
export function isDistinctiveAtom(bytes: readonly number[]): boolean {
  if (bytes.length < MIN_ATOM_BYTES) return false;
  if (new Set(bytes).size < 3) return false;
  if (bytes.every((b) => b === 0x00 || b === 0x20 || b === 0xff || b === 0x0a || b === 0x09)) return false;
  const word = Buffer.from(bytes).toString('latin1').trim().toLowerCase();
  return !COMMON_ATOMS.has(word);
}

/** Unbounded patterns and the longest literal atom of one string; exported for tests. */
export function analyzePattern(s: YarString): { atom: string; distinctive: boolean; unbounded: string[] } {
  const report = reportFor(s);
  return { atom: Buffer.from(report.atom).toString('latin1'), distinctive: report.distinctive, unbounded: report.unbounded };
}

export function lint(rule: LibraryRule): Problem[] {
  const problems: Problem[] = [];
  const add = (message: string, line?: number): void => {
    problems.push({ file: rule.path, rule: rule.id, message, ...(line !== undefined ? { line } : {}) });
  };
  for (const error of rule.syntax) add(error.message, error.line);
  if (rule.ruleNames.length !== 1) add(`${rule.ruleNames.length} rules in the file (${rule.ruleNames.join(', ')}); keep one rule per file`);
  let distinctive = false;
  for (const s of rule.strings) {
    const report = analyzePattern(s);
    for (const what of report.unbounded) add(`${s.id}: ${what}; bound it, e.g. {0,200}`, s.line);
    if (report.distinctive) distinctive = true;
  }
  // A rule without strings is decided by its condition alone (magic bytes at offset 0) and costs no atoms.
  if (rule.strings.length > 0 && !distinctive) {
    add(`no string has an atom of ${MIN_ATOM_BYTES} or more distinctive bytes; the rule would wake up on every file`);
  }
  if (rule.samples.match.length === 0) add(`no sample in samples/${rule.id}/match/`);
  if (rule.samples.nomatch.length === 0) add(`no sample in samples/${rule.id}/nomatch/`);
  return problems;
}

/** Lint for the whole library: every rule's problems, plus YARA rule names used twice (they cannot compile together). */
export function lintLibrary(rules: readonly LibraryRule[]): Problem[] {
  const problems = rules.flatMap(lint);
  const names = new Map<string, string>();
  for (const rule of rules) {
    for (const name of rule.ruleNames) {
      const other = names.get(name);
      if (other !== undefined) problems.push({ file: rule.path, rule: rule.id, message: `rule name ${name} is also used in ${other}` });
      else names.set(name, rule.path);
    }
  }
  return problems;
}
