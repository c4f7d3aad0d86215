import { closeSync, constants, fchmodSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { addAbortSignal, pipeline, Readable } from 'node:stream';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { AssayError } from '../core/errors.js';
import type { RuleMeta } from '../core/finding.js';
import type { WorkspaceLimits } from '../core/limits.js';
import type { WorkspaceFile } from '../core/workspace.js';
import { detectFileType, SNIFF_BYTES } from './file-type.js';
import {
  DUPLICATE_RULE,
  fileCountLimitEvent,
  fileTooLargeEvent,
  FindingCollector,
  INVALID_NAME_RULE,
  LINK_RULE,
  NONSTANDARD_LAYOUT_RULE,
  PATH_TRAVERSAL_RULE,
  SPECIAL_RULE,
  unpackedSizeLimitEvent,
} from './rules.js';

export const MAX_ENTRY_PATH_BYTES = 4096;
export const MAX_ENTRY_COMPONENT_BYTES = 255;
const TAR_BLOCK = 512;
const GUNZIP_CHUNK = 64 * 1024;
/**
 * Files are written synchronously, and a plain tar fed from memory never waits on I/O: give timers,
 * aborts and other jobs a turn at least this often.
 */
const MAX_BUSY_MS = 20;
/** After the end-of-archive blocks, read at most this much more (record padding) so gzip can check its CRC. */
const MAX_TRAILING_BYTES = 1024 * 1024;
const FILE_MODE = 0o444;

export type PathCheck =
  | { ok: true; parts: string[] }
  | { ok: false; rule: 'traversal' | 'invalid'; reason: string };

/**
 * Validates an archive entry name. Refuses anything that could land outside the destination on any
 * platform (absolute, drive letters, `..`, backslashes, NUL) and names no file system would accept.
 * Returns the path split into components, with empty and `.` components dropped.
 */
export function checkEntryPath(raw: string): PathCheck {
  if (raw.includes('\0')) return { ok: false, rule: 'traversal', reason: 'contains a NUL byte' };
  if (Buffer.byteLength(raw) > MAX_ENTRY_PATH_BYTES) {
    return { ok: false, rule: 'invalid', reason: `is longer than ${MAX_ENTRY_PATH_BYTES} bytes` };
  }
  if (raw.includes('\\')) return { ok: false, rule: 'traversal', reason: 'contains a backslash' };
  if (raw.startsWith('/')) return { ok: false, rule: 'traversal', reason: 'is an absolute path' };
  if (/^[A-Za-z]:/.test(raw)) return { ok: false, rule: 'traversal', reason: 'starts with a drive letter' };
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return { ok: false, rule: 'traversal', reason: 'has a `..` component' };
  if (parts.some((part) => Buffer.byteLength(part) > MAX_ENTRY_COMPONENT_BYTES)) {
    return { ok: false, rule: 'invalid', reason: `has a component longer than ${MAX_ENTRY_COMPONENT_BYTES} bytes` };
  }
  return { ok: true, parts };
}

export type ArchiveFormat = 'gzip' | 'tar';

function tarChecksumValid(block: Uint8Array): boolean {
  const field = Buffer.from(block.subarray(148, 156)).toString('latin1');
  const stored = Number.parseInt(field.replace(/[\0 ]/g, ''), 8);
  if (!Number.isSafeInteger(stored)) return false;
  let sum = 8 * 0x20;
  for (let i = 0; i < TAR_BLOCK; i++) if (i < 148 || i >= 156) sum += block[i] ?? 0;
  return sum === stored;
}

/** gzip by its magic; plain tar by `ustar`, a valid first-header checksum, or an all-zero (empty) first block. */
export function detectArchiveFormat(head: Uint8Array): ArchiveFormat | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length < TAR_BLOCK) return undefined;
  const block = head.subarray(0, TAR_BLOCK);
  if (Buffer.from(block.subarray(257, 262)).toString('latin1') === 'ustar') return 'tar';
  if (block.every((byte) => byte === 0)) return 'tar';
  return tarChecksumValid(block) ? 'tar' : undefined;
}

export function corruptArchive(reason: string, cause?: unknown): AssayError {
  return new AssayError('invalidInput', `archive is truncated or corrupt: ${reason}`, { cause });
}

export interface ExtractOptions {
  limits: WorkspaceLimits;
  signal: AbortSignal;
}

export interface ExtractResult {
  /** The directory to use as the workspace root: `dest`, or `dest/<top>` when one top-level folder was stripped. */
  root: string;
  files: WorkspaceFile[];
  totalBytes: number;
  findings: ReturnType<FindingCollector['findings']>;
  incomplete: boolean;
  /** Directories created under `dest`, relative, so they can be made read-only. */
  directories: string[];
  /** Entries seen but not written (links, devices, hostile names, conflicts). */
  refused: number;
  /** Bytes fed to the tar parser after decompression. */
  unpackedBytes: number;
}

interface FileRecord {
  size: number;
  type: WorkspaceFile['type'];
  omitted: boolean;
}

/** One file being written by a sink. */
export interface SinkFile {
  write(chunk: Buffer): void;
  /** The body is whole: keep it (read-only). */
  finish(): void;
  /** Drop what was written. */
  discard(): void;
}

/**
 * Where accepted entries go: a directory (the default) or memory. Paths are archive paths already checked by
 * `checkEntryPath`, as components. A method may throw a file-system error with a `code` (a name that collides or
 * is too long), which refuses the one entry; any other error stops the extraction.
 */
export interface ExtractSink {
  makeDir(parts: readonly string[]): void;
  /** Called before any byte of the body arrives, with the size its header declares. */
  createFile(parts: readonly string[], size: number): SinkFile;
  /** Removes a kept file (a later entry of the same name replaces it). */
  removeFile(parts: readonly string[]): void;
}

/** The file entry being written (or drained, when over the single-file cap). */
interface CurrentFile {
  path: string;
  parts: string[];
  out: SinkFile | undefined;
  size: number;
  received: number;
  head: Buffer[];
  headBytes: number;
}

function writeAll(fd: number, chunk: Buffer): void {
  let offset = 0;
  while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
}

/**
 * Writes below `dest`, synchronously inside the parser's events, so the state on disk always matches what has been
 * parsed. Only regular files and directories are created; every path component is one this sink made itself.
 */
export function directorySink(dest: string): ExtractSink {
  return {
    makeDir(parts) {
      mkdirSync(path.join(dest, ...parts), { mode: 0o700 });
    },
    createFile(parts) {
      const abs = path.join(dest, ...parts);
      const fd = openSync(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      let open = true;
      return {
        write: (chunk) => writeAll(fd, chunk),
        finish: () => {
          fchmodSync(fd, FILE_MODE);
          open = false;
          closeSync(fd);
        },
        discard: () => {
          try {
            if (open) closeSync(fd);
          } finally {
            open = false;
            unlinkSync(abs);
          }
        },
      };
    },
    removeFile(parts) {
      unlinkSync(path.join(dest, ...parts));
    },
  };
}

function isZlibError(error: unknown): error is Error {
  if (!(error instanceof Error) || !('code' in error)) return false;
  return typeof error.code === 'string' && error.code.startsWith('Z_');
}

/**
 * Hands the accepted entries of one archive to a sink, synchronously inside the parser's events, so a cap can
 * stop between any two chunks and what the sink holds always matches what has been parsed.
 */
class Extractor {
  readonly findings = new FindingCollector();
  readonly files = new Map<string, FileRecord>();
  readonly dirs = new Set<string>();
  refused = 0;
  stopped: 'files' | undefined;
  sawEof = false;
  failure: unknown;
  #current: CurrentFile | undefined;

  constructor(
    private readonly sink: ExtractSink,
    private readonly limits: WorkspaceLimits,
  ) {}

  onEntry(entry: ReadEntry): void {
    try {
      if (this.failure !== undefined || this.stopped !== undefined) {
        entry.resume();
        return;
      }
      this.#handle(entry);
    } catch (error) {
      this.failure ??= error;
      this.#discardCurrent();
      entry.resume();
    }
  }

  onIgnored(entry: ReadEntry): void {
    if (this.stopped !== undefined) return;
    this.refused += 1;
    const what = entry.meta ? 'an extended header over the metadata size cap' : `an entry of unsupported type ${entry.type}`;
    this.findings.add({
      rule: SPECIAL_RULE,
      file: entry.path,
      evidence: `${entry.type} ${entry.path}`,
      message: `${what} was not extracted.`,
    });
  }

  onWarn(code: string, message: string, cause?: unknown): void {
    // An empty archive (just the end-of-archive blocks) is legal; tar reports it as unrecognised.
    if (code === 'TAR_BAD_ARCHIVE' && this.sawEof && /^Unrecognized archive format/.test(message)) return;
    this.failure ??= corruptArchive(message, cause);
  }

  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** A cap stopped the stream inside an entry: drop the partial file, but list an oversized one (its size is known). */
  finishCut(): void {
    const current = this.#current;
    if (current === undefined) return;
    // Cut inside the block padding: the body is whole.
    if (current.received === current.size) {
      this.#endFile(current);
      return;
    }
    if (current.out === undefined) this.#record(current, true);
    this.#discardCurrent();
  }

  #handle(entry: ReadEntry): void {
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) {
      throw corruptArchive(`entry ${JSON.stringify(entry.path.slice(0, 200))} has an invalid size`);
    }
    const check = checkEntryPath(entry.path);
    if (!check.ok) {
      this.#refuse(entry, check.rule === 'traversal' ? PATH_TRAVERSAL_RULE : INVALID_NAME_RULE, `entry name ${check.reason}; it was skipped.`);
      return;
    }
    switch (entry.type) {
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        this.#file(entry, check.parts);
        return;
      case 'Directory':
      case 'GNUDumpDir':
        if (check.parts.length > 0) this.#ensureDir(entry, check.parts);
        entry.resume();
        return;
      case 'SymbolicLink':
      case 'Link':
        this.#refuse(
          entry,
          LINK_RULE,
          `${entry.type === 'Link' ? 'hard' : 'symbolic'} link to ${JSON.stringify(entry.linkpath ?? '')} was not created.`,
          `${entry.path} ${entry.type === 'Link' ? '=>' : '->'} ${entry.linkpath ?? ''}`,
        );
        return;
      default:
        this.#refuse(entry, SPECIAL_RULE, `${entry.type} entry was not created.`, `${entry.type} ${entry.path}`);
    }
  }

  #refuse(entry: ReadEntry, rule: RuleMeta, message: string, evidence: string = entry.path): void {
    this.refused += 1;
    this.findings.add({ rule, file: entry.path, evidence, message: `${JSON.stringify(entry.path.slice(0, 200))}: ${message}` });
    entry.resume();
  }

  #conflict(entry: ReadEntry, relative: string, message: string): void {
    this.refused += 1;
    this.findings.add({ rule: DUPLICATE_RULE, file: relative, inWorkspace: true, evidence: entry.path, message });
    entry.resume();
  }

  /** Creates missing directories for `parts`; false (and a finding) when a file already holds one of the names. */
  #ensureDir(entry: ReadEntry, parts: string[]): boolean {
    for (let i = 1; i <= parts.length; i++) {
      const relative = parts.slice(0, i).join('/');
      if (this.dirs.has(relative)) continue;
      if (this.files.has(relative)) {
        this.#conflict(entry, relative, `${relative} is a file earlier in the archive and a directory here; the later entry was skipped.`);
        return false;
      }
      try {
        this.sink.makeDir(parts.slice(0, i));
      } catch (error) {
        if (!this.#refusedByFileSystem(entry, relative, error)) throw error;
        return false;
      }
      this.dirs.add(relative);
    }
    return true;
  }

  /**
   * Names that differ only in case or Unicode normalisation collide on some file systems, and a long
   * name can overflow PATH_MAX once under the temp dir: the entry is refused, extraction goes on.
   */
  #refusedByFileSystem(entry: ReadEntry, relative: string, error: unknown): boolean {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ELOOP') {
      this.#conflict(entry, relative, `${relative} collides with another entry on this file system (${code}); the later entry was skipped.`);
      return true;
    }
    if (code === 'ENAMETOOLONG') {
      this.#refuse(entry, INVALID_NAME_RULE, 'entry name is too long for the file system; it was skipped.');
      return true;
    }
    return false;
  }

  #file(entry: ReadEntry, parts: string[]): void {
    const relative = parts.join('/');
    if (parts.length === 0) {
      this.#refuse(entry, INVALID_NAME_RULE, 'file entry has an empty name; it was skipped.');
      return;
    }
    if (this.dirs.has(relative)) {
      this.#conflict(entry, relative, `${relative} is a directory earlier in the archive and a file here; the later entry was skipped.`);
      return;
    }
    const existing = this.files.get(relative);
    if (existing === undefined && this.files.size >= this.limits.maxFiles) {
      this.stopped = 'files';
      this.findings.add(fileCountLimitEvent(this.limits.maxFiles));
      entry.resume();
      return;
    }
    if (!this.#ensureDir(entry, parts.slice(0, -1))) return;
    if (existing !== undefined) {
      // Last entry wins, as npm does; the earlier copy is what a reviewer of the listing may have seen.
      this.findings.add({
        rule: DUPLICATE_RULE,
        file: relative,
        inWorkspace: true,
        evidence: entry.path,
        message: `${relative} appears more than once in the archive; the last copy was kept.`,
      });
      if (!existing.omitted) this.sink.removeFile(parts);
      this.files.delete(relative);
    }
    let out: SinkFile | undefined;
    if (entry.size <= this.limits.maxFileBytes) {
      try {
        out = this.sink.createFile(parts, entry.size);
      } catch (error) {
        if (!this.#refusedByFileSystem(entry, relative, error)) throw error;
        return;
      }
    }
    const current: CurrentFile = { path: relative, parts, out, size: entry.size, received: 0, head: [], headBytes: 0 };
    this.#current = current;
    entry.on('end', () => this.#guard(() => this.#endFile(current)));
    entry.on('data', (chunk: Buffer) => this.#guard(() => this.#data(current, chunk)));
  }

  #guard(step: () => void): void {
    try {
      step();
    } catch (error) {
      this.failure ??= error;
      this.#discardCurrent();
    }
  }

  #data(current: CurrentFile, chunk: Buffer): void {
    if (this.#current !== current) return;
    current.received += chunk.length;
    if (current.headBytes < SNIFF_BYTES) {
      const part = chunk.subarray(0, SNIFF_BYTES - current.headBytes);
      current.head.push(Buffer.from(part));
      current.headBytes += part.length;
    }
    current.out?.write(chunk);
  }

  #endFile(current: CurrentFile): void {
    if (this.#current !== current) return;
    if (current.received !== current.size) {
      // Truncated body: the parser reports the archive as corrupt; never keep half a file.
      this.#discardCurrent();
      return;
    }
    current.out?.finish();
    this.#record(current, current.out === undefined);
    this.#current = undefined;
  }

  #record(current: CurrentFile, omitted: boolean): void {
    const type = detectFileType(current.path, Buffer.concat(current.head));
    this.files.set(current.path, { size: current.size, type, omitted });
    if (omitted) this.findings.add({ ...fileTooLargeEvent(current.path, current.size, this.limits.maxFileBytes), inWorkspace: true });
  }

  #discardCurrent(): void {
    const current = this.#current;
    this.#current = undefined;
    current?.out?.discard();
  }
}

/** The one folder every accepted entry sits in (npm's `package/`, GitHub's `repo-sha/`), if there is one. */
function sharedTopFolder(files: Iterable<string>, dirs: Iterable<string>): string | undefined {
  let top: string | undefined;
  for (const file of files) {
    const slash = file.indexOf('/');
    if (slash === -1) return undefined;
    const first = file.slice(0, slash);
    if (top !== undefined && first !== top) return undefined;
    top = first;
  }
  if (top === undefined) return undefined;
  for (const dir of dirs) {
    if (dir !== top && !dir.startsWith(`${top}/`)) return undefined;
  }
  return top;
}

async function readHead(iterator: AsyncIterator<Uint8Array>, want: number): Promise<{ head: Buffer; done: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < want) {
    const next = await iterator.next();
    if (next.done === true) return { head: Buffer.concat(chunks), done: true };
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    chunks.push(chunk);
    length += chunk.length;
  }
  return { head: Buffer.concat(chunks), done: false };
}

async function* prepend(head: Buffer, iterator: AsyncIterator<Uint8Array>, done: boolean): AsyncGenerator<Buffer> {
  try {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    }
  } finally {
    if (!done) await iterator.return?.();
  }
}

async function* gunzip(compressed: AsyncGenerator<Buffer>, signal: AbortSignal): AsyncGenerator<Buffer> {
  const inflater = createGunzip({ chunkSize: GUNZIP_CHUNK });
  // Errors reach the consumer through the iteration of `inflater`; the callback only keeps them handled.
  pipeline(Readable.from(compressed, { objectMode: false }), addAbortSignal(signal, inflater), () => undefined);
  for await (const chunk of inflater) yield chunk as Buffer;
}

/**
 * Tar from inside gzip starts with an entry name; gzip magic there means a second layer of compression,
 * which the tar parser would unpack on its own, outside our byte count.
 */
async function* refuseNestedCompression(stream: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let checked = false;
  for await (const chunk of stream) {
    if (!checked && chunk.length > 0) {
      checked = true;
      if (chunk[0] === 0x1f && chunk[1] === 0x8b) {
        throw corruptArchive('not a tar archive inside the compression (compressed twice?)');
      }
    }
    yield chunk;
  }
}

/** The decompressed tar byte stream, or undefined when the source is empty. */
async function openTarStream(source: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<AsyncGenerator<Buffer> | undefined> {
  const iterator = source[Symbol.asyncIterator]();
  const { head, done } = await readHead(iterator, TAR_BLOCK);
  if (head.length === 0) return undefined;
  const format = detectArchiveFormat(head);
  if (format === undefined) {
    if (!done) await iterator.return?.();
    throw corruptArchive('not a gzip or tar archive');
  }
  const raw = prepend(head, iterator, done);
  return format === 'gzip' ? refuseNestedCompression(gunzip(raw, signal)) : raw;
}

function makeParser(extractor: Extractor): Parser {
  // Decompression is ours (so every byte is counted); never let the parser sniff and unpack a format itself.
  const parser = new Parser({ strict: false, zstd: false, brotli: false });
  parser.on('entry', (entry: ReadEntry) => extractor.onEntry(entry));
  parser.on('ignoredEntry', (entry: ReadEntry) => extractor.onIgnored(entry));
  parser.on('warn', (code: string, message: string, data: unknown) => extractor.onWarn(code, message, data));
  parser.on('error', (error: Error) => extractor.onWarn('TAR_ABORT', error.message, error));
  parser.on('eof', () => {
    extractor.sawEof = true;
  });
  return parser;
}

function splitAt(chunk: Buffer, room: number): Buffer {
  return chunk.length > room ? chunk.subarray(0, room) : chunk;
}

/**
 * Extracts a gzip or plain tar stream into `dest` (an empty private directory), applying the hostile-input
 * rules and caps. Throws AssayError('invalidInput') on a corrupt or truncated archive; the caller owns
 * `dest` and removes it on any error.
 */
export async function extractArchive(
  source: AsyncIterable<Uint8Array>,
  dest: string,
  options: ExtractOptions,
): Promise<ExtractResult> {
  const listing = await extractToSink(source, directorySink(dest), options);
  const top = listing.top;
  return { ...listing.result, root: top === undefined ? dest : path.join(dest, top) };
}

/** What extracting into any sink produced; `top` is the shared top-level folder that was stripped, if any. */
export interface SinkExtraction {
  result: Omit<ExtractResult, 'root'>;
  top: string | undefined;
}

/**
 * Extracts a gzip or plain tar stream into a sink, applying the hostile-input rules and caps. Throws
 * AssayError('invalidInput') on a corrupt or truncated archive; the caller owns what the sink holds.
 */
export async function extractToSink(source: AsyncIterable<Uint8Array>, sink: ExtractSink, options: ExtractOptions): Promise<SinkExtraction> {
  const { limits, signal } = options;
  signal.throwIfAborted();
  const extractor = new Extractor(sink, limits);
  let unpacked = 0;
  let cutBySize = false;
  const stream = await openTarStream(source, signal);
  if (stream !== undefined) {
    const parser = makeParser(extractor);
    let ended = true;
    let eofAt = -1;
    let busySince = performance.now();
    try {
      for await (const chunk of stream) {
        signal.throwIfAborted();
        const piece = splitAt(chunk, limits.maxUnpackedBytes - unpacked);
        unpacked += piece.length;
        // After the end-of-archive blocks the rest is only read to let gzip check its length and CRC.
        if (piece.length > 0 && !extractor.sawEof) parser.write(piece);
        extractor.throwIfFailed();
        if (extractor.stopped !== undefined) break;
        if (extractor.sawEof && eofAt < 0) eofAt = unpacked;
        // Junk after the end of the archive is not part of it: stop reading rather than inflate a bomb.
        if (eofAt >= 0 && unpacked - eofAt > MAX_TRAILING_BYTES) break;
        if (piece.length < chunk.length) {
          cutBySize = !extractor.sawEof;
          break;
        }
        if (performance.now() - busySince > MAX_BUSY_MS) {
          await yieldToEventLoop();
          busySince = performance.now();
        }
      }
      ended = extractor.stopped === undefined && !cutBySize && !extractor.sawEof;
    } catch (error) {
      if (signal.aborted) throw signal.reason ?? error;
      if (isZlibError(error)) throw corruptArchive(error.message, error);
      throw error;
    }
    if (ended) parser.end();
    extractor.throwIfFailed();
    if (cutBySize) extractor.findings.add(unpackedSizeLimitEvent(limits.maxUnpackedBytes));
    extractor.finishCut();
    extractor.throwIfFailed();
  }
  return summarise(extractor, unpacked, cutBySize || extractor.stopped !== undefined);
}

function summarise(extractor: Extractor, unpacked: number, incomplete: boolean): SinkExtraction {
  const top = sharedTopFolder(extractor.files.keys(), extractor.dirs);
  const strip = (file: string): string => (top !== undefined && file.startsWith(`${top}/`) ? file.slice(top.length + 1) : file);
  if (top === undefined && extractor.files.size > 0) {
    extractor.findings.add({
      rule: NONSTANDARD_LAYOUT_RULE,
      message: 'Entries do not share one top-level folder; paths were kept as they are in the archive.',
    });
  }
  const files: WorkspaceFile[] = [];
  let totalBytes = 0;
  for (const [file, record] of extractor.files) {
    const listed: WorkspaceFile = { path: strip(file), size: record.size, type: record.type };
    if (record.omitted) listed.omitted = true;
    else totalBytes += record.size;
    files.push(listed);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    top,
    result: {
      files,
      totalBytes,
      findings: extractor.findings.findings(strip),
      incomplete,
      directories: [...extractor.dirs],
      refused: extractor.refused,
      unpackedBytes: unpacked,
    },
  };
}
