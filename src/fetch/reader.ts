import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { WorkspaceReader } from '../core/analyzer.js';
import type { AnalyzerLimits } from '../core/limits.js';
import type { WorkspaceFile } from '../core/workspace.js';

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
  if (file.omitted) throw new Error(`${file.path} was left out of the workspace (over the single-file cap)`);
  // O_NOFOLLOW: the listing holds regular files only, so a link here means the tree changed under us.
  const handle = await open(resolveInside(root, file.path), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(`${file.path} is not a regular file`);
    const length = Math.min(stat.size, maxBytes);
    const buffer = Buffer.alloc(length);
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
      if (file.size > limits.maxTextBytes) {
        throw new Error(`${file.path} is ${file.size} bytes, over the ${limits.maxTextBytes}-byte text cap`);
      }
      return (await readCapped(root, file, limits.maxTextBytes)).toString('utf8');
    },
    async readBytes(file, maxBytes = limits.maxTextBytes) {
      return readCapped(root, file, maxBytes);
    },
  };
}
