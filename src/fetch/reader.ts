import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { WorkspaceReader } from '../core/analyzer.js';
import type { AnalyzerLimits } from '../core/limits.js';
import type { Workspace, WorkspaceContents, WorkspaceFile } from '../core/workspace.js';

/** Resolves a workspace-relative path and refuses anything that would leave the root. */
export function resolveInside(root: string, relative: string): string {
  if (relative.length === 0 || relative.includes('\0') || path.posix.isAbsolute(relative) || path.win32.isAbsolute(relative)) {
    throw new Error(`refused path outside the workspace: ${JSON.stringify(relative)}`);
  }
  const resolved = path.resolve(root, relative);
  const rel = path.relative(root, resolved);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new Error(`refused path outside the workspace: ${JSON.stringify(relative)}`);
  }
  return resolved;
}

async function readCapped(root: string, file: WorkspaceFile, maxBytes: number): Promise<Buffer> {
  if (file.omitted) throw omittedError(file);
  // O_NOFOLLOW: the listing holds regular files only, so a link here means the tree changed under us.
  const handle = await open(resolveInside(root, file.path), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(`${file.path} is not a regular file`);
    const length = Math.min(stat.size, maxBytes);
    // Only the bytes read are returned, so the unfilled tail of an unzeroed buffer never escapes.
    const buffer = Buffer.allocUnsafe(length);
    let offset = 0;
    while (offset < length) {
      const { bytesRead } = await handle.read(buffer, offset, length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return offset === length ? buffer : buffer.subarray(0, offset);
  } finally {
    await handle.close();
  }
}

/** The only way analyzers read package content: capped, inside the root, never through a link. */
export function createWorkspaceReader(root: string, limits: AnalyzerLimits): WorkspaceReader {
  return {
    async readText(file) {
      if (file.size > limits.maxTextBytes) throw textCapError(file, limits);
      return (await readCapped(root, file, limits.maxTextBytes)).toString('utf8');
    },
    async readBytes(file, maxBytes = limits.maxTextBytes) {
      return readCapped(root, file, maxBytes);
    },
  };
}

function textCapError(file: WorkspaceFile, limits: AnalyzerLimits): Error {
  return new Error(`${file.path} is ${file.size} bytes, over the ${limits.maxTextBytes}-byte text cap`);
}

function omittedError(file: WorkspaceFile): Error {
  return new Error(`${file.path} was left out of the workspace (over the single-file cap)`);
}

/**
 * The same reader over a workspace held in memory. Each byte read returns a copy, so no analyzer can change what
 * the next sees; text is decoded once and shared (strings are immutable) while it fits in `maxCachedBytes`. The
 * bytes are already in memory, so unlike `createCachingReader` it keeps no second copy of them.
 */
export function createMemoryReader(contents: WorkspaceContents, limits: AnalyzerLimits, maxCachedBytes = DEFAULT_READ_CACHE_BYTES): WorkspaceReader {
  const texts = new Map<string, string>();
  let cached = 0;
  const bytesOf = (file: WorkspaceFile): Uint8Array => {
    if (file.omitted) throw omittedError(file);
    const bytes = contents.get(file.path);
    if (bytes === undefined) throw new Error(`${file.path} is not in the workspace`);
    return bytes;
  };
  return {
    async readText(file) {
      if (file.size > limits.maxTextBytes) throw textCapError(file, limits);
      const hit = texts.get(file.path);
      if (hit !== undefined) return hit;
      const bytes = bytesOf(file);
      const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, limits.maxTextBytes)).toString('utf8');
      if (cached + bytes.byteLength <= maxCachedBytes) {
        texts.set(file.path, text);
        cached += bytes.byteLength;
      }
      return text;
    },
    async readBytes(file, maxBytes = limits.maxTextBytes) {
      const bytes = bytesOf(file);
      return Buffer.from(bytes.subarray(0, Math.min(maxBytes, bytes.byteLength)));
    },
  };
}

/**
 * The reader one analysis uses: over the contents of a workspace held in memory, or over its directory with
 * each file read once for all analyzers.
 */
export function readerFor(workspace: Pick<Workspace, 'root'>, contents: WorkspaceContents | undefined, limits: AnalyzerLimits): WorkspaceReader {
  if (contents !== undefined) return createMemoryReader(contents, limits);
  if (workspace.root === undefined) throw new Error('the workspace has neither a directory nor contents');
  return createCachingReader(createWorkspaceReader(workspace.root, limits), limits.maxTextBytes);
}

/** Bytes of file content one analysis keeps for the analyzers after the first to read a file. */
export const DEFAULT_READ_CACHE_BYTES = 16 * 1024 * 1024;

interface Cached {
  bytes: Buffer;
  text?: string;
}

/**
 * A reader that remembers whole files for the analyzers that come after the first to read them: the code,
 * tools and signatures analyzers each read every script, and on a slow file system the opens cost more than
 * the reads. Files are kept while they fit in `maxBytes` (first come, first kept). Text is shared (strings are
 * immutable); bytes are copied out, so no analyzer can change what the next one sees.
 */
export function createCachingReader(inner: WorkspaceReader, maxTextBytes: number, maxBytes = DEFAULT_READ_CACHE_BYTES): WorkspaceReader & { readonly cachedBytes: number } {
  const cache = new Map<string, Cached>();
  let used = 0;
  const whole = async (file: WorkspaceFile): Promise<Cached | undefined> => {
    const hit = cache.get(file.path);
    if (hit !== undefined) return hit;
    if (file.omitted || file.size > maxTextBytes || used + file.size > maxBytes) return undefined;
    const bytes = await inner.readBytes(file, maxTextBytes);
    // A file that changed size since it was listed is read again each time rather than remembered wrong.
    if (bytes.length !== file.size) return { bytes };
    const entry: Cached = { bytes };
    cache.set(file.path, entry);
    used += bytes.length;
    return entry;
  };
  return {
    get cachedBytes() {
      return used;
    },
    async readText(file) {
      const entry = await whole(file);
      if (entry === undefined) return inner.readText(file);
      entry.text ??= entry.bytes.toString('utf8');
      return entry.text;
    },
    async readBytes(file, maxBytes = maxTextBytes) {
      const entry = await whole(file);
      if (entry === undefined) return inner.readBytes(file, maxBytes);
      return Buffer.from(entry.bytes.subarray(0, Math.min(maxBytes, entry.bytes.length)));
    },
  };
}
