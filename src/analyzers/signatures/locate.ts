/** Turns engine offsets into what a person reads: line and column for text, offset for binaries; printable evidence. */
import type { FileType } from '../../core/workspace.js';

/** Types whose bytes are not lines of text: their hits are located by offset. */
const BINARY_TYPES: ReadonlySet<FileType> = new Set(['elf', 'pe', 'macho', 'wasm', 'archive', 'image', 'binary']);

/** Matched bytes shown as evidence before the finding's own truncation. */
export const EVIDENCE_BYTES = 120;

export function isBinaryType(type: FileType): boolean {
  return BINARY_TYPES.has(type);
}

export interface Position {
  line: number;
  column: number;
}

/**
 * 1-based line and column (in characters) of a byte offset in UTF-8 text. A binary file has no lines:
 * line 1, column offset + 1.
 */
export function locateOffset(data: Buffer, offset: number, binary: boolean): Position {
  const at = Math.max(0, Math.min(offset, data.length));
  if (binary) return { line: 1, column: at + 1 };
  let line = 1;
  let lineStart = 0;
  let from = 0;
  for (;;) {
    const nl = data.indexOf(0x0a, from);
    if (nl < 0 || nl >= at) break;
    line += 1;
    lineStart = nl + 1;
    from = nl + 1;
  }
  // Count characters, not bytes: continuation bytes (10xxxxxx) do not start a character.
  let column = 1;
  for (let i = lineStart; i < at; i += 1) if (((data[i] ?? 0) & 0xc0) !== 0x80) column += 1;
  return { line, column };
}

/** Printable ASCII as is, anything else as `\xNN`; capped, with a mark when cut. */
export function printableBytes(data: Buffer, max = EVIDENCE_BYTES): string {
  let out = '';
  const end = Math.min(data.length, max);
  for (let i = 0; i < end; i += 1) {
    const b = data[i] ?? 0;
    out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : b === 0x5c ? '\\\\' : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return data.length > max ? `${out}…` : out;
}
