import type { MetaValue } from './types.js';

/**
 * Just enough of YARA's grammar to batch files safely: where each rule's meta, strings and condition sit,
 * and which hits a condition needs before it can be true. Rule text comes from our library or a
 * researcher's folder, never from a scanned package; the scanner is still a linear single pass.
 */

export type TokenKind = 'ident' | 'var' | 'count' | 'other-var' | 'str' | 'regex' | 'hex' | 'num' | 'punct';

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_]/;
const TWO_CHAR = new Set(['==', '!=', '<=', '>=', '..', '<<', '>>']);

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const prev = (): Token | undefined => out[out.length - 1];
  while (i < src.length) {
    const c = src[i] ?? '';
    const start = i;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') { i++; continue; }
    if (c === '/' && src[i + 1] === '/') { i = skipUntil(src, i, '\n'); continue; }
    if (c === '/' && src[i + 1] === '*') { const j = src.indexOf('*/', i + 2); i = j < 0 ? src.length : j + 2; continue; }
    if (c === '"') { i = scanQuoted(src, i + 1, '"'); out.push({ kind: 'str', text: src.slice(start, i), start, end: i }); continue; }
    const p = prev();
    if (c === '/' && p !== undefined && (p.text === '=' || p.text === 'matches')) {
      i = scanQuoted(src, i + 1, '/');
      while (i < src.length && /[is]/.test(src[i] ?? '')) i++;
      out.push({ kind: 'regex', text: src.slice(start, i), start, end: i });
      continue;
    }
    if (c === '{' && p?.text === '=') {
      const j = src.indexOf('}', i);
      i = j < 0 ? src.length : j + 1;
      out.push({ kind: 'hex', text: src.slice(start, i), start, end: i });
      continue;
    }
    if ((c === '$' || c === '#' || c === '@' || c === '!') && (src[i + 1] === undefined || IDENT_CHAR.test(src[i + 1] ?? '') || src[i + 1] === '*' || c === '$')) {
      if (c === '!' && !IDENT_CHAR.test(src[i + 1] ?? '')) { /* fall through to punct */ } else {
        i++;
        while (i < src.length && IDENT_CHAR.test(src[i] ?? '')) i++;
        if (src[i] === '*') i++;
        const kind: TokenKind = c === '$' ? 'var' : c === '#' ? 'count' : 'other-var';
        out.push({ kind, text: src.slice(start, i), start, end: i });
        continue;
      }
    }
    if (IDENT_START.test(c)) {
      while (i < src.length && (IDENT_CHAR.test(src[i] ?? '') || src[i] === '.')) i++;
      out.push({ kind: 'ident', text: src.slice(start, i), start, end: i });
      continue;
    }
    if (c >= '0' && c <= '9') {
      while (i < src.length && /[0-9A-Za-z]/.test(src[i] ?? '')) i++;
      out.push({ kind: 'num', text: src.slice(start, i), start, end: i });
      continue;
    }
    const two = src.slice(i, i + 2);
    i += TWO_CHAR.has(two) ? 2 : 1;
    out.push({ kind: 'punct', text: src.slice(start, i), start, end: i });
  }
  return out;
}

function skipUntil(src: string, i: number, ch: string): number {
  const j = src.indexOf(ch, i);
  return j < 0 ? src.length : j;
}

function scanQuoted(src: string, i: number, close: string): number {
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') { i += 2; continue; }
    if (c === close) return i + 1;
    if (c === '\n' && close === '"') return i;
    i++;
  }
  return i;
}

export interface ParsedRule {
  name: string;
  global: boolean;
  /** Private rules never appear in libyara's results. */
  isPrivate: boolean;
  meta: Record<string, MetaValue>;
  /** Source text of the strings section (without the `strings:` keyword), or '' when there is none. */
  stringsText: string;
  condition: Token[];
}

/** Splits a rule file into rules. Unknown shapes yield fewer rules, never an exception. */
export function parseRules(src: string): ParsedRule[] {
  const toks = tokenize(src);
  const rules: ParsedRule[] = [];
  let i = 0;
  while (i < toks.length) {
    let global = false;
    let isPrivate = false;
    while (toks[i]?.text === 'private' || toks[i]?.text === 'global') { if (toks[i]?.text === 'global') global = true; else isPrivate = true; i++; }
    if (toks[i]?.text !== 'rule') { i++; continue; }
    const name = toks[i + 1]?.text ?? '';
    i += 2;
    while (i < toks.length && toks[i]?.text !== '{') i++;
    const parsed = parseBody(src, toks, i + 1);
    rules.push({ name, global, isPrivate, ...parsed.rule });
    i = parsed.next;
  }
  return rules;
}

function parseBody(src: string, toks: Token[], i: number): { rule: Omit<ParsedRule, 'name' | 'global' | 'isPrivate'>; next: number } {
  const sections = new Map<string, [number, number]>();
  let current: string | undefined;
  let from = i;
  let j = i;
  for (; j < toks.length; j++) {
    const t = toks[j];
    if (t === undefined) break;
    const isSection = t.kind === 'ident' && (t.text === 'meta' || t.text === 'strings' || t.text === 'condition') && toks[j + 1]?.text === ':';
    if (isSection || (t.text === '}' && t.kind === 'punct')) {
      if (current !== undefined) sections.set(current, [from, j]);
      if (!isSection) break;
      current = t.text;
      from = j + 2;
      j++;
    }
  }
  const strings = sections.get('strings');
  const stringsText = strings === undefined ? '' : textBetween(src, toks, strings[0], strings[1]);
  const cond = sections.get('condition');
  const meta = sections.get('meta');
  return {
    rule: {
      meta: meta === undefined ? {} : parseMeta(toks.slice(meta[0], meta[1])),
      stringsText,
      condition: cond === undefined ? [] : toks.slice(cond[0], cond[1]),
    },
    next: j + 1,
  };
}

function textBetween(src: string, toks: Token[], a: number, b: number): string {
  const first = toks[a];
  const last = toks[b - 1];
  if (first === undefined || last === undefined || b <= a) return '';
  return src.slice(first.start, last.end);
}

function parseMeta(toks: Token[]): Record<string, MetaValue> {
  const meta: Record<string, MetaValue> = {};
  for (let i = 0; i + 2 < toks.length + 0; i++) {
    const key = toks[i];
    if (key?.kind !== 'ident' || toks[i + 1]?.text !== '=') continue;
    let v = toks[i + 2];
    let negative = false;
    if (v?.text === '-') { negative = true; v = toks[i + 3]; }
    if (v === undefined) continue;
    if (v.kind === 'str') meta[key.text] = unquote(v.text);
    else if (v.kind === 'num') meta[key.text] = (negative ? -1 : 1) * Number(v.text);
    else if (v.text === 'true' || v.text === 'false') meta[key.text] = v.text === 'true';
  }
  return meta;
}

function unquote(s: string): string {
  const body = s.slice(1, s.endsWith('"') && s.length > 1 ? -1 : undefined);
  return body.replace(/\\(["\\nt])/g, (_m, ch: string) => (ch === 'n' ? '\n' : ch === 't' ? '\t' : ch));
}

/**
 * What must hit in a file before a rule can match there: any of the rule's strings, and/or a magic value at
 * offset 0. `undefined` means the rule can match with no hit at all (e.g. `filesize < 100`), so it has to
 * run on every file alone.
 */
export interface Requirement {
  strings: boolean;
  /** Byte sequences that must sit at offset 0. */
  magic: Buffer[];
}

export function requirementOf(condition: readonly Token[]): Requirement | undefined {
  return need(stripParens(condition));
}

function need(toks: readonly Token[]): Requirement | undefined {
  const inner = stripParens(toks);
  const ors = splitTop(inner, 'or');
  if (ors.length > 1) {
    const parts = ors.map(need);
    if (parts.some((p) => p === undefined)) return undefined;
    const req: Requirement = { strings: false, magic: [] };
    for (const p of parts as Requirement[]) { req.strings ||= p.strings; req.magic.push(...p.magic); }
    return req;
  }
  const ands = splitTop(inner, 'and');
  if (ands.length > 1) {
    const parts = ands.map(need).filter((p): p is Requirement => p !== undefined);
    // A magic-only requirement is the most selective: anchored at offset 0.
    return parts.find((p) => !p.strings && p.magic.length > 0) ?? parts[0];
  }
  return atom(inner);
}

function atom(t: readonly Token[]): Requirement | undefined {
  const strings: Requirement = { strings: true, magic: [] };
  const first = t[0];
  if (first === undefined) return undefined;
  if (first.kind === 'var' && (t.length === 1 || t[1]?.text === 'at' || t[1]?.text === 'in')) return strings;
  if ((first.text === 'any' || first.text === 'all' || (first.kind === 'num' && Number(first.text) >= 1)) && t[1]?.text === 'of') {
    const target = t.slice(2);
    const ok = target.length > 0 && target.every((x) => x.kind === 'var' || x.text === 'them' || x.text === '(' || x.text === ')' || x.text === ',');
    const tail = ok || (target[0]?.text === 'them' && (target[1]?.text === 'in' || target[1]?.text === 'at'));
    return tail || ok ? strings : undefined;
  }
  if (first.kind === 'count' && t.length === 3 && t[2]?.kind === 'num') {
    const n = Number(t[2].text);
    const op = t[1]?.text;
    if ((op === '>' && n >= 0) || ((op === '>=' || op === '==') && n >= 1)) return strings;
    return undefined;
  }
  return magicAtom(t);
}

const UINT_WIDTH: Record<string, [number, boolean]> = {
  uint8: [1, false], uint16: [2, false], uint32: [4, false], uint16be: [2, true], uint32be: [4, true],
};

function magicAtom(t: readonly Token[]): Requirement | undefined {
  let fn: Token | undefined;
  let value: Token | undefined;
  if (t.length === 6 && t[1]?.text === '(' && t[2]?.text === '0' && t[3]?.text === ')' && t[4]?.text === '==') { fn = t[0]; value = t[5]; }
  else if (t.length === 6 && t[1]?.text === '==' && t[3]?.text === '(' && t[4]?.text === '0' && t[5]?.text === ')') { fn = t[2]; value = t[0]; }
  const spec = fn === undefined ? undefined : UINT_WIDTH[fn.text];
  if (spec === undefined || value?.kind !== 'num') return undefined;
  const n = Number(value.text);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** (8 * spec[0])) return undefined;
  const buf = Buffer.alloc(spec[0]);
  if (spec[0] === 1) buf.writeUInt8(n);
  else if (spec[0] === 2) spec[1] ? buf.writeUInt16BE(n) : buf.writeUInt16LE(n);
  else spec[1] ? buf.writeUInt32BE(n) : buf.writeUInt32LE(n);
  return { strings: false, magic: [buf] };
}

function stripParens(t: readonly Token[]): readonly Token[] {
  let cur = t;
  while (cur.length >= 2 && cur[0]?.text === '(' && cur[cur.length - 1]?.text === ')' && closes(cur) === cur.length - 1) cur = cur.slice(1, -1);
  return cur;
}

function closes(t: readonly Token[]): number {
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    const x = t[i]?.text;
    if (x === '(') depth++;
    else if (x === ')' && --depth === 0) return i;
  }
  return -1;
}

function splitTop(t: readonly Token[], word: 'and' | 'or'): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const x of t) {
    if (x.text === '(') depth++;
    if (x.text === ')') depth--;
    if (depth === 0 && x.kind === 'ident' && x.text === word) { parts.push([]); continue; }
    parts[parts.length - 1]?.push(x);
  }
  return parts;
}

/** Identifiers in a condition that name other rules (so those rules must be compiled alongside). */
export function referencedNames(condition: readonly Token[], known: ReadonlySet<string>): string[] {
  return condition.filter((t) => t.kind === 'ident' && known.has(t.text)).map((t) => t.text);
}
