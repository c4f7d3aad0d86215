import path from 'node:path';
import type { FileType } from '../core/workspace.js';

/** How many leading bytes type detection looks at (magic bytes, then a NUL scan). */
export const SNIFF_BYTES = 8192;

function startsWith(head: Uint8Array, magic: readonly number[], offset = 0): boolean {
  if (head.length < offset + magic.length) return false;
  return magic.every((byte, i) => head[offset + i] === byte);
}

function ascii(text: string): number[] {
  return Array.from(text, (ch) => ch.charCodeAt(0));
}

function uint32LE(head: Uint8Array, offset: number): number | undefined {
  if (head.length < offset + 4) return undefined;
  return ((head[offset + 3] ?? 0) * 0x1000000) + (((head[offset + 2] ?? 0) << 16) | ((head[offset + 1] ?? 0) << 8) | (head[offset] ?? 0));
}

function uint32BE(head: Uint8Array, offset: number): number | undefined {
  if (head.length < offset + 4) return undefined;
  return ((head[offset] ?? 0) * 0x1000000) + (((head[offset + 1] ?? 0) << 16) | ((head[offset + 2] ?? 0) << 8) | (head[offset + 3] ?? 0));
}

const ELF = [0x7f, 0x45, 0x4c, 0x46];
const MZ = [0x4d, 0x5a];
const PE_SIGNATURE = [0x50, 0x45, 0, 0];
const MACHO_THIN = [
  [0xfe, 0xed, 0xfa, 0xce],
  [0xce, 0xfa, 0xed, 0xfe],
  [0xfe, 0xed, 0xfa, 0xcf],
  [0xcf, 0xfa, 0xed, 0xfe],
] as const;
const FAT_MAGIC = [0xca, 0xfe, 0xba, 0xbe];
const FAT_MAGIC_64 = [0xca, 0xfe, 0xba, 0xbf];
/** Real universal binaries hold a handful of slices; a Java class has its version (>= 45) in this word. */
const MAX_FAT_ARCHS = 20;
const WASM = [0x00, 0x61, 0x73, 0x6d];

const ARCHIVE_MAGIC: readonly (readonly number[])[] = [
  [0x1f, 0x8b], // gzip
  [0x50, 0x4b, 0x03, 0x04], // zip
  [0x50, 0x4b, 0x05, 0x06], // empty zip
  [0x50, 0x4b, 0x07, 0x08], // spanned zip
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], // xz
  [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], // 7z
  [0x28, 0xb5, 0x2f, 0xfd], // zstd
];

const IMAGE_MAGIC: readonly (readonly number[])[] = [
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], // png
  [0xff, 0xd8, 0xff], // jpeg
  ascii('GIF87a'),
  ascii('GIF89a'),
];

/** A PE header where e_lfanew points, when it lies inside the sniffed bytes. */
export function hasPeHeader(head: Uint8Array): boolean {
  if (!startsWith(head, MZ)) return false;
  const lfanew = uint32LE(head, 0x3c);
  return lfanew !== undefined && lfanew + 4 <= head.length && startsWith(head, PE_SIGNATURE, lfanew);
}

function isPe(head: Uint8Array): boolean {
  // A bare DOS `MZ` stub (or a PE header beyond the sniffed bytes) is still an executable to look at.
  return hasPeHeader(head) || startsWith(head, MZ);
}

function machoOrClass(head: Uint8Array): FileType | undefined {
  if (MACHO_THIN.some((magic) => startsWith(head, magic))) return 'macho';
  if (startsWith(head, FAT_MAGIC_64)) return 'macho';
  if (!startsWith(head, FAT_MAGIC)) return undefined;
  const count = uint32BE(head, 4);
  return count !== undefined && count > 0 && count <= MAX_FAT_ARCHS ? 'macho' : 'binary';
}

function isBzip2(head: Uint8Array): boolean {
  const level = head[3];
  return startsWith(head, ascii('BZh')) && level !== undefined && level >= 0x31 && level <= 0x39;
}

function isTar(head: Uint8Array): boolean {
  return startsWith(head, ascii('ustar'), 257);
}

function isImage(head: Uint8Array): boolean {
  if (IMAGE_MAGIC.some((magic) => startsWith(head, magic))) return true;
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return true;
  // ICO: reserved 0, type 1, then a non-zero image count.
  return startsWith(head, [0, 0, 1, 0]) && head.length >= 6 && ((head[4] ?? 0) | ((head[5] ?? 0) << 8)) > 0;
}

/** Type from content alone, or undefined when the bytes carry no known signature. */
export function typeFromMagic(head: Uint8Array): FileType | undefined {
  if (startsWith(head, ELF)) return 'elf';
  if (isPe(head)) return 'pe';
  const mach = machoOrClass(head);
  if (mach !== undefined) return mach;
  if (startsWith(head, WASM)) return 'wasm';
  if (ARCHIVE_MAGIC.some((magic) => startsWith(head, magic)) || isBzip2(head) || isTar(head)) return 'archive';
  if (isImage(head)) return 'image';
  return undefined;
}

const EXTENSION_TYPES: ReadonlyMap<string, FileType> = new Map<string, FileType>([
  ['.js', 'javascript'],
  ['.mjs', 'javascript'],
  ['.cjs', 'javascript'],
  ['.jsx', 'javascript'],
  ['.ts', 'typescript'],
  ['.mts', 'typescript'],
  ['.cts', 'typescript'],
  ['.tsx', 'typescript'],
  ['.json', 'json'],
  ['.yaml', 'yaml'],
  ['.yml', 'yaml'],
  ['.toml', 'toml'],
  ['.md', 'markdown'],
  ['.markdown', 'markdown'],
  ['.dockerfile', 'dockerfile'],
  ['.sh', 'shell'],
  ['.bash', 'shell'],
  ['.zsh', 'shell'],
  ['.py', 'python'],
  ['.html', 'html'],
  ['.htm', 'html'],
  ['.node', 'binary'],
]);

function typeFromName(name: string): FileType | undefined {
  const base = path.posix.basename(name).toLowerCase();
  if (base === 'dockerfile' || base === 'containerfile' || base.startsWith('dockerfile.')) return 'dockerfile';
  return EXTENSION_TYPES.get(path.posix.extname(base));
}

const SHEBANG_MAX = 200;

/** Extension-less scripts (npm `bin` entries) announce their interpreter on the first line. */
function typeFromShebang(head: Uint8Array): FileType | undefined {
  if (head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  const end = head.indexOf(0x0a);
  const line = Buffer.from(head.subarray(2, Math.min(end === -1 ? head.length : end, SHEBANG_MAX))).toString('latin1');
  const words = line.trim().split(/\s+/);
  const first = path.posix.basename(words[0] ?? '');
  const interpreter = first === 'env' ? words.find((w, i) => i > 0 && !w.startsWith('-')) ?? '' : first;
  if (/^(node|nodejs|bun|deno)$/.test(interpreter)) return 'javascript';
  if (/^(sh|bash|zsh|dash|ksh)$/.test(interpreter)) return 'shell';
  if (/^python[0-9.]{0,8}$/.test(interpreter)) return 'python';
  return undefined;
}

/**
 * Content first (a `.js` name does not make an ELF file harmless text), then a NUL byte means binary,
 * then the name, then a shebang.
 */
export function detectFileType(name: string, head: Uint8Array): FileType {
  const sniffed = head.length > SNIFF_BYTES ? head.subarray(0, SNIFF_BYTES) : head;
  const magic = typeFromMagic(sniffed);
  if (magic !== undefined) return magic;
  if (sniffed.includes(0)) return 'binary';
  return typeFromName(name) ?? typeFromShebang(sniffed) ?? 'text';
}
