/**
 * A small, linear scanner for YARA rule files: enough to count rules, read their `meta:` section and
 * list their strings for lint. It never compiles anything (the engine does) and never uses a regular
 * expression over the file, so hostile text (NUL bytes, deep braces, a huge file) costs linear time.
 */

import type { MetaValue } from './engine/types.js';

export type StringKind = 'text' | 'hex' | 'regex';

export interface YarString {
  id: string;
  kind: StringKind;
  /** Text strings: the unescaped bytes; hex and regex: the source between the delimiters. */
  value: string;
  line: number;
}

export interface ParsedRule {
  name: string;
  line: number;
  meta: Record<string, MetaValue>;
  strings: YarString[];
}

export interface ParseResult {
  rules: ParsedRule[];
  errors: { line: number; message: string }[];
}

type TokenType = 'ident' | 'strid' | 'string' | 'number' | 'hex' | 'regex' | 'punct';

interface Token {
  type: TokenType;
  value: string;
  line: number;
}

/** More tokens than any real rule file has; past it the file is refused rather than scanned on. */
const MAX_TOKENS = 200_000;

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isIdentChar(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}

function hexValue(c: string): number {
  const n = parseInt(c, 16);
  return Number.isNaN(n) ? -1 : n;
}

class Lexer {
  private pos = 0;
  private line = 1;
  readonly tokens: Token[] = [];
  readonly errors: { line: number; message: string }[] = [];

  constructor(private readonly text: string) {}

  private peek(ahead = 0): string {
    return this.text[this.pos + ahead] ?? '';
  }

  private advance(): string {
    const c = this.text[this.pos] ?? '';
    this.pos += 1;
    if (c === '\n') this.line += 1;
    return c;
  }

  private previous(): Token | undefined {
    return this.tokens[this.tokens.length - 1];
  }

  run(): void {
    while (this.pos < this.text.length) {
      if (this.tokens.length > MAX_TOKENS) {
        this.errors.push({ line: this.line, message: `more than ${MAX_TOKENS} tokens; not a rule file` });
        return;
      }
      this.next();
    }
  }

  private next(): void {
    const c = this.peek();
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v') {
      this.advance();
      return;
    }
    if (c === '/' && this.peek(1) === '/') return this.skipLineComment();
    if (c === '/' && this.peek(1) === '*') return this.skipBlockComment();
    if (c === '"') return this.readString();
    const prev = this.previous();
    const afterEquals = prev?.type === 'punct' && prev.value === '=';
    if (c === '/' && afterEquals) return this.readRegex();
    if (c === '{' && afterEquals) return this.readHex();
    if (c === '$' || c === '#' || c === '@' || c === '!') {
      if (isIdentChar(this.peek(1)) || c === '$') return this.readStringId();
    }
    if (isIdentStart(c)) return this.readWord('ident');
    if (c >= '0' && c <= '9') return this.readWord('number');
    this.tokens.push({ type: 'punct', value: c, line: this.line });
    this.advance();
  }

  private skipLineComment(): void {
    while (this.pos < this.text.length && this.peek() !== '\n') this.advance();
  }

  private skipBlockComment(): void {
    const start = this.line;
    this.advance();
    this.advance();
    while (this.pos < this.text.length && !(this.peek() === '*' && this.peek(1) === '/')) this.advance();
    if (this.pos >= this.text.length) {
      this.errors.push({ line: start, message: 'unterminated comment' });
      return;
    }
    this.advance();
    this.advance();
  }

  private readWord(type: 'ident' | 'number'): void {
    const start = this.pos;
    while (this.pos < this.text.length && (isIdentChar(this.peek()) || (type === 'number' && this.peek() === '.' && this.peek(1) !== '.'))) this.advance();
    this.tokens.push({ type, value: this.text.slice(start, this.pos), line: this.line });
  }

  private readStringId(): void {
    const start = this.pos;
    this.advance();
    while (this.pos < this.text.length && (isIdentChar(this.peek()) || this.peek() === '*')) this.advance();
    this.tokens.push({ type: 'strid', value: this.text.slice(start, this.pos), line: this.line });
  }

  /** YARA text strings: one line, backslash escapes (`\"`, `\\`, `\n`, `\t`, `\r`, `\xNN`). */
  private readString(): void {
    const line = this.line;
    this.advance();
    let out = '';
    while (this.pos < this.text.length) {
      const c = this.peek();
      if (c === '\n') break;
      this.advance();
      if (c === '"') {
        this.tokens.push({ type: 'string', value: out, line });
        return;
      }
      if (c !== '\\') {
        out += c;
        continue;
      }
      out += this.readEscape();
    }
    this.errors.push({ line, message: 'unterminated string' });
  }

  private readEscape(): string {
    const e = this.advance();
    if (e === 'n') return '\n';
    if (e === 't') return '\t';
    if (e === 'r') return '\r';
    if (e === 'x') {
      const hi = hexValue(this.peek());
      const lo = hexValue(this.peek(1));
      if (hi < 0 || lo < 0) return 'x';
      this.advance();
      this.advance();
      return String.fromCharCode(hi * 16 + lo);
    }
    return e;
  }

  /** `/…/flags`: a `/` inside a character class or after a backslash does not end it. */
  private readRegex(): void {
    const line = this.line;
    this.advance();
    let out = '';
    let inClass = false;
    while (this.pos < this.text.length && this.peek() !== '\n') {
      const c = this.advance();
      if (c === '\\') {
        out += c + this.advance();
        continue;
      }
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) {
        while (this.peek() === 'i' || this.peek() === 's') this.advance();
        this.tokens.push({ type: 'regex', value: out, line });
        return;
      }
      out += c;
    }
    this.errors.push({ line, message: 'unterminated regular expression' });
  }

  private readHex(): void {
    const line = this.line;
    this.advance();
    const start = this.pos;
    while (this.pos < this.text.length && this.peek() !== '}') {
      if (this.peek() === '{') {
        this.errors.push({ line: this.line, message: 'unexpected "{" inside a hex string' });
        return;
      }
      this.advance();
    }
    if (this.pos >= this.text.length) {
      this.errors.push({ line, message: 'unterminated hex string' });
      return;
    }
    const value = this.text.slice(start, this.pos);
    this.advance();
    this.tokens.push({ type: 'hex', value, line });
  }
}

type Section = 'none' | 'meta' | 'strings' | 'condition';
const SECTIONS: ReadonlySet<string> = new Set(['meta', 'strings', 'condition']);

class RuleParser {
  private i = 0;
  readonly rules: ParsedRule[] = [];
  readonly errors: { line: number; message: string }[] = [];

  constructor(private readonly tokens: readonly Token[]) {}

  private at(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }

  private isPunct(token: Token | undefined, value: string): boolean {
    return token?.type === 'punct' && token.value === value;
  }

  run(): void {
    let depth = 0;
    while (this.i < this.tokens.length) {
      const token = this.tokens[this.i] as Token;
      if (depth === 0 && token.type === 'ident' && token.value === 'rule' && this.at(1)?.type === 'ident') {
        this.readRule();
        continue;
      }
      if (this.isPunct(token, '{')) depth += 1;
      else if (this.isPunct(token, '}')) depth = Math.max(0, depth - 1);
      this.i += 1;
    }
  }

  private readRule(): void {
    const keyword = this.tokens[this.i] as Token;
    const name = (this.at(1) as Token).value;
    this.i += 2;
    while (this.i < this.tokens.length && !this.isPunct(this.at(), '{')) this.i += 1;
    if (this.i >= this.tokens.length) {
      this.errors.push({ line: keyword.line, message: `rule ${name} has no body` });
      return;
    }
    this.i += 1;
    const rule: ParsedRule = { name, line: keyword.line, meta: {}, strings: [] };
    this.rules.push(rule);
    this.readBody(rule);
  }

  private readBody(rule: ParsedRule): void {
    let section: Section = 'none';
    let depth = 1;
    while (this.i < this.tokens.length) {
      const token = this.tokens[this.i] as Token;
      if (this.isPunct(token, '{')) depth += 1;
      if (this.isPunct(token, '}')) {
        depth -= 1;
        this.i += 1;
        if (depth === 0) return;
        continue;
      }
      if (depth === 1 && token.type === 'ident' && SECTIONS.has(token.value) && this.isPunct(this.at(1), ':')) {
        section = token.value as Section;
        this.i += 2;
        continue;
      }
      if (section === 'meta' && token.type === 'ident' && this.isPunct(this.at(1), '=')) {
        this.readMeta(rule);
        continue;
      }
      if (section === 'strings' && token.type === 'strid' && this.isPunct(this.at(1), '=')) {
        this.readStringDef(rule);
        continue;
      }
      this.i += 1;
    }
    this.errors.push({ line: rule.line, message: `rule ${rule.name} is not closed with "}"` });
  }

  private readMeta(rule: ParsedRule): void {
    const key = this.tokens[this.i] as Token;
    let value = this.at(2);
    let negative = false;
    if (this.isPunct(value, '-') && this.at(3)?.type === 'number') {
      negative = true;
      value = this.at(3);
      this.i += 1;
    }
    this.i += 3;
    const parsed = value === undefined ? undefined : metaValue(value, negative);
    if (parsed === undefined) {
      this.errors.push({ line: key.line, message: `meta ${key.value} has no string, number or true/false value` });
      return;
    }
    if (Object.hasOwn(rule.meta, key.value)) this.errors.push({ line: key.line, message: `meta ${key.value} is given twice` });
    rule.meta[key.value] = parsed;
  }

  private readStringDef(rule: ParsedRule): void {
    const id = this.tokens[this.i] as Token;
    const value = this.at(2);
    this.i += 3;
    if (value?.type === 'string') rule.strings.push({ id: id.value, kind: 'text', value: value.value, line: id.line });
    else if (value?.type === 'hex') rule.strings.push({ id: id.value, kind: 'hex', value: value.value, line: id.line });
    else if (value?.type === 'regex') rule.strings.push({ id: id.value, kind: 'regex', value: value.value, line: id.line });
    else this.errors.push({ line: id.line, message: `string ${id.value} has no text, hex or regex value` });
  }
}

function metaValue(token: Token, negative: boolean): MetaValue | undefined {
  if (token.type === 'string') return token.value;
  if (token.type === 'ident' && (token.value === 'true' || token.value === 'false')) return token.value === 'true';
  if (token.type !== 'number') return undefined;
  const n = token.value.startsWith('0x') ? parseInt(token.value.slice(2), 16) : Number(token.value);
  if (!Number.isSafeInteger(n)) return undefined;
  return negative ? -n : n;
}

export function parseYarFile(text: string): ParseResult {
  const lexer = new Lexer(text);
  lexer.run();
  const parser = new RuleParser(lexer.tokens);
  parser.run();
  return { rules: parser.rules, errors: [...lexer.errors, ...parser.errors] };
}
