import { createHash, randomBytes } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { constants } from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, unlink, utimes } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { AssayError, errorMessage } from '../core/errors.js';
import { formatBytes } from '../core/limits.js';
import { truncateText } from '../core/text.js';

/**
 * A content-addressed store of package tarballs, keyed by their SRI integrity. The file system is the
 * index: an entry's size is its file size and its last use is its mtime (touched on every hit), so there
 * is no database to corrupt or lock and several processes can share one cache dir.
 *
 * Layout: `<dir>/<algorithm>/<hex[0..2]>/<hex[2..4]>/<hex>`, temp files in `<dir>/tmp/`.
 */

export const DEFAULT_CACHE_MAX_BYTES = 2 * 1024 * 1024 * 1024;
/** A temp file older than this was left by a crashed writer. */
export const STALE_TEMP_MS = 60 * 60 * 1000;

export const CACHE_ALGORITHMS = ['sha512', 'sha384', 'sha256'] as const;
export type CacheAlgorithm = (typeof CACHE_ALGORITHMS)[number];

const DIGEST_BYTES: Record<CacheAlgorithm, number> = { sha512: 64, sha384: 48, sha256: 32 };
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const HEX_NAME = /^[0-9a-f]+$/;
const FAN = /^[0-9a-f]{2}$/;
const TEMP_DIR = 'tmp';
const TEMP_NAME = /^[0-9a-f]{16}-[0-9a-f]{16}\.tmp$/;
const CHUNK = 1024 * 1024;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const MAX_INTEGRITY_CHARS = 200;
const WALK_CONCURRENCY = 16;

export interface ParsedIntegrity {
  algorithm: CacheAlgorithm;
  /** The digest as lower-case hex: the entry's file name. */
  hex: string;
  /** The canonical SRI string. */
  integrity: string;
}

function badIntegrity(text: string, why: string): AssayError {
  return new AssayError('invalidInput', `not a usable integrity string (${why}): ${JSON.stringify(truncateText(text, 60))}`);
}

/**
 * Strict SRI parsing: exactly one `sha512-`, `sha384-` or `sha256-` token whose base64 decodes to a
 * digest of the right length. No options, no second hash, no whitespace: whatever passes can only
 * become a hex file name, never a path.
 */
export function parseIntegrity(text: string): ParsedIntegrity {
  if (text.length > MAX_INTEGRITY_CHARS) throw badIntegrity(text, 'too long');
  const dash = text.indexOf('-');
  if (dash < 0) throw badIntegrity(text, 'no algorithm');
  const algorithm = text.slice(0, dash);
  if (!(CACHE_ALGORITHMS as readonly string[]).includes(algorithm)) throw badIntegrity(text, 'algorithm must be sha512, sha384 or sha256');
  const encoded = text.slice(dash + 1);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) throw badIntegrity(text, 'invalid base64');
  const digest = Buffer.from(encoded, 'base64');
  const algo = algorithm as CacheAlgorithm;
  if (digest.length !== DIGEST_BYTES[algo]) throw badIntegrity(text, `a ${algo} digest is ${DIGEST_BYTES[algo]} bytes`);
  // Rejects non-canonical encodings (stray bits in the padding), so one digest has exactly one key.
  if (digest.toString('base64') !== encoded) throw badIntegrity(text, 'non-canonical base64');
  return { algorithm: algo, hex: digest.toString('hex'), integrity: text };
}

/** Like parseIntegrity, for callers that fall back to no caching. */
export function tryParseIntegrity(text: string | undefined): ParsedIntegrity | undefined {
  if (text === undefined) return undefined;
  try {
    return parseIntegrity(text);
  } catch {
    return undefined;
  }
}

export interface CacheEntry {
  algorithm: CacheAlgorithm;
  hex: string;
  path: string;
  size: number;
  /** Milliseconds since the epoch (the file's mtime). */
  lastUsed: number;
}

export interface CacheStats {
  dir: string;
  entries: number;
  totalBytes: number;
  maxBytes: number;
  /** Last use of the least recently used entry, if any. */
  oldestUse?: number;
  newestUse?: number;
  /** Temp files present (in-flight writes or leftovers of a crash). */
  tempFiles: number;
}

export interface PruneOptions {
  /** Keep the entries' total at or under this; the cache's cap by default. */
  maxBytes?: number;
}

export interface PruneResult {
  removed: number;
  freedBytes: number;
  staleTempFiles: number;
  remainingEntries: number;
  remainingBytes: number;
}

export interface PutOptions {
  signal?: AbortSignal;
}

export interface PutResult {
  /** False when the archive alone is over the cap: verified, but not kept. */
  stored: boolean;
  size: number;
  path?: string;
}

export type PutSource = Buffer | AsyncIterable<Uint8Array>;

export interface ArchiveCache {
  readonly dir: string;
  readonly maxBytes: number;
  /** Path of a verified entry (its digest re-checked while reading), or undefined on a miss. */
  get(integrity: string, signal?: AbortSignal): Promise<string | undefined>;
  /** The verified bytes of an entry, or undefined on a miss; over `maxBytes` is an error. */
  read(integrity: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer | undefined>;
  /**
   * Stores bytes whose digest must match `integrity`; a mismatch stores nothing and is an error. Bytes
   * over the whole cap are not stored (`stored: false`); a stream is then read no further than the cap.
   */
  put(integrity: string, source: PutSource, options?: PutOptions): Promise<PutResult>;
  prune(options?: PruneOptions): Promise<PruneResult>;
  stats(): Promise<CacheStats>;
  entries(): Promise<CacheEntry[]>;
}

export interface ArchiveCacheOptions {
  dir: string;
  maxBytes?: number;
  /** Clock for last-use times and temp-file age; tests move it. */
  now?: () => number;
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

async function lstatOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

async function removeQuietly(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}

function cacheDirError(dir: string, why: string): AssayError {
  return new AssayError('usage', `cache dir ${dir} ${why}; choose another with --cache-dir`);
}

/** The cache dir itself: made if missing; a link, a non-directory or someone else's dir is refused. */
async function checkCacheDir(dir: string): Promise<void> {
  let stats = await lstatOrUndefined(dir);
  if (stats === undefined) {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    stats = await lstat(dir);
  }
  if (stats.isSymbolicLink()) throw cacheDirError(dir, 'is a symbolic link, which is never followed');
  if (!stats.isDirectory()) throw cacheDirError(dir, 'is not a directory');
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) throw cacheDirError(dir, `is owned by uid ${stats.uid}, not by this user (uid ${uid})`);
}

/**
 * A directory inside the cache, made if missing. Anything else in its place (a link planted there, a
 * file) is removed first: it is ours to clean, and unlinking never follows the link.
 */
async function ensureInnerDir(dir: string): Promise<void> {
  const stats = await lstatOrUndefined(dir);
  if (stats?.isDirectory() === true) return;
  if (stats !== undefined) await unlink(dir);
  try {
    await mkdir(dir, { mode: DIR_MODE });
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
    const again = await lstat(dir);
    if (!again.isDirectory()) throw new AssayError('store', `cache folder ${dir} is not a directory`);
  }
}

/** True when every folder from the cache dir down to `file`'s parent is a real directory. */
async function realDirsDown(dir: string, parts: readonly string[]): Promise<boolean> {
  let current = dir;
  for (const part of parts) {
    current = path.join(current, part);
    const stats = await lstatOrUndefined(current);
    if (stats?.isDirectory() !== true) return false;
  }
  return true;
}

function fanParts(key: ParsedIntegrity): string[] {
  return [key.algorithm, key.hex.slice(0, 2), key.hex.slice(2, 4)];
}

/**
 * Hashes a file from its start. With `into` (sized from the file's stat), the bytes are read straight into it
 * and hashing stops at its end: one buffer for the whole archive, no chunk copies to join afterwards.
 */
async function hashHandle(handle: FileHandle, hash: Hash, into: Buffer | undefined, signal: AbortSignal | undefined): Promise<number> {
  const buffer = into ?? Buffer.allocUnsafe(CHUNK);
  let total = 0;
  for (;;) {
    signal?.throwIfAborted();
    const offset = into === undefined ? 0 : total;
    const length = Math.min(CHUNK, buffer.length - offset);
    if (length === 0) return total;
    const { bytesRead } = await handle.read(buffer, offset, length, null);
    if (bytesRead === 0) return total;
    hash.update(buffer.subarray(offset, offset + bytesRead));
    total += bytesRead;
  }
}

async function* sourceChunks(source: PutSource): AsyncGenerator<Uint8Array> {
  if (Buffer.isBuffer(source)) {
    for (let offset = 0; offset < source.length; offset += CHUNK) yield source.subarray(offset, offset + CHUNK);
    return;
  }
  yield* source;
}

async function listDir(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return [];
    throw error;
  }
}

/** Sub-folders by the entry's own type: a link to a folder is a link, so it is never descended into. */
async function subFolders(dir: string, pattern: RegExp): Promise<string[]> {
  return (await listDir(dir)).filter((e) => e.isDirectory() && pattern.test(e.name)).map((e) => e.name);
}

/** Runs `task` over `items`, at most `limit` at a time: a walk of a large cache is I/O-bound. */
async function mapPool<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface LeafFolder {
  algorithm: CacheAlgorithm;
  prefix: string;
  folder: string;
}

async function leafFolders(dir: string): Promise<LeafFolder[]> {
  const top = new Set(await subFolders(dir, /^sha(512|384|256)$/));
  const firsts = CACHE_ALGORITHMS.filter((a) => top.has(a)).map((algorithm) => ({ algorithm, folder: path.join(dir, algorithm) }));
  const levelOne = await mapPool(firsts, WALK_CONCURRENCY, async ({ algorithm, folder }) =>
    (await subFolders(folder, FAN)).map((first) => ({ algorithm, first, folder: path.join(folder, first) })),
  );
  const levelTwo = await mapPool(levelOne.flat(), WALK_CONCURRENCY, async ({ algorithm, first, folder }) =>
    (await subFolders(folder, FAN)).map((second) => ({ algorithm, prefix: first + second, folder: path.join(folder, second) })),
  );
  return levelTwo.flat();
}

async function entriesIn(leaf: LeafFolder): Promise<CacheEntry[]> {
  const hexLength = DIGEST_BYTES[leaf.algorithm] * 2;
  const names = (await listDir(leaf.folder))
    .filter((e) => e.isFile() && e.name.length === hexLength && HEX_NAME.test(e.name) && e.name.startsWith(leaf.prefix))
    .map((e) => e.name);
  const found: CacheEntry[] = [];
  for (const name of names) {
    const file = path.join(leaf.folder, name);
    const stats = await lstatOrUndefined(file);
    if (stats?.isFile() !== true) continue;
    found.push({ algorithm: leaf.algorithm, hex: name, path: file, size: stats.size, lastUsed: stats.mtimeMs });
  }
  return found;
}

/** Every well-formed entry; links and odd names are skipped, never followed. */
async function walkEntries(dir: string): Promise<CacheEntry[]> {
  const leaves = await leafFolders(dir);
  return (await mapPool(leaves, WALK_CONCURRENCY, entriesIn)).flat();
}

class FsArchiveCache implements ArchiveCache {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly now: () => number;
  /** Running estimate of the entries' total, so a put only walks the cache when it may be near the cap. */
  private knownBytes: number | undefined;
  /** Serialises make-room-then-rename within this process, so parallel puts cannot overshoot the cap together. */
  private admission: Promise<unknown> = Promise.resolve();

  constructor(dir: string, maxBytes: number, now: () => number) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.now = now;
  }

  private entryPath(key: ParsedIntegrity): string {
    return path.join(this.dir, ...fanParts(key), key.hex);
  }

  /** Opens and hashes an entry; a corrupt, linked or odd entry is deleted and reported as a miss. */
  private async verified(integrity: string, keep: boolean, maxBytes: number, signal?: AbortSignal): Promise<{ file: string; bytes: Buffer | undefined } | undefined> {
    const key = parseIntegrity(integrity);
    // Checked on every use, not only at open: the dir could have been swapped for a link since.
    await checkCacheDir(this.dir);
    if (!(await realDirsDown(this.dir, fanParts(key)))) return undefined;
    const file = this.entryPath(key);
    let handle: FileHandle;
    try {
      handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT') return undefined;
      // O_NOFOLLOW on a link: not an entry we wrote.
      if (code === 'ELOOP' || code === 'EMLINK') {
        await removeQuietly(file);
        return undefined;
      }
      throw error;
    }
    let good = false;
    let bytes: Buffer | undefined;
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) return undefined;
      if (stats.size > maxBytes) {
        throw new AssayError('invalidInput', `the cached archive is ${formatBytes(stats.size)}, over the archive size cap of ${formatBytes(maxBytes)}; raise it with --max-archive-size`);
      }
      const hash = createHash(key.algorithm);
      const into = keep ? Buffer.allocUnsafe(stats.size) : undefined;
      const read = await hashHandle(handle, hash, into, signal);
      // A file shorter than its stat said fails the digest; only the bytes read are ever handed out.
      bytes = into?.subarray(0, read);
      good = hash.digest('hex') === key.hex;
    } finally {
      await handle.close();
    }
    if (!good) {
      await removeQuietly(file);
      return undefined;
    }
    const now = new Date(this.now());
    await utimes(file, now, now).catch(() => undefined);
    return { file, bytes };
  }

  async get(integrity: string, signal?: AbortSignal): Promise<string | undefined> {
    return (await this.verified(integrity, false, Number.MAX_SAFE_INTEGER, signal))?.file;
  }

  async read(integrity: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer | undefined> {
    return (await this.verified(integrity, true, maxBytes, signal))?.bytes;
  }

  async put(integrity: string, source: PutSource, options: PutOptions = {}): Promise<PutResult> {
    const key = parseIntegrity(integrity);
    if (Buffer.isBuffer(source) && source.length > this.maxBytes) return { stored: false, size: source.length };
    await checkCacheDir(this.dir);
    const tempDir = path.join(this.dir, TEMP_DIR);
    await ensureInnerDir(tempDir);
    const temp = path.join(tempDir, `${key.hex.slice(0, 16)}-${randomBytes(8).toString('hex')}.tmp`);
    let moved = false;
    try {
      const size = await this.writeVerified(temp, key, source, options.signal);
      if (size > this.maxBytes) return { stored: false, size };
      const file = await this.serially(async () => {
        await this.makeRoom(size);
        let folder = this.dir;
        for (const part of fanParts(key)) {
          folder = path.join(folder, part);
          await ensureInnerDir(folder);
        }
        const target = this.entryPath(key);
        // rename() replaces atomically: a reader sees the old or the new file, both holding the same bytes.
        await rename(temp, target);
        moved = true;
        if (this.knownBytes !== undefined) this.knownBytes += size;
        return target;
      });
      const now = new Date(this.now());
      await utimes(file, now, now).catch(() => undefined);
      return { stored: true, size, path: file };
    } finally {
      if (!moved) await removeQuietly(temp);
    }
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.admission.then(task, task);
    this.admission = run.catch(() => undefined);
    return run;
  }

  private async writeVerified(temp: string, key: ParsedIntegrity, source: PutSource, signal: AbortSignal | undefined): Promise<number> {
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE);
    const hash = createHash(key.algorithm);
    let size = 0;
    try {
      for await (const chunk of sourceChunks(source)) {
        signal?.throwIfAborted();
        size += chunk.length;
        // Never write more than the cache may hold; the caller learns it was not stored.
        if (size > this.maxBytes) return size;
        hash.update(chunk);
        let written = 0;
        while (written < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, written, chunk.length - written);
          written += bytesWritten;
        }
      }
    } finally {
      await handle.close();
    }
    if (hash.digest('hex') !== key.hex) {
      throw new AssayError('integrity', `refused to cache an archive whose ${key.algorithm} digest does not match ${truncateText(key.integrity, 40)}`);
    }
    return size;
  }

  private async makeRoom(size: number): Promise<void> {
    if (this.knownBytes !== undefined && this.knownBytes + size <= this.maxBytes) return;
    const result = await this.prune({ maxBytes: this.maxBytes - size });
    this.knownBytes = result.remainingBytes;
  }

  async entries(): Promise<CacheEntry[]> {
    await checkCacheDir(this.dir);
    return walkEntries(this.dir);
  }

  async prune(options: PruneOptions = {}): Promise<PruneResult> {
    const cap = options.maxBytes ?? this.maxBytes;
    const all = await this.entries();
    // Least recently used first; the hex breaks ties so the order is stable.
    all.sort((a, b) => a.lastUsed - b.lastUsed || a.hex.localeCompare(b.hex));
    let total = all.reduce((sum, e) => sum + e.size, 0);
    let removed = 0;
    let freedBytes = 0;
    for (const entry of all) {
      if (total <= cap) break;
      try {
        await unlink(entry.path);
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error;
      }
      total -= entry.size;
      removed += 1;
      freedBytes += entry.size;
    }
    const staleTempFiles = await this.removeStaleTemps();
    this.knownBytes = total;
    return { removed, freedBytes, staleTempFiles, remainingEntries: all.length - removed, remainingBytes: total };
  }

  private async tempFiles(): Promise<{ file: string; stats: Stats }[]> {
    const tempDir = path.join(this.dir, TEMP_DIR);
    if (!(await realDirsDown(this.dir, [TEMP_DIR]))) return [];
    const found: { file: string; stats: Stats }[] = [];
    for (const entry of (await listDir(tempDir)).filter((e) => !e.isDirectory() && TEMP_NAME.test(e.name))) {
      const file = path.join(tempDir, entry.name);
      const stats = await lstatOrUndefined(file);
      if (stats !== undefined && !stats.isDirectory()) found.push({ file, stats });
    }
    return found;
  }

  private async removeStaleTemps(): Promise<number> {
    const cutoff = this.now() - STALE_TEMP_MS;
    let removed = 0;
    for (const { file, stats } of await this.tempFiles()) {
      if (stats.mtimeMs >= cutoff) continue;
      await removeQuietly(file);
      removed += 1;
    }
    return removed;
  }

  async stats(): Promise<CacheStats> {
    const all = await this.entries();
    const stats: CacheStats = {
      dir: this.dir,
      entries: all.length,
      totalBytes: all.reduce((sum, e) => sum + e.size, 0),
      maxBytes: this.maxBytes,
      tempFiles: (await this.tempFiles()).length,
    };
    // A loop, not Math.min(...list): a spread of a very large cache would overflow the argument limit.
    for (const entry of all) {
      if (stats.oldestUse === undefined || entry.lastUsed < stats.oldestUse) stats.oldestUse = entry.lastUsed;
      if (stats.newestUse === undefined || entry.lastUsed > stats.newestUse) stats.newestUse = entry.lastUsed;
    }
    return stats;
  }
}

/**
 * Opens (and makes, if missing) a cache dir. The dir must be a real directory owned by this user:
 * a link or a foreign dir is a usage error, since a cache is trusted to hold verified bytes.
 */
export async function openArchiveCache(options: ArchiveCacheOptions): Promise<ArchiveCache> {
  const maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new AssayError('usage', `the cache size cap must be a positive number of bytes, got ${maxBytes}`);
  const dir = path.resolve(options.dir);
  try {
    await checkCacheDir(dir);
  } catch (error) {
    if (error instanceof AssayError) throw error;
    throw new AssayError('store', `cannot use cache dir ${dir}: ${errorMessage(error)}`, { cause: error });
  }
  return new FsArchiveCache(dir, maxBytes, options.now ?? Date.now);
}
