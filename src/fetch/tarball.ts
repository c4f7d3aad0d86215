import { createHash } from 'node:crypto';
import { type FileHandle, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { AssayError } from '../core/errors.js';
import type { Target } from '../core/target.js';
import { archiveTooLarge, type FetchContext, type MadeWorkspace, workspaceFromArchiveSource } from './workspace.js';

const READ_CHUNK = 64 * 1024;

/**
 * Reads a file once, front to back, hashing every byte read. Extraction may stop early at a cap; the
 * integrity still covers the whole file, so `integrity()` reads on from where extraction left off.
 */
class HashedFile {
  readonly #hash = createHash('sha512');
  #position = 0;
  /** Reads run one at a time: a read-ahead of the stream may still be in flight when `integrity()` starts. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly handle: FileHandle,
    private readonly maxBytes: number,
  ) {}

  #next(): Promise<Buffer | undefined> {
    const read = this.#queue.then(() => this.#read());
    this.#queue = read.catch(() => undefined);
    return read;
  }

  /** Resolves once no read is in flight, so the handle can be closed. */
  async settled(): Promise<void> {
    await this.#queue;
  }

  async #read(): Promise<Buffer | undefined> {
    const buffer = Buffer.alloc(READ_CHUNK);
    const { bytesRead } = await this.handle.read(buffer, 0, READ_CHUNK, this.#position);
    if (bytesRead === 0) return undefined;
    this.#position += bytesRead;
    // The size was checked before reading; this catches a file that grows while it is read.
    if (this.#position > this.maxBytes) throw archiveTooLarge(this.#position, this.maxBytes);
    const chunk = buffer.subarray(0, bytesRead);
    this.#hash.update(chunk);
    return chunk;
  }

  async *chunks(): AsyncGenerator<Buffer> {
    for (let chunk = await this.#next(); chunk !== undefined; chunk = await this.#next()) yield chunk;
  }

  async integrity(signal: AbortSignal): Promise<string> {
    for (let chunk = await this.#next(); chunk !== undefined; chunk = await this.#next()) signal.throwIfAborted();
    return `sha512-${this.#hash.digest('base64')}`;
  }
}

async function statTarball(file: string, spec: string): Promise<number> {
  let stats;
  try {
    stats = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new AssayError('notFound', `archive not found: ${spec}`);
    throw error;
  }
  if (stats.isDirectory()) throw new AssayError('invalidInput', `${spec} is a directory, not a .tgz/.tar archive`);
  if (!stats.isFile()) throw new AssayError('invalidInput', `${spec} is not a regular file`);
  return stats.size;
}

/** A local .tgz/.tar.gz/.tar file target (target.spec is its path): extracted, with the sha512 integrity of the file. */
export async function fetchTarballFile(target: Target, ctx: FetchContext): Promise<MadeWorkspace> {
  ctx.signal.throwIfAborted();
  const file = path.resolve(target.spec);
  const size = await statTarball(file, target.spec);
  if (size > ctx.limits.maxArchiveBytes) throw archiveTooLarge(size, ctx.limits.maxArchiveBytes);
  const handle = await open(file, 'r');
  const source = new HashedFile(handle, ctx.limits.maxArchiveBytes);
  try {
    const made = await workspaceFromArchiveSource(source.chunks(), target, {}, ctx);
    try {
      made.workspace.integrity = await source.integrity(ctx.signal);
    } catch (error) {
      await made.dispose();
      throw error;
    }
    return made;
  } finally {
    await source.settled();
    await handle.close();
  }
}
