import { constants, type Dirent } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '../core/finding.js';
import type { WorkspaceLimits } from '../core/limits.js';
import { errorMessage } from '../core/errors.js';
import type { WorkspaceFile } from '../core/workspace.js';
import { detectFileType, SNIFF_BYTES } from './file-type.js';
import {
  fileCountLimitEvent,
  fileTooLargeEvent,
  FindingCollector,
  LINK_RULE,
  SPECIAL_RULE,
  unpackedSizeLimitEvent,
  UNREADABLE_RULE,
} from './rules.js';

/** Never part of what is scanned: VCS metadata and installed dependencies (the deps analyzer reads lockfiles). */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(['.git', 'node_modules']);

export interface WalkResult {
  files: WorkspaceFile[];
  totalBytes: number;
  findings: Finding[];
  incomplete: boolean;
  /** Links, devices and other entries that were seen but not listed. */
  refused: number;
}

type EntryKind = 'file' | 'directory' | 'link' | 'special';

function kindOf(entry: Pick<Dirent, 'isFile' | 'isDirectory' | 'isSymbolicLink'>): EntryKind {
  if (entry.isSymbolicLink()) return 'link';
  if (entry.isDirectory()) return 'directory';
  if (entry.isFile()) return 'file';
  return 'special';
}

function specialName(entry: Pick<Dirent, 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>): string {
  if (entry.isFIFO()) return 'FIFO';
  if (entry.isSocket()) return 'socket';
  if (entry.isCharacterDevice()) return 'character device';
  if (entry.isBlockDevice()) return 'block device';
  return 'unknown file type';
}

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

interface Sniffed {
  size: number;
  head: Buffer;
}

/** Opens without following a link (or blocking on a FIFO swapped in since the listing) and reads the head. */
async function sniffFile(abs: string): Promise<Sniffed | undefined> {
  const handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return undefined;
    const head = Buffer.alloc(Math.min(stats.size, SNIFF_BYTES));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return { size: stats.size, head: head.subarray(0, bytesRead) };
  } finally {
    await handle.close();
  }
}

/**
 * Lists a directory tree with lstat semantics: links and special files become findings and are never
 * followed, `.git` and `node_modules` are skipped at any depth, caps stop the walk with a finding.
 * The order of the walk (and so where a cap stops it) is sorted by name, the result by path.
 */
class Walker {
  readonly findings = new FindingCollector();
  readonly files: WorkspaceFile[] = [];
  totalBytes = 0;
  incomplete = false;
  refused = 0;
  #stopped = false;

  constructor(
    private readonly root: string,
    private readonly limits: WorkspaceLimits,
    private readonly signal: AbortSignal,
  ) {}

  async run(): Promise<void> {
    const stack = [''];
    while (stack.length > 0 && !this.#stopped) {
      this.signal.throwIfAborted();
      const dir = stack.pop() as string;
      const subdirs = await this.#visitDirectory(dir);
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i] as string);
    }
  }

  #unreadable(relative: string, error: unknown): void {
    this.incomplete = true;
    this.findings.add({
      rule: UNREADABLE_RULE,
      file: relative === '' ? '.' : relative,
      inWorkspace: true,
      message: `${relative === '' ? 'the directory' : relative} could not be read: ${errorMessage(error)}`,
    });
  }

  async #visitDirectory(dir: string): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(this.root, dir), { withFileTypes: true });
    } catch (error) {
      this.#unreadable(dir, error);
      return [];
    }
    entries.sort(byName);
    const subdirs: string[] = [];
    for (const entry of entries) {
      if (this.#stopped) break;
      const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
      const kind = await this.#kind(entry, relative);
      if (kind === 'directory' && !SKIPPED_DIRECTORIES.has(entry.name)) subdirs.push(relative);
      else if (kind === 'file') await this.#file(relative);
      else if (kind === 'link') await this.#link(relative);
      else if (kind === 'special') this.#special(relative, entry);
    }
    return subdirs;
  }

  /** Dirent types can be unknown on some file systems; lstat decides then. */
  async #kind(entry: Dirent, relative: string): Promise<EntryKind | undefined> {
    const kind = kindOf(entry);
    if (kind !== 'special' || entry.isFIFO() || entry.isSocket() || entry.isCharacterDevice() || entry.isBlockDevice()) return kind;
    try {
      return kindOf(await lstat(path.join(this.root, relative)));
    } catch (error) {
      this.#unreadable(relative, error);
      return undefined;
    }
  }

  async #link(relative: string): Promise<void> {
    this.refused += 1;
    const target = await readlink(path.join(this.root, relative)).catch(() => '?');
    this.findings.add({
      rule: LINK_RULE,
      file: relative,
      inWorkspace: true,
      evidence: `${relative} -> ${target}`,
      message: `${relative} is a symbolic link to ${JSON.stringify(target.slice(0, 200))}; it was not followed.`,
    });
  }

  #special(relative: string, entry: Dirent): void {
    this.refused += 1;
    const what = specialName(entry);
    this.findings.add({
      rule: SPECIAL_RULE,
      file: relative,
      inWorkspace: true,
      evidence: `${what} ${relative}`,
      message: `${relative} is a ${what}; it was not read.`,
    });
  }

  #stop(event: Parameters<FindingCollector['add']>[0]): void {
    this.#stopped = true;
    this.incomplete = true;
    this.findings.add(event);
  }

  async #file(relative: string): Promise<void> {
    if (this.files.length >= this.limits.maxFiles) {
      this.#stop(fileCountLimitEvent(this.limits.maxFiles));
      return;
    }
    let sniffed: Sniffed | undefined;
    try {
      sniffed = await sniffFile(path.join(this.root, relative));
    } catch (error) {
      this.#unreadable(relative, error);
      return;
    }
    if (sniffed === undefined) {
      this.#unreadable(relative, new Error('it is no longer a regular file'));
      return;
    }
    const type = detectFileType(relative, sniffed.head);
    if (sniffed.size > this.limits.maxFileBytes) {
      this.files.push({ path: relative, size: sniffed.size, type, omitted: true });
      this.findings.add({ ...fileTooLargeEvent(relative, sniffed.size, this.limits.maxFileBytes), inWorkspace: true });
      return;
    }
    if (this.totalBytes + sniffed.size > this.limits.maxUnpackedBytes) {
      this.#stop(unpackedSizeLimitEvent(this.limits.maxUnpackedBytes));
      return;
    }
    this.totalBytes += sniffed.size;
    this.files.push({ path: relative, size: sniffed.size, type });
  }
}

export async function walkDirectory(root: string, limits: WorkspaceLimits, signal: AbortSignal): Promise<WalkResult> {
  const walker = new Walker(root, limits, signal);
  await walker.run();
  const files = [...walker.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    files,
    totalBytes: walker.totalBytes,
    findings: walker.findings.findings(),
    incomplete: walker.incomplete,
    refused: walker.refused,
  };
}
