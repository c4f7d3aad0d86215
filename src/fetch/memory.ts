import type { ExtractSink, SinkFile } from './extract.js';
import { corruptArchive } from './extract.js';

/**
 * Bytes of unpacked packages a harvest may hold in memory at once. Unpacking to disk cost the harvest more than
 * half of its main thread (creating, sealing and removing tens of thousands of small files) and a read of
 * every file again in the analysis threads; a package that does not fit is unpacked to disk as before.
 */
export class MemoryBudget {
  #used = 0;

  constructor(readonly maxBytes: number) {}

  get usedBytes(): number {
    return this.#used;
  }

  tryReserve(bytes: number): boolean {
    if (this.#used + bytes > this.maxBytes) return false;
    this.#used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

/** Thrown by a memory sink when the budget cannot hold the next file: the caller unpacks to disk instead. */
export class OverMemoryBudget extends Error {
  constructor() {
    super('the package does not fit in the memory budget');
    this.name = 'OverMemoryBudget';
  }
}

/** A sink that keeps each file in its own buffer (so each can move to a worker thread without a copy). */
export interface MemorySink extends ExtractSink {
  /** Whole files by archive path (before a shared top folder is stripped). */
  readonly files: ReadonlyMap<string, Buffer>;
  /** Bytes reserved from the budget; the owner releases them once the files are no longer needed. */
  readonly reservedBytes: number;
}

export function memorySink(budget: MemoryBudget): MemorySink {
  const files = new Map<string, Buffer>();
  let reserved = 0;
  const unreserve = (bytes: number): void => {
    budget.release(bytes);
    reserved -= bytes;
  };
  return {
    files,
    get reservedBytes() {
      return reserved;
    },
    makeDir() {
      // Directories exist only as prefixes of file paths; the extractor already refuses file/directory clashes.
    },
    createFile(parts, size): SinkFile {
      if (!budget.tryReserve(size)) throw new OverMemoryBudget();
      reserved += size;
      const key = parts.join('/');
      // Unpooled, so the buffer owns its memory and can be transferred; only a completely written one is kept,
      // so its uninitialised bytes never escape.
      const buffer = Buffer.allocUnsafeSlow(size);
      let filled = 0;
      let kept = false;
      let released = false;
      return {
        write(chunk) {
          if (filled + chunk.length > size) throw corruptArchive(`entry ${JSON.stringify(key.slice(0, 200))} is longer than its header says`);
          chunk.copy(buffer, filled);
          filled += chunk.length;
        },
        finish() {
          if (filled !== size) throw corruptArchive(`entry ${JSON.stringify(key.slice(0, 200))} is shorter than its header says`);
          kept = true;
          files.set(key, buffer);
        },
        discard() {
          if (released) return;
          released = true;
          if (kept) files.delete(key);
          unreserve(size);
        },
      };
    },
    removeFile(parts) {
      const key = parts.join('/');
      const buffer = files.get(key);
      if (buffer === undefined) return;
      files.delete(key);
      unreserve(buffer.length);
    },
  };
}
