/**
 * Finds where keys sit in a JSON text, so findings can point at a line. A single linear pass with an
 * explicit stack: no recursion, so deeply nested hostile input cannot overflow the call stack, and only
 * the first few levels are recorded, so memory stays bounded whatever the nesting.
 */

export interface Position {
  line: number;
  column: number;
}

export type JsonPath = readonly (string | number)[];

interface Frame {
  array: boolean;
  expectingKey: boolean;
  key: string;
  index: number;
}

const DEFAULT_MAX_DEPTH = 6;
const DEFAULT_MAX_ENTRIES = 20_000;
const MAX_KEY_CHARS = 300;

export function pathKey(path: JsonPath): string {
  return path.map(String).join('\u0000');
}

export class JsonLocations {
  constructor(private readonly positions: ReadonlyMap<string, Position>) {}

  /** Position of the deepest recorded prefix of `path` (a key's own line, else its parent's). */
  find(path: JsonPath): Position | undefined {
    for (let end = path.length; end > 0; end -= 1) {
      const hit = this.positions.get(pathKey(path.slice(0, end)));
      if (hit) return hit;
    }
    return undefined;
  }

  get size(): number {
    return this.positions.size;
  }
}

function decodeKey(raw: string): string {
  if (!raw.includes('\\')) return raw;
  try {
    const decoded: unknown = JSON.parse(`"${raw}"`);
    return typeof decoded === 'string' ? decoded : raw;
  } catch {
    return raw;
  }
}

/** Index just past the closing quote of the string opening at `start`, or text.length if unterminated. */
function skipString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch === 0x5c) i += 2;
    else if (ch === 0x22) return i + 1;
    else i += 1;
  }
  return text.length;
}

function currentPath(stack: readonly Frame[], last: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (const frame of stack) {
    if (frame === last) break;
    path.push(frame.array ? frame.index : frame.key);
  }
  return path;
}

export function locateJsonKeys(text: string, maxDepth = DEFAULT_MAX_DEPTH, maxEntries = DEFAULT_MAX_ENTRIES): JsonLocations {
  const positions = new Map<string, Position>();
  const stack: Frame[] = [];
  // Levels deeper than maxDepth are only counted, never stored.
  let hiddenDepth = 0;
  let line = 1;
  let lineStart = 0;
  let i = 0;

  const record = (path: (string | number)[], at: number): void => {
    if (positions.size >= maxEntries) return;
    positions.set(pathKey(path), { line, column: at - lineStart + 1 });
  };

  while (i < text.length) {
    const ch = text[i];
    const top = hiddenDepth === 0 ? stack[stack.length - 1] : undefined;
    if (ch === '\n') {
      line += 1;
      lineStart = i + 1;
      i += 1;
    } else if (ch === '{' || ch === '[') {
      if (stack.length >= maxDepth || hiddenDepth > 0) hiddenDepth += 1;
      else {
        if (top?.array) record([...currentPath(stack, top), top.index], i);
        stack.push({ array: ch === '[', expectingKey: ch === '{', key: '', index: 0 });
      }
      i += 1;
    } else if (ch === '}' || ch === ']') {
      if (hiddenDepth > 0) hiddenDepth -= 1;
      else stack.pop();
      i += 1;
    } else if (ch === ',') {
      if (top?.array) top.index += 1;
      else if (top) top.expectingKey = true;
      i += 1;
    } else if (ch === ':') {
      if (top && !top.array) top.expectingKey = false;
      i += 1;
    } else if (ch === '"') {
      const end = skipString(text, i);
      if (top && (top.array || top.expectingKey)) {
        const path = [...currentPath(stack, top), top.array ? top.index : decodeKey(text.slice(i + 1, Math.min(end - 1, i + 1 + MAX_KEY_CHARS)))];
        if (!top.array) top.key = String(path[path.length - 1]);
        record(path, i);
      }
      // A string may hold raw newlines in malformed input; keep the line count honest.
      for (let j = i + 1; j < end; j += 1) {
        if (text.charCodeAt(j) === 0x0a) {
          line += 1;
          lineStart = j + 1;
        }
      }
      i = end;
    } else {
      i += 1;
    }
  }
  return new JsonLocations(positions);
}
