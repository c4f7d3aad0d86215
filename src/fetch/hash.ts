import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Workspace, WorkspaceContents } from '../core/workspace.js';
import { BINARY_EXECUTABLE_TYPES } from '../core/workspace.js';
import { resolveInside } from './reader.js';

const CHUNK = 1024 * 1024;

/** sha256 of one workspace file, read in chunks inside the root and never through a link. */
export async function sha256Of(root: string, relative: string, signal: AbortSignal): Promise<string> {
  const handle = await open(resolveInside(root, relative), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.alloc(CHUNK);
    for (;;) {
      signal.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/**
 * Hashes of the executables identified by content (ELF, PE, Mach-O, wasm), so a report names each binary
 * it found precisely enough to look it up elsewhere. Omitted files were never written, so have no hash.
 */
export async function hashExecutables(workspace: Workspace, signal: AbortSignal, contents?: WorkspaceContents): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const file of workspace.files) {
    if (file.omitted || !BINARY_EXECUTABLE_TYPES.has(file.type)) continue;
    signal.throwIfAborted();
    hashes.set(file.path, await hashOne(workspace, file.path, signal, contents));
  }
  return hashes;
}

async function hashOne(workspace: Workspace, relative: string, signal: AbortSignal, contents: WorkspaceContents | undefined): Promise<string> {
  const bytes = contents?.get(relative);
  if (bytes !== undefined) return createHash('sha256').update(bytes).digest('hex');
  if (workspace.root === undefined) throw new Error(`${relative} is not in the workspace`);
  return sha256Of(workspace.root, relative, signal);
}
