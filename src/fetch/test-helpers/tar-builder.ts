/**
 * Builds tar and tar.gz archives byte by byte for tests, so hostile entries can be crafted freely:
 * any type flag, any path (absolute, `..`, backslashes), link targets, lying sizes, PAX records. The
 * streaming writer makes archives of any size without holding them in memory.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';

export const BLOCK = 512;

/** Type flags as written in the header (any other single character may be passed as well). */
export const TYPE = {
  file: '0',
  hardLink: '1',
  symlink: '2',
  charDevice: '3',
  blockDevice: '4',
  directory: '5',
  fifo: '6',
  contiguous: '7',
  paxHeader: 'x',
  gnuLongName: 'L',
  sparse: 'S',
} as const;

export interface TarEntry {
  /** Written as given; names over 100 bytes get a PAX `path` record automatically. */
  path: string;
  /** One type-flag character; `0` (regular file) by default, `5` when the path ends with `/`. */
  type?: string;
  body?: Buffer | string;
  /** Size in the header; defaults to the body length. Lie here to craft a truncated or corrupt archive. */
  size?: number;
  linkpath?: string;
  mode?: number;
  /** Extra PAX records, written in an `x` header before the entry. */
  pax?: Record<string, string>;
}

export interface StreamEntry extends TarEntry {
  /** A body of this many zero bytes, generated in chunks instead of `body`. */
  zeros?: number;
}

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  Buffer.from(value, 'utf8').copy(block, offset, 0, length);
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new Error(`value ${value} does not fit a ${length}-byte octal field`);
  block.write(`${digits.padStart(length - 1, '0')}\0`, offset, length, 'latin1');
}

export interface HeaderFields {
  path: string;
  type: string;
  size: number;
  linkpath?: string | undefined;
  mode?: number | undefined;
}

/** One 512-byte ustar header with a correct checksum. */
export function tarHeader(fields: HeaderFields): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeString(block, 0, 100, fields.path);
  writeOctal(block, 100, 8, fields.mode ?? (fields.type === TYPE.directory ? 0o755 : 0o644));
  writeOctal(block, 108, 8, 1000);
  writeOctal(block, 116, 8, 1000);
  writeOctal(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, 1_700_000_000);
  block.write(fields.type.slice(0, 1), 156, 1, 'latin1');
  writeString(block, 157, 100, fields.linkpath ?? '');
  block.write('ustar\u000000', 257, 8, 'latin1');
  writeString(block, 265, 32, 'user');
  writeString(block, 297, 32, 'user');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return block;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

function typeOf(entry: TarEntry): string {
  return entry.type ?? (entry.path.endsWith('/') ? TYPE.directory : TYPE.file);
}

/** The header blocks of an entry (a PAX header first when needed), without the body. */
export function entryHeaders(entry: TarEntry, bodyLength: number): Buffer[] {
  const records: Record<string, string> = { ...entry.pax };
  if (Buffer.byteLength(entry.path) > 100 && records.path === undefined) records.path = entry.path;
  if (entry.linkpath !== undefined && Buffer.byteLength(entry.linkpath) > 100 && records.linkpath === undefined) {
    records.linkpath = entry.linkpath;
  }
  const blocks: Buffer[] = [];
  const paxText = Object.entries(records).map(([key, value]) => paxRecord(key, value)).join('');
  if (paxText.length > 0) {
    const paxBody = Buffer.from(paxText, 'utf8');
    blocks.push(tarHeader({ path: 'PaxHeader/entry', type: TYPE.paxHeader, size: paxBody.length }), paxBody, padding(paxBody.length));
  }
  blocks.push(tarHeader({ path: entry.path, type: typeOf(entry), size: entry.size ?? bodyLength, linkpath: entry.linkpath, mode: entry.mode }));
  return blocks;
}

/** Header(s), body and padding of one entry. */
export function encodeEntry(entry: TarEntry): Buffer {
  const body = typeof entry.body === 'string' ? Buffer.from(entry.body, 'utf8') : (entry.body ?? Buffer.alloc(0));
  return Buffer.concat([...entryHeaders(entry, body.length), body, padding(body.length)]);
}

/** The two zero blocks that end an archive. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}

export interface BuildOptions {
  /** Write the end-of-archive blocks (default true). */
  end?: boolean;
}

export function buildTar(entries: readonly TarEntry[], options: BuildOptions = {}): Buffer {
  const parts = entries.map(encodeEntry);
  if (options.end !== false) parts.push(endOfArchive());
  return Buffer.concat(parts);
}

export function buildTgz(entries: readonly TarEntry[], options: BuildOptions & { level?: number } = {}): Buffer {
  return gzipSync(buildTar(entries, options), { level: options.level ?? 9 });
}

const MiB = 1024 * 1024;
/** Shared, so the gzip writer can compress it once and repeat the compressed member. */
const ZERO_MIB = Buffer.alloc(MiB);

async function* tarChunks(entries: Iterable<StreamEntry> | AsyncIterable<StreamEntry>): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    if (entry.zeros === undefined) {
      yield encodeEntry(entry);
      continue;
    }
    yield* entryHeaders(entry, entry.zeros);
    let left = entry.zeros;
    for (; left >= MiB; left -= MiB) yield ZERO_MIB;
    if (left > 0) yield ZERO_MIB.subarray(0, left);
    yield padding(entry.zeros);
  }
  yield endOfArchive();
}

/**
 * Each batch becomes its own gzip member (a valid multi-member gzip stream, as `cat a.gz b.gz` makes).
 * A repeated zero megabyte is compressed once at the given level and its member written again, so a
 * gigabyte-sized bomb costs milliseconds to write.
 */
async function* gzipMembers(chunks: AsyncIterable<Buffer>, level: number): AsyncGenerator<Buffer> {
  let zeroMember: Buffer | undefined;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = (): Buffer | undefined => {
    if (pendingBytes === 0) return undefined;
    const member = gzipSync(Buffer.concat(pending), { level });
    pending = [];
    pendingBytes = 0;
    return member;
  };
  for await (const chunk of chunks) {
    if (chunk === ZERO_MIB) {
      const flushed = flush();
      if (flushed !== undefined) yield flushed;
      zeroMember ??= gzipSync(ZERO_MIB, { level });
      yield zeroMember;
      continue;
    }
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= MiB) yield flush() as Buffer;
  }
  const last = flush();
  if (last !== undefined) yield last;
}

export interface WriteArchiveOptions {
  /** A gzip level (1-9) to write .tgz, or false for a plain tar. */
  gzip?: number | false;
}

/** Streams an archive to `file`; entries may be a generator, so 100,000 entries never sit in memory. */
export async function writeArchive(
  file: string,
  entries: Iterable<StreamEntry> | AsyncIterable<StreamEntry>,
  options: WriteArchiveOptions = {},
): Promise<{ bytes: number }> {
  const out = createWriteStream(file);
  const level = options.gzip ?? 9;
  const chunks = level === false ? tarChunks(entries) : gzipMembers(tarChunks(entries), level);
  let bytes = 0;
  try {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
    }
  } finally {
    out.end();
    await finished(out);
  }
  return { bytes };
}
