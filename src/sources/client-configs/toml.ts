import { AssayError } from '../../core/errors.js';
import { positionOf } from './jsonc.js';

/**
 * The TOML subset mcpd writes to `.mcpd.toml`: comments, `[table]` and `[[array.of.tables]]` headers,
 * `key = value` with bare or quoted keys, basic and literal strings, integers, floats, booleans and
 * (multi-line) arrays of those. Anything else (inline tables, dotted keys, multi-line strings, dates)
 * is refused with file:line:col rather than guessed at.
 */
export type TomlValue = string | number | boolean | TomlValue[];
export type TomlTable = { [key: string]: TomlValue | TomlTable | TomlTable[] };

const MAX_ARRAY_DEPTH = 16;

class TomlParser {
  private pos = 0;
  readonly root: TomlTable = Object.create(null) as TomlTable;
  private current: TomlTable = this.root;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  fail(message: string, at = this.pos): never {
    const { line, column } = positionOf(this.text, at);
    throw new AssayError('invalidInput', `${this.file}:${line}:${column}: ${message}`);
  }

  parse(): TomlTable {
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1;
    for (;;) {
      this.skipBlank(true);
      if (this.pos >= this.text.length) return this.root;
      if (this.text[this.pos] === '[') this.header();
      else this.keyValue();
      this.endOfLine();
    }
  }

  private skipBlank(newlines: boolean): void {
    const t = this.text;
    while (this.pos < t.length) {
      const ch = t[this.pos];
      if (ch === ' ' || ch === '\t' || (newlines && (ch === '\n' || ch === '\r'))) this.pos++;
      else if (ch === '#') {
        const end = t.indexOf('\n', this.pos);
        this.pos = end < 0 ? t.length : end;
      } else return;
    }
  }

  private endOfLine(): void {
    this.skipBlank(false);
    const ch = this.text[this.pos];
    if (ch === undefined) return;
    if (ch === '\r' && this.text[this.pos + 1] === '\n') this.pos += 2;
    else if (ch === '\n') this.pos++;
    else this.fail('expected the end of the line');
  }

  private header(): void {
    const start = this.pos;
    const isArray = this.text.startsWith('[[', this.pos);
    this.pos += isArray ? 2 : 1;
    const keys: string[] = [];
    for (;;) {
      this.skipBlank(false);
      keys.push(this.key());
      this.skipBlank(false);
      if (this.text[this.pos] !== '.') break;
      this.pos++;
    }
    const close = isArray ? ']]' : ']';
    if (!this.text.startsWith(close, this.pos)) this.fail(`expected ${close}`);
    this.pos += close.length;
    let table = this.root;
    for (const [i, key] of keys.entries()) {
      const last = i === keys.length - 1;
      const existing = table[key];
      if (last && isArray) {
        if (existing !== undefined && !Array.isArray(existing)) this.fail(`${key} is already defined as a table`, start);
        const list = (existing ?? []) as TomlTable[];
        const next = Object.create(null) as TomlTable;
        list.push(next);
        table[key] = list;
        table = next;
      } else if (existing === undefined) {
        const next = Object.create(null) as TomlTable;
        table[key] = next;
        table = next;
      } else if (Array.isArray(existing)) {
        const lastItem = existing.at(-1);
        if (typeof lastItem !== 'object' || lastItem === null || Array.isArray(lastItem)) this.fail(`${key} is not a table`, start);
        table = lastItem;
      } else if (typeof existing === 'object') {
        table = existing;
      } else {
        this.fail(`${key} is already a value`, start);
      }
    }
    this.current = table;
  }

  private key(): string {
    const ch = this.text[this.pos];
    if (ch === '"') return this.basicString();
    if (ch === "'") return this.literalString();
    const match = /^[A-Za-z0-9_-]+/.exec(this.text.slice(this.pos, this.pos + 256));
    if (!match) this.fail('expected a key');
    this.pos += match[0].length;
    return match[0];
  }

  private keyValue(): void {
    const start = this.pos;
    const key = this.key();
    this.skipBlank(false);
    if (this.text[this.pos] === '.') this.fail('dotted keys are not supported in .mcpd.toml');
    if (this.text[this.pos] !== '=') this.fail('expected = after the key');
    this.pos++;
    this.skipBlank(false);
    if (Object.hasOwn(this.current, key)) this.fail(`duplicate key ${JSON.stringify(key)}`, start);
    this.current[key] = this.value(0);
  }

  private value(depth: number): TomlValue {
    const ch = this.text[this.pos];
    if (ch === '"') {
      if (this.text.startsWith('"""', this.pos)) this.fail('multi-line strings are not supported in .mcpd.toml');
      return this.basicString();
    }
    if (ch === "'") {
      if (this.text.startsWith("'''", this.pos)) this.fail('multi-line strings are not supported in .mcpd.toml');
      return this.literalString();
    }
    if (ch === '[') return this.array(depth + 1);
    if (ch === '{') this.fail('inline tables are not supported in .mcpd.toml');
    if (this.text.startsWith('true', this.pos)) return this.word('true', true);
    if (this.text.startsWith('false', this.pos)) return this.word('false', false);
    const match = /^[+-]?(?:0|[1-9][0-9_]*)(?:\.[0-9_]+)?(?:[eE][+-]?[0-9]+)?(?![\w:.-])/.exec(this.text.slice(this.pos, this.pos + 64));
    if (!match) this.fail('expected a string, number, boolean or array');
    this.pos += match[0].length;
    return Number(match[0].replace(/_/g, ''));
  }

  private word(word: string, value: boolean): boolean {
    this.pos += word.length;
    return value;
  }

  private array(depth: number): TomlValue[] {
    if (depth > MAX_ARRAY_DEPTH) this.fail(`arrays nested deeper than ${MAX_ARRAY_DEPTH} levels`);
    this.pos++;
    const out: TomlValue[] = [];
    for (;;) {
      this.skipBlank(true);
      if (this.text[this.pos] === ']') break;
      if (this.pos >= this.text.length) this.fail('unterminated array');
      out.push(this.value(depth));
      this.skipBlank(true);
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== ']') this.fail('expected , or ] in array');
    }
    this.pos++;
    return out;
  }

  private literalString(): string {
    const start = this.pos;
    const end = this.text.indexOf("'", this.pos + 1);
    const newline = this.text.indexOf('\n', this.pos + 1);
    if (end < 0 || (newline >= 0 && newline < end)) this.fail('unterminated string', start);
    this.pos = end + 1;
    return this.text.slice(start + 1, end);
  }

  private basicString(): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined || ch === '\n') this.fail('unterminated string', start);
      if (ch === '"') break;
      if (ch === '\\') {
        out += this.escape();
        continue;
      }
      out += ch;
      this.pos++;
    }
    this.pos++;
    return out;
  }

  private escape(): string {
    const next = this.text[this.pos + 1];
    const simple: Record<string, string> = { '"': '"', '\\': '\\', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
    if (next !== undefined && simple[next] !== undefined) {
      this.pos += 2;
      return simple[next];
    }
    const width = next === 'u' ? 4 : next === 'U' ? 8 : 0;
    const hex = this.text.slice(this.pos + 2, this.pos + 2 + width);
    if (width === 0 || !new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) this.fail('invalid escape in string');
    const code = parseInt(hex, 16);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) this.fail('invalid Unicode escape');
    this.pos += 2 + width;
    return String.fromCodePoint(code);
  }
}

/** Parses the mcpd TOML subset; throws an `invalidInput` AssayError naming `file:line:col`. */
export function parseTomlSubset(text: string, file: string): TomlTable {
  return new TomlParser(text, file).parse();
}
