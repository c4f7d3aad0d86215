import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** A file's content, or a symbolic link to the given target. */
export type RepoEntry = string | { symlink: string };

export interface RepoCommit {
  files: Record<string, RepoEntry>;
  message?: string;
  /** Annotated tag pointing at this commit. */
  tag?: string;
  /** Submodule entries (path → commit id) added to the index without cloning anything. */
  gitlinks?: Record<string, string>;
}

export interface BareRepo {
  /** Path of the bare repository. */
  dir: string;
  /** file:// URL of the bare repository. */
  url: string;
  /** Commit ids, in the order given. */
  commits: string[];
}

/** Environment that keeps the test's git away from the developer's own configuration. */
export const TEST_GIT_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Assay Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Assay Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_TERMINAL_PROMPT: '0',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: TEST_GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function writeEntry(root: string, rel: string, entry: RepoEntry): void {
  const full = path.join(root, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  if (typeof entry === 'string') writeFileSync(full, entry);
  else symlinkSync(entry.symlink, full);
}

/**
 * Builds `<root>/<name>.git` (bare) from a list of commits on `main`. Later commits add to or
 * overwrite earlier files.
 */
export function makeBareRepo(root: string, name: string, commits: RepoCommit[]): BareRepo {
  const work = path.join(root, `${name}-work`);
  mkdirSync(work, { recursive: true });
  git(work, 'init', '--quiet', '--initial-branch=main');
  const ids: string[] = [];
  commits.forEach((commit, index) => {
    for (const [rel, entry] of Object.entries(commit.files)) writeEntry(work, rel, entry);
    git(work, 'add', '--all');
    for (const [rel, id] of Object.entries(commit.gitlinks ?? {})) git(work, 'update-index', '--add', '--cacheinfo', `160000,${id},${rel}`);
    git(work, 'commit', '--quiet', '--allow-empty', '-m', commit.message ?? `commit ${index + 1}`);
    ids.push(git(work, 'rev-parse', 'HEAD'));
    if (commit.tag !== undefined) git(work, 'tag', '-a', commit.tag, '-m', commit.tag);
  });
  const dir = path.join(root, `${name}.git`);
  git(root, 'clone', '--quiet', '--bare', work, dir);
  return { dir, url: pathToFileURL(dir).href, commits: ids };
}
