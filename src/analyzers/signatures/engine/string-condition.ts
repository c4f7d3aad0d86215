import { tokenize, type Token } from './yara-syntax.js';

/**
 * Conditions that depend only on which strings are present in a file (`$a`, `any/all/none/N of …`, `and`,
 * `or`, `not`, parentheses, `true`/`false`), evaluated in JavaScript from phase-1 hits (ADR 0001). Anything
 * else — counts, offsets, filesize, uint*, modules, loops, rule references — is not representable and
 * yields `undefined`, so that rule keeps running on the file alone.
 */
export type Presence = (id: string) => boolean;
export type StringCondition = (present: Presence) => boolean;

/** One entry of a strings section, as far as batching safety is concerned. */
export interface StringDef {
  id: string;
  /** True when a batch finds exactly the matches a lone scan would find inside the file. */
  batchSafe: boolean;
}

/**
 * Files in a batch are separated by NUL bytes, which `fullword` and regex `\b`/`\B` treat like the edge of
 * the data, so those are safe; regex anchors `^`/`$` only hold at the batch's own edges, and `private` strings
 * are invisible in results. Matches that run past a file's edge are caught separately (the worker reports
 * them) and rescanned alone.
 */
const SAFE_MODIFIERS = new Set(['nocase', 'wide', 'ascii', 'fullword', 'xor', 'base64', 'base64wide']);

export function parseStringDefs(stringsText: string): StringDef[] | undefined {
  const toks = tokenize(stringsText);
  const defs: StringDef[] = [];
  let i = 0;
  while (i < toks.length) {
    const id = toks[i];
    const value = toks[i + 2];
    if (id?.kind !== 'var' || id.text.endsWith('*') || toks[i + 1]?.text !== '=' || value === undefined) return undefined;
    let safe = value.kind === 'str' || value.kind === 'hex' || (value.kind === 'regex' && regexIsLocal(value.text));
    i += 3;
    for (; i < toks.length && toks[i]?.kind !== 'var'; i++) {
      const t = toks[i];
      if (t?.kind !== 'ident') continue;
      if (!SAFE_MODIFIERS.has(t.text)) safe = false;
      if (toks[i + 1]?.text === '(') i = skipArgs(toks, i + 1);
    }
    defs.push({ id: id.text, batchSafe: safe });
  }
  return defs;
}

function skipArgs(toks: readonly Token[], open: number): number {
  let j = open;
  while (j < toks.length && toks[j]?.text !== ')') j++;
  return j;
}

/**
 * False when a regex has an anchor (`^`, `$`), which holds only at the edges of the whole batch. Inside a
 * character class both are literals (or, leading, a negation), so `[A-Za-z_$]` stays local.
 */
export function regexIsLocal(text: string): boolean {
  const body = text.slice(1, text.lastIndexOf('/'));
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') { i++; continue; }
    if (inClass) {
      // A `]` right after `[` or `[^` is a literal member, not the end of the class.
      if (c === ']' && body[i - 1] !== '[' && !(body[i - 1] === '^' && body[i - 2] === '[')) inClass = false;
      continue;
    }
    if (c === '[') { inClass = true; continue; }
    if (c === '$' || c === '^') return false;
  }
  return true;
}

type Node =
  | { k: 'const'; v: boolean }
  | { k: 'var'; id: string }
  | { k: 'not'; a: Node }
  | { k: 'and' | 'or'; a: Node; b: Node }
  | { k: 'of'; min: number | 'all' | 'none'; ids: string[] };

/** Compiles a condition over the given string ids, or `undefined` when it is not a pure string condition. */
export function compileStringCondition(condition: readonly Token[], ids: readonly string[]): StringCondition | undefined {
  if (ids.some((id) => id === '$')) return undefined; // anonymous strings cannot be told apart by id
  const p = new Parser(condition, ids);
  const node = p.expr();
  if (node === undefined || !p.done()) return undefined;
  return (present) => evaluate(node, present);
}

function evaluate(n: Node, present: Presence): boolean {
  switch (n.k) {
    case 'const': return n.v;
    case 'var': return present(n.id);
    case 'not': return !evaluate(n.a, present);
    case 'and': return evaluate(n.a, present) && evaluate(n.b, present);
    case 'or': return evaluate(n.a, present) || evaluate(n.b, present);
    case 'of': {
      const hit = n.ids.filter(present).length;
      if (n.min === 'all') return hit === n.ids.length;
      if (n.min === 'none') return hit === 0;
      return hit >= n.min;
    }
  }
}

/** Recursive descent with YARA's precedence: `not` over `and` over `or`. Depth is bounded by rule text we own. */
class Parser {
  private i = 0;
  constructor(private readonly t: readonly Token[], private readonly ids: readonly string[]) {}

  done(): boolean {
    return this.i === this.t.length;
  }

  expr(): Node | undefined {
    let a = this.conj();
    while (a !== undefined && this.word('or')) {
      const b = this.conj();
      a = b === undefined ? undefined : { k: 'or', a, b };
    }
    return a;
  }

  private conj(): Node | undefined {
    let a = this.unary();
    while (a !== undefined && this.word('and')) {
      const b = this.unary();
      a = b === undefined ? undefined : { k: 'and', a, b };
    }
    return a;
  }

  private unary(): Node | undefined {
    if (this.word('not')) {
      const a = this.unary();
      return a === undefined ? undefined : { k: 'not', a };
    }
    return this.primary();
  }

  private primary(): Node | undefined {
    const t = this.t[this.i];
    if (t === undefined) return undefined;
    if (t.kind === 'punct' && t.text === '(') {
      this.i++;
      const e = this.expr();
      return e !== undefined && this.punct(')') ? e : undefined;
    }
    if (t.kind === 'ident' && (t.text === 'true' || t.text === 'false')) { this.i++; return { k: 'const', v: t.text === 'true' }; }
    if (t.kind === 'var') {
      if (t.text.endsWith('*') || !this.ids.includes(t.text)) return undefined;
      this.i++;
      return { k: 'var', id: t.text };
    }
    return this.of();
  }

  private of(): Node | undefined {
    const q = this.t[this.i];
    let min: number | 'all' | 'none';
    if (q?.kind === 'ident' && (q.text === 'any' || q.text === 'all' || q.text === 'none')) min = q.text === 'any' ? 1 : q.text;
    else if (q?.kind === 'num' && /^[0-9]{1,6}$/.test(q.text) && Number(q.text) >= 1) min = Number(q.text);
    else return undefined;
    this.i++;
    if (!this.word('of')) return undefined;
    const ids = this.set();
    return ids === undefined || ids.length === 0 ? undefined : { k: 'of', min, ids };
  }

  private set(): string[] | undefined {
    if (this.word('them')) return [...this.ids];
    if (!this.punct('(')) return undefined;
    const out = new Set<string>();
    for (;;) {
      const v = this.t[this.i];
      if (v?.kind !== 'var') return undefined;
      this.i++;
      const matched = v.text.endsWith('*') ? this.ids.filter((id) => id.startsWith(v.text.slice(0, -1))) : this.ids.filter((id) => id === v.text);
      if (matched.length === 0) return undefined;
      for (const id of matched) out.add(id);
      if (this.punct(')')) return [...out];
      if (!this.punct(',')) return undefined;
    }
  }

  private word(w: string): boolean {
    const t = this.t[this.i];
    if (t?.kind !== 'ident' || t.text !== w) return false;
    this.i++;
    return true;
  }

  private punct(p: string): boolean {
    const t = this.t[this.i];
    if (t?.kind !== 'punct' || t.text !== p) return false;
    this.i++;
    return true;
  }
}

/**
 * The strings section rewritten to match a superset of what it matches in a lone file, for the phase-1
 * candidate rule of a unit that is not decided in JS: regex anchors hold only at the batch's edges, and
 * `private` strings are not reported at all. Dropping them only adds candidates; the per-file scan still
 * applies the real strings.
 */
export function widenForCandidates(stringsText: string): string {
  let out = '';
  let from = 0;
  for (const t of tokenize(stringsText)) {
    let replacement: string | undefined;
    if (t.kind === 'ident' && t.text === 'private') replacement = '';
    else if (t.kind === 'regex' && !regexIsLocal(t.text)) replacement = dropAssertions(t.text);
    if (replacement === undefined) continue;
    out += stringsText.slice(from, t.start) + replacement;
    from = t.end;
  }
  return out + stringsText.slice(from);
}

/** Removes `^`, `$`, `\b` and `\B` outside character classes (each is zero-width, so the match set grows). */
function dropAssertions(text: string): string {
  const close = text.lastIndexOf('/');
  const body = text.slice(1, close);
  let out = '';
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? '';
    if (c === '\\') {
      const n = body[i + 1] ?? '';
      if (inClass || (n !== 'b' && n !== 'B')) out += c + n;
      i++;
      continue;
    }
    if (inClass) { if (c === ']') inClass = false; out += c; continue; }
    if (c === '[') { inClass = true; out += c; if (body[i + 1] === '^') { out += '^'; i++; } continue; }
    if (c === '^' || c === '$') continue;
    out += c;
  }
  return `/${out}${text.slice(close)}`;
}

/**
 * A string condition implied by `condition` (true wherever the condition can be true), for conditions that
 * are not pure string conditions: `and`/`or` keep their decidable parts, `$a at/in …` and `#a > 0`-style
 * counts imply `$a`, everything else (offsets, filesize, loops, `not` over undecidable parts) counts as true.
 * Used to narrow phase-1 candidates; the real condition still runs on the file alone.
 */
export function impliedStringCondition(condition: readonly Token[], ids: readonly string[]): StringCondition {
  const node = implied(condition, ids);
  return (present) => node(present);
}

function implied(toks: readonly Token[], ids: readonly string[]): StringCondition {
  const inner = stripOuterParens(toks);
  for (const word of ['or', 'and'] as const) {
    const parts = splitTopLevel(inner, word);
    if (parts.length < 2) continue;
    const fns = parts.map((p) => implied(p, ids));
    return word === 'or' ? (present) => fns.some((f) => f(present)) : (present) => fns.every((f) => f(present));
  }
  const exact = compileStringCondition(inner, ids);
  if (exact !== undefined) return exact;
  const first = inner[0];
  if (first?.kind === 'var' && ids.includes(first.text) && (inner[1]?.text === 'at' || inner[1]?.text === 'in')) return (present) => present(first.text);
  if (first?.kind === 'count' && inner.length === 3 && inner[2]?.kind === 'num' && /^[0-9]{1,6}$/.test(inner[2].text)) {
    const id = `$${first.text.slice(1)}`;
    const n = Number(inner[2].text);
    const op = inner[1]?.text;
    const needsHit = (op === '>' && n >= 0) || ((op === '>=' || op === '==') && n >= 1);
    if (needsHit && ids.includes(id)) return (present) => present(id);
  }
  return () => true;
}

function stripOuterParens(t: readonly Token[]): readonly Token[] {
  let cur = t;
  while (cur.length >= 2 && cur[0]?.text === '(' && cur[cur.length - 1]?.text === ')' && closingIndex(cur) === cur.length - 1) cur = cur.slice(1, -1);
  return cur;
}

function closingIndex(t: readonly Token[]): number {
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    const x = t[i];
    if (x?.kind !== 'punct') continue;
    if (x.text === '(') depth++;
    else if (x.text === ')' && --depth === 0) return i;
  }
  return -1;
}

function splitTopLevel(t: readonly Token[], word: 'and' | 'or'): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const x of t) {
    if (x.kind === 'punct' && x.text === '(') depth++;
    if (x.kind === 'punct' && x.text === ')') depth--;
    if (depth === 0 && x.kind === 'ident' && x.text === word) { parts.push([]); continue; }
    parts[parts.length - 1]?.push(x);
  }
  return parts;
}
