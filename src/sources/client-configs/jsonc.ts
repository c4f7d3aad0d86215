import { AssayError } from '../../core/errors.js';

/**
 * A small JSONC reader (JSON with `//` and block comments and trailing commas, as VS Code and Cursor
 * write their settings). Bounded: nesting deeper than `maxDepth` is refused instead of recursing, and
 * every error names the file and line:col so a user can find the mistake in their own config.
 */
export interface JsoncOptions {
  file: string;
  maxDepth?: number;
}

export const DEFAULT_MAX_DEPTH = 64;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** 1-based line and column of an offset, for error messages. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class Parser {
  private pos = 0;
  private readonly maxDepth: number;

  constructor(
    private readonly text: string,
    private readonly file: string,
    maxDepth: number,
  ) {
    this.maxDepth = maxDepth;
  }

  fail(message: string, at = this.pos): never {
    const { line, column } = positionOf(this.text, at);
    throw new AssayError('invalidInput', `${this.file}:${line}:${column}: ${message}`);
  }

  parseDocument(): JsonValue {
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.skip();
    const value = this.value(0);
    this.skip();
    if (this.pos < this.text.length) this.fail('unexpected text after the end of the document');
    return value;
  }

  private skip(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const ch = t[this.pos];
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
        this.pos++;
      } else if (ch === '/' && t[this.pos + 1] === '/') {
        const end = t.indexOf('\n', this.pos);
        this.pos = end < 0 ? t.length : end + 1;
      } else if (ch === '/' && t[this.pos + 1] === '*') {
        const end = t.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('unterminated /* comment');
        this.pos = end + 2;
      } else {
        return;
      }
    }
  }

  private value(depth: number): JsonValue {
    const ch = this.text[this.pos];
    if (ch === '{') return this.object(depth + 1);
    if (ch === '[') return this.array(depth + 1);
    if (ch === '"') return this.string();
    if (ch === undefined) this.fail('unexpected end of file');
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    return this.number();
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) this.fail(`nested deeper than ${this.maxDepth} levels`);
    this.pos++;
    this.skip();
  }

  private object(depth: number): JsonValue {
    this.enter(depth);
    // A null prototype so a key named __proto__ is an ordinary key, never a prototype change.
    const out = Object.create(null) as { [key: string]: JsonValue };
    while (this.text[this.pos] !== '}') {
      if (this.text[this.pos] !== '"') this.fail('expected a "quoted" property name or }');
      const key = this.string();
      this.skip();
      if (this.text[this.pos] !== ':') this.fail('expected : after the property name');
      this.pos++;
      this.skip();
      out[key] = this.value(depth);
      this.skip();
      if (this.text[this.pos] === ',') {
        this.pos++;
        this.skip();
      } else if (this.text[this.pos] !== '}') {
        this.fail('expected , or } in object');
      }
    }
    this.pos++;
    return out;
  }

  private array(depth: number): JsonValue {
    this.enter(depth);
    const out: JsonValue[] = [];
    while (this.text[this.pos] !== ']') {
      out.push(this.value(depth));
      this.skip();
      if (this.text[this.pos] === ',') {
        this.pos++;
        this.skip();
      } else if (this.text[this.pos] !== ']') {
        this.fail('expected , or ] in array');
      }
    }
    this.pos++;
    return out;
  }

  private string(): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    const t = this.text;
    for (;;) {
      const ch = t[this.pos];
      if (ch === undefined || ch === '\n') this.fail('unterminated string', start);
      if (ch === '"') break;
      if (ch === '\\') {
        out += this.escape();
        continue;
      }
      if (ch.charCodeAt(0) < 0x20) this.fail('control character in string');
      out += ch;
      this.pos++;
    }
    this.pos++;
    return out;
  }

  private escape(): string {
    const next = this.text[this.pos + 1];
    const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
    if (next !== undefined && simple[next] !== undefined) {
      this.pos += 2;
      return simple[next];
    }
    if (next === 'u') {
      const hex = this.text.slice(this.pos + 2, this.pos + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape');
      this.pos += 6;
      return String.fromCharCode(parseInt(hex, 16));
    }
    return this.fail('invalid escape in string');
  }

  private number(): number {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 64));
    if (!match) this.fail(`unexpected character ${JSON.stringify(this.text[this.pos])}`);
    this.pos += match[0].length;
    return Number(match[0]);
  }
}

/** Parses JSONC text; throws an `invalidInput` AssayError naming `file:line:col` on malformed input. */
export function parseJsonc(text: string, options: JsoncOptions): JsonValue {
  return new Parser(text, options.file, options.maxDepth ?? DEFAULT_MAX_DEPTH).parseDocument();
}
