import { AssayError } from '../core/errors.js';
import type { Target } from '../core/target.js';
import { fetchDirectory } from './dir.js';
import { fetchGit } from './git.js';
import type { GitFetchOptions } from './git.js';
import { fetchNpm } from './npm.js';
import type { NpmFetchOptions } from './npm.js';
import { fetchTarballFile } from './tarball.js';
import type { FetchContext, MadeWorkspace } from './workspace.js';

export type FetchWorkspaceOptions = FetchContext & NpmFetchOptions & GitFetchOptions;

/** Target → workspace, whatever its kind. The caller disposes of the result. */
export async function fetchWorkspace(target: Target, ctx: FetchWorkspaceOptions): Promise<MadeWorkspace> {
  switch (target.kind) {
    case 'npm':
      return fetchNpm(target, ctx);
    case 'git':
      return fetchGit(target, ctx);
    case 'tarball':
      return fetchTarballFile(target, ctx);
    case 'dir':
      return fetchDirectory(target, ctx);
    default:
      throw new AssayError('usage', `unknown target kind: ${JSON.stringify((target as { kind?: unknown }).kind)}`);
  }
}
