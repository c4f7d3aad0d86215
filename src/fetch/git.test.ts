import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCategory } from '../core/errors.js';
import { DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import type { WorkspaceLimits } from '../core/limits.js';
import type { Target } from '../core/target.js';
import { fetchGit } from './git.js';
import { git, makeBareRepo } from './test-helpers/git-repo.js';
import type { BareRepo } from './test-helpers/git-repo.js';
import type { FetchContext, MadeWorkspace } from './workspace.js';
import { closedLoopbackPort, expectAssayError, rootOf } from './test-helpers/expect.js';

let tmp = '';
let repo: BareRepo;
let hostile: BareRepo;
let big: BareRepo;
let markerDir = '';

const LFS_POINTER = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n';

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'assay-git-'));
  markerDir = path.join(tmp, 'markers');
  await mkdir(markerDir);
  repo = makeBareRepo(tmp, 'server', [
    { files: { 'README.md': 'first\n', 'package.json': '{"name":"server","version":"1.0.0"}' }, tag: 'v1.0.0' },
    { files: { 'README.md': 'second\n', 'src/index.js': 'export {};\n' } },
  ]);
  git(path.join(tmp, 'server-work'), 'branch', 'feature', 'HEAD~1');
  git(path.join(tmp, 'server-work'), 'push', '--quiet', repo.dir, 'feature');
  const inner = makeBareRepo(tmp, 'inner', [{ files: { 'inner.txt': 'should never be fetched\n' } }]);
  hostile = makeBareRepo(tmp, 'hostile', [
    {
      files: {
        '.gitmodules': `[submodule "vendor/inner"]\n\tpath = vendor/inner\n\turl = ${inner.url}\n\tupdate = !touch ${path.join(markerDir, 'submodule-update')}\n`,
        '.gitattributes': '*.bin filter=lfs diff=lfs merge=lfs -text\n*.txt filter=evil\n',
        'model.bin': LFS_POINTER,
        'notes.txt': 'plain text\n',
        'escape': { symlink: '../../../../etc/passwd' },
      },
      gitlinks: { 'vendor/inner': inner.commits[0] ?? '' },
    },
  ]);
  big = makeBareRepo(tmp, 'big', [{ files: { 'noise.bin': randomBytes(512 * 1024).toString('base64'), 'zeros.txt': '0'.repeat(4 * 1024 * 1024) } }]);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function ctx(overrides: Partial<FetchContext> = {}, limits: Partial<WorkspaceLimits> = {}): FetchContext {
  return { limits: { ...DEFAULT_WORKSPACE_LIMITS, ...limits }, signal: AbortSignal.timeout(30_000), tmpDir: tmp, ...overrides };
}

function gitTarget(url: string, ref?: string): Target {
  return { kind: 'git', spec: ref === undefined ? url : `${url}#${ref}` };
}

async function fileText(made: MadeWorkspace, rel: string): Promise<string> {
  expect(made.workspace.files.map((f) => f.path)).toContain(rel);
  return readFile(path.join(rootOf(made.workspace), rel), 'utf8');
}

/** The clone keeps its git metadata beside the work tree: `git/` next to `tree/`. */
function gitDirOf(made: MadeWorkspace): string {
  return path.join(path.dirname(rootOf(made.workspace)), 'git');
}

describe('fetchGit', () => {
  const refs: [string, string | undefined, number, string][] = [
    ['default branch', undefined, 1, 'second\n'],
    ['branch', 'feature', 0, 'first\n'],
    ['annotated tag', 'v1.0.0', 0, 'first\n'],
  ];
  it.each(refs)('%s', async (_label, ref, commitIndex, readme) => {
    const made = await fetchGit(gitTarget(repo.url, ref), ctx());
    try {
      expect(made.workspace.commit).toBe(repo.commits[commitIndex]);
      expect(await fileText(made, 'README.md')).toBe(readme);
    } finally {
      await made.dispose();
    }
  });

  it('checks out a full commit id', async () => {
    const first = repo.commits[0] ?? '';
    const made = await fetchGit(gitTarget(repo.url, first), ctx());
    try {
      expect(made.workspace.commit).toBe(first);
      expect(made.workspace.files.map((f) => f.path)).not.toContain('src/index.js');
    } finally {
      await made.dispose();
    }
  });

  it('fetches shallow and keeps .git out of the workspace', async () => {
    const made = await fetchGit(gitTarget(repo.url), ctx());
    try {
      expect(existsSync(path.join(gitDirOf(made), 'shallow'))).toBe(true);
      expect(git(rootOf(made.workspace), '--git-dir', gitDirOf(made), 'rev-list', '--count', 'HEAD')).toBe('1');
      expect(made.workspace.files.some((f) => f.path === '.git' || f.path.startsWith('.git/'))).toBe(false);
    } finally {
      await made.dispose();
    }
  });

  it('removes the clone on dispose', async () => {
    const made = await fetchGit(gitTarget(repo.url), ctx());
    const cloneRoot = path.dirname(rootOf(made.workspace));
    expect(existsSync(cloneRoot)).toBe(true);
    await made.dispose();
    expect(existsSync(cloneRoot)).toBe(false);
  });

  const failures: [string, () => Promise<Target>, ErrorCategory, RegExp][] = [
    ['unknown ref', async () => gitTarget(repo.url, 'no-such-branch'), 'notFound', /^git ref not found: file:\/\/.*#no-such-branch$/],
    ['unknown commit', async () => gitTarget(repo.url, 'f'.repeat(40)), 'notFound', /^git ref not found: /],
    ['missing repository', async () => gitTarget(pathToFileURL(path.join(tmp, 'nope.git')).href), 'notFound', /^git repository not found or not accessible: file:\/\//],
    ['unreachable host', async () => gitTarget(`https://127.0.0.1:${await closedLoopbackPort()}/owner/repo.git`), 'network', /^git host unreachable: https:\/\/127\.0\.0\.1:\d+\/owner\/repo\.git$/],
  ];
  it.each(failures)('%s → %s', async (_label, target, category, message) => {
    const scratch = await mkdtemp(path.join(tmp, 'scratch-'));
    const error = await expectAssayError(fetchGit(await target(), ctx({ tmpDir: scratch })));
    expect(error.category).toBe(category);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
    // Whatever failed, nothing is left behind.
    expect(await readdir(scratch)).toEqual([]);
  });

  it('refuses a download over the archive cap', async () => {
    const scratch = await mkdtemp(path.join(tmp, 'scratch-'));
    const error = await expectAssayError(fetchGit(gitTarget(big.url), ctx({ tmpDir: scratch }, { maxArchiveBytes: 64 * 1024 })));
    expect(error.category).toBe('invalidInput');
    expect(error.message).toMatch(/--max-archive-size/);
    expect(await readdir(scratch)).toEqual([]);
  });

  it('refuses a checkout over the unpacked cap before writing it', async () => {
    const scratch = await mkdtemp(path.join(tmp, 'scratch-'));
    const error = await expectAssayError(fetchGit(gitTarget(big.url), ctx({ tmpDir: scratch }, { maxUnpackedBytes: 1024 * 1024 })));
    expect(error.category).toBe('invalidInput');
    expect(error.message).toMatch(/--max-unpacked-size/);
    expect(await readdir(scratch)).toEqual([]);
  });

  it('refuses a target that is not a valid git spec', async () => {
    const error = await expectAssayError(fetchGit({ kind: 'git', spec: 'ext::sh -c touch% /tmp/x' }, ctx()));
    expect(error.category).toBe('usage');
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(fetchGit(gitTarget(repo.url), ctx({ signal: controller.signal }))).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('fetchGit on a hostile repository', () => {
  const savedHome = process.env.HOME;
  const savedGlobal = process.env.GIT_CONFIG_GLOBAL;

  afterEach(() => {
    if (savedHome === undefined) delete process.env.HOME;
    else process.env.HOME = savedHome;
    if (savedGlobal === undefined) delete process.env.GIT_CONFIG_GLOBAL;
    else process.env.GIT_CONFIG_GLOBAL = savedGlobal;
  });

  it('runs no hook, filter or submodule and checks links out as plain files', async () => {
    // A user configuration that a hostile repository would love to lean on: a hooks directory with a
    // post-checkout hook, and a filter driver its .gitattributes names. Neither may run.
    const home = path.join(tmp, 'home');
    const hooks = path.join(home, 'hooks');
    await mkdir(hooks, { recursive: true });
    const hook = path.join(hooks, 'post-checkout');
    await writeFile(hook, `#!/bin/sh\ntouch ${path.join(markerDir, 'hook')}\n`);
    await chmod(hook, 0o755);
    const config = `[core]\n\thooksPath = ${hooks}\n[filter "evil"]\n\tsmudge = touch ${path.join(markerDir, 'filter')}; cat\n\trequired = true\n[filter "lfs"]\n\tsmudge = touch ${path.join(markerDir, 'lfs')}; cat\n\tprocess = touch ${path.join(markerDir, 'lfs-process')}\n\trequired = true\n`;
    await writeFile(path.join(home, '.gitconfig'), config);
    process.env.HOME = home;
    process.env.GIT_CONFIG_GLOBAL = path.join(home, '.gitconfig');

    const made = await fetchGit(gitTarget(hostile.url), ctx());
    try {
      const paths = made.workspace.files.map((f) => f.path);
      expect(await fileText(made, 'escape')).toBe('../../../../etc/passwd');
      expect(await fileText(made, 'model.bin')).toBe(LFS_POINTER);
      expect(await fileText(made, 'notes.txt')).toBe('plain text\n');
      expect(paths.some((p) => p.startsWith('vendor/inner/'))).toBe(false);
      expect(paths).not.toContain('vendor/inner/inner.txt');
    } finally {
      await made.dispose();
    }
    expect(await readdir(markerDir)).toEqual([]);
  });
});
