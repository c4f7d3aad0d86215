import { constants } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readdir, realpath, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { AssayError, errorMessage } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { formatBytes, type WorkspaceLimits } from '../core/limits.js';
import type { Target } from '../core/target.js';
import { truncateText } from '../core/text.js';
import type { Workspace, WorkspaceContents, WorkspaceFile } from '../core/workspace.js';
import { extractArchive, extractToSink } from './extract.js';
import { type MemoryBudget, memorySink, OverMemoryBudget } from './memory.js';
import { walkDirectory } from './walk.js';

export interface Identity {
  name?: string;
  version?: string;
  integrity?: string;
  commit?: string;
}

export interface FetchContext {
  limits: WorkspaceLimits;
  signal: AbortSignal;
  /** Where private temp dirs are made; the OS temp dir by default. */
  tmpDir?: string;
  /**
   * Archives are unpacked into memory while this budget holds them (disk otherwise); directories and git
   * checkouts are always read where they are.
   */
  memory?: MemoryBudget | undefined;
}

export interface MadeWorkspace {
  workspace: Workspace;
  /** The files, when the workspace is held in memory (it then has no root). */
  contents?: WorkspaceContents;
  dispose(): Promise<void>;
}

/** What extraction or a directory walk produced, before identity is attached. */
export interface Listing {
  root: string;
  files: WorkspaceFile[];
  totalBytes: number;
  findings: Finding[];
  incomplete: boolean;
  refused: number;
}

const FEED_CHUNK = 64 * 1024;
const DIR_MODE = 0o555;
const MAX_JSON_REASON_CHARS = 120;

/** Lenient on purpose: a wrong-typed field is ignored, never fatal. */
const ManifestIdentitySchema = z.object({
  name: z.string().min(1).max(1000).optional().catch(undefined),
  version: z.string().min(1).max(1000).optional().catch(undefined),
});
type ManifestIdentity = z.infer<typeof ManifestIdentitySchema>;

export function archiveTooLarge(bytes: number, maxArchiveBytes: number): AssayError {
  return new AssayError(
    'invalidInput',
    `archive is ${formatBytes(bytes)} (${bytes} bytes), over the archive-size cap of ${formatBytes(maxArchiveBytes)} ` +
      `(${maxArchiveBytes} bytes); change it with --max-archive-size`,
  );
}

export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error('the operation was aborted'), { name: 'AbortError' });
}

async function* chunksOf(buffer: Buffer): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += FEED_CHUNK) {
    yield buffer.subarray(offset, offset + FEED_CHUNK);
  }
}

/**
 * Removes a private workspace dir that was made read-only: directories get their write bit back first
 * (unlinking needs it), then the tree goes. Links are never followed (readdir entries, no stat).
 */
export async function removePrivateDir(dir: string): Promise<void> {
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop() as string;
    try {
      await chmod(current, 0o700);
      for (const entry of await readdir(current, { withFileTypes: true })) {
        if (entry.isDirectory()) stack.push(path.join(current, entry.name));
      }
    } catch {
      // Missing or unreadable: `rm` below reports what really cannot be removed.
    }
  }
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

async function makePrivateDir(ctx: FetchContext): Promise<string> {
  const base = ctx.tmpDir ?? os.tmpdir();
  await mkdir(base, { recursive: true });
  return mkdtemp(path.join(base, 'mcp-assay-ws-'));
}

async function sealReadOnly(dest: string, directories: readonly string[]): Promise<void> {
  // Deepest first, so a parent never loses its write bit before a child is done.
  const sorted = [...directories].sort((a, b) => b.length - a.length);
  for (const relative of sorted) await chmod(path.join(dest, relative), DIR_MODE);
  await chmod(dest, DIR_MODE);
}

function jsonReason(error: unknown): string {
  return truncateText(errorMessage(error).replace(/\s+/g, ' ').trim(), MAX_JSON_REASON_CHARS);
}

/** Reads the root package.json (never through a link) and pulls out name and version, leniently. */
async function readRootManifest(root: string, files: readonly WorkspaceFile[], maxBytes: number): Promise<ManifestIdentity> {
  const listed = files.find((file) => file.path === 'package.json' && file.omitted !== true);
  if (listed === undefined) return {};
  const handle = await open(path.join(root, 'package.json'), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buffer = Buffer.alloc(Math.min(listed.size, maxBytes));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return manifestIdentity(buffer.subarray(0, filled).toString('utf8'));
  } finally {
    await handle.close();
  }
}

function manifestIdentity(text: string): ManifestIdentity {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.startsWith('\ufeff') ? text.slice(1) : text);
  } catch (error) {
    throw new AssayError('invalidInput', `package.json is not valid JSON: ${jsonReason(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const what = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    throw new AssayError('invalidInput', `package.json is not valid JSON: the top level is ${what}, not an object`);
  }
  const result = ManifestIdentitySchema.safeParse(parsed);
  return result.success ? result.data : {};
}

function nothingToScan(label: string, refused: number): AssayError {
  const detail = refused > 0 ? ` (no regular files; ${refused} entries refused)` : ' (no regular files)';
  return new AssayError('invalidInput', `nothing to scan: ${label} is empty${detail}`);
}

/** What extraction or a directory walk produced, wherever the files are. */
type AnyListing = Omit<Listing, 'root'> & { root?: string };

function identified(listing: AnyListing, target: Target, identity: Identity, manifest: ManifestIdentity, label: string): Workspace {
  if (listing.files.length === 0) throw nothingToScan(label, listing.refused);
  const workspace: Workspace = {
    ...(listing.root !== undefined ? { root: listing.root } : {}),
    target,
    files: listing.files,
    totalBytes: listing.totalBytes,
    findings: listing.findings,
    incomplete: listing.incomplete,
  };
  const name = identity.name ?? manifest.name;
  const version = identity.version ?? manifest.version;
  if (name !== undefined) workspace.name = name;
  if (version !== undefined) workspace.version = version;
  if (identity.integrity !== undefined) workspace.integrity = identity.integrity;
  if (identity.commit !== undefined) workspace.commit = identity.commit;
  return workspace;
}

async function buildWorkspace(listing: Listing, target: Target, identity: Identity, ctx: FetchContext, label: string): Promise<Workspace> {
  return identified(listing, target, identity, await readRootManifest(listing.root, listing.files, ctx.limits.maxFileBytes), label);
}

/**
 * Extracts an archive stream into a fresh private temp dir. Any failure (corrupt input, an abort, a
 * bad package.json) removes the dir before the error propagates.
 */
export async function workspaceFromArchiveSource(
  source: AsyncIterable<Uint8Array>,
  target: Target,
  identity: Identity,
  ctx: FetchContext,
): Promise<MadeWorkspace> {
  ctx.signal.throwIfAborted();
  const dest = await makePrivateDir(ctx);
  try {
    const extracted = await extractArchive(source, dest, { limits: ctx.limits, signal: ctx.signal });
    ctx.signal.throwIfAborted();
    const workspace = await buildWorkspace(extracted, target, identity, ctx, target.spec);
    await sealReadOnly(dest, extracted.directories);
    ctx.signal.throwIfAborted();
    let disposed: Promise<void> | undefined;
    return {
      workspace,
      dispose: () => (disposed ??= removePrivateDir(dest)),
    };
  } catch (error) {
    // The first error is the one to report; a failed cleanup must not replace it.
    await removePrivateDir(dest).catch(() => undefined);
    throw ctx.signal.aborted ? abortReason(ctx.signal) : error;
  }
}

/**
 * Extract an archive (gzip or plain tar, detected by magic bytes) into memory when the context gives a budget
 * that holds it, otherwise into a fresh private temp dir.
 */
export async function workspaceFromArchive(archive: Buffer, target: Target, identity: Identity, ctx: FetchContext): Promise<MadeWorkspace> {
  if (archive.length > ctx.limits.maxArchiveBytes) throw archiveTooLarge(archive.length, ctx.limits.maxArchiveBytes);
  if (ctx.memory !== undefined) {
    const inMemory = await workspaceInMemory(archive, target, identity, ctx, ctx.memory);
    if (inMemory !== undefined) return inMemory;
  }
  return workspaceFromArchiveSource(chunksOf(archive), target, identity, ctx);
}

/**
 * The same extraction, rules and caps into memory. Undefined when the budget cannot hold the package: the
 * caller unpacks it to disk from the start (nothing half-made is kept).
 */
async function workspaceInMemory(archive: Buffer, target: Target, identity: Identity, ctx: FetchContext, budget: MemoryBudget): Promise<MadeWorkspace | undefined> {
  ctx.signal.throwIfAborted();
  const sink = memorySink(budget);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    budget.release(sink.reservedBytes);
  };
  try {
    const { result, top } = await extractToSink(chunksOf(archive), sink, { limits: ctx.limits, signal: ctx.signal });
    ctx.signal.throwIfAborted();
    const contents = new Map<string, Uint8Array>();
    for (const file of result.files) {
      const bytes = file.omitted === true ? undefined : sink.files.get(top === undefined ? file.path : `${top}/${file.path}`);
      if (bytes !== undefined) contents.set(file.path, bytes);
    }
    // Only kept files have contents, so an omitted package.json reads as none, as on disk.
    const manifestBytes = contents.get('package.json');
    const manifest = manifestBytes === undefined ? {} : manifestIdentity(Buffer.from(manifestBytes).toString('utf8'));
    const workspace = identified(result, target, identity, manifest, target.spec);
    return { workspace, contents, dispose: async () => release() };
  } catch (error) {
    release();
    if (error instanceof OverMemoryBudget) return undefined;
    throw ctx.signal.aborted ? abortReason(ctx.signal) : error;
  }
}

/** Use an existing directory in place (a user's dir, or a git checkout). dispose() removes nothing. */
export async function workspaceFromDirectory(dir: string, target: Target, identity: Identity, ctx: FetchContext): Promise<MadeWorkspace> {
  ctx.signal.throwIfAborted();
  let root: string;
  try {
    root = await realpath(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new AssayError('notFound', `directory not found: ${dir}`);
    throw error;
  }
  if (!(await stat(root)).isDirectory()) throw new AssayError('invalidInput', `not a directory: ${dir}`);
  const walked = await walkDirectory(root, ctx.limits, ctx.signal);
  const workspace = await buildWorkspace({ ...walked, root }, target, identity, ctx, dir);
  return { workspace, dispose: async () => undefined };
}
