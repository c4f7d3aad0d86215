import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { AssayError } from '../core/errors.js';
import type { Target } from '../core/target.js';
import { detectArchiveFormat } from './extract.js';
import { fetchTarballFile } from './tarball.js';
import { type FetchContext, type MadeWorkspace, workspaceFromDirectory } from './workspace.js';

const HEAD_BYTES = 512;

async function readHead(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * A directory target (target.spec is its path), used in place. A path naming a .tgz/.tar file is
 * extracted as a tarball instead, since that is what the user meant.
 */
export async function fetchDirectory(target: Target, ctx: FetchContext): Promise<MadeWorkspace> {
  ctx.signal.throwIfAborted();
  const dir = path.resolve(target.spec);
  let stats;
  try {
    stats = await stat(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new AssayError('notFound', `directory not found: ${target.spec}`);
    throw error;
  }
  if (stats.isDirectory()) return workspaceFromDirectory(dir, target, {}, ctx);
  if (stats.isFile() && detectArchiveFormat(await readHead(dir)) !== undefined) return fetchTarballFile(target, ctx);
  const what = stats.isFile() ? 'a file that is not a .tgz/.tar archive' : 'not a directory';
  throw new AssayError('invalidInput', `${target.spec} is ${what}`);
}
