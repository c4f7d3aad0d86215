import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GitPluginError, simpleGit } from 'simple-git';
import type { SimpleGit } from 'simple-git';
import { AssayError } from '../core/errors.js';
import { formatBytes } from '../core/limits.js';
import type { Target } from '../core/target.js';
import { parseGitSpec } from '../sources/spec.js';
import type { GitSpec } from '../sources/spec.js';
import { abortReason, workspaceFromDirectory } from './workspace.js';
import type { FetchContext, MadeWorkspace } from './workspace.js';

export interface GitFetchOptions {
  /** Kill a git process that has been silent this long. The whole fetch is bounded by ctx.signal. */
  idleTimeoutMs?: number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
const SIZE_POLL_MS = 250;

/**
 * `-c` settings on every git command. Each closes a way for the fetched repository (or a setting it
 * could lean on) to run code or reach further than the one URL:
 */
const SAFE_CONFIG: readonly string[] = [
  // No hook runs, whatever a template or the user's configuration would install.
  'core.hooksPath=/dev/null',
  // Links are checked out as plain files holding the target, so nothing can point outside the tree.
  'core.symlinks=false',
  // No file-system monitor daemon is started for the new work tree.
  'core.fsmonitor=false',
  // The ext:: transport runs an arbitrary command (also blocked by GIT_ALLOW_PROTOCOL below).
  'protocol.ext.allow=never',
  // Submodules would fetch other URLs (and their update commands can run shell).
  'submodule.recurse=false',
  'fetch.recurseSubmodules=false',
  // LFS smudging downloads more content and runs the git-lfs binary; pointer files are enough for us.
  'filter.lfs.smudge=',
  'filter.lfs.process=',
  'filter.lfs.required=false',
  // Quiet: no detached-HEAD advice from checkout, no default-branch hint from init.
  'advice.detachedHead=false',
  'init.defaultBranch=main',
];

/** What git may inherit from our environment: enough to find binaries, the user's ssh agent and proxies. */
const INHERITED_ENV: ReadonlySet<string> = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'TMPDIR',
  'TZ',
  'SYSTEMROOT',
  'SSH_AUTH_SOCK',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
]);

/**
 * The child's environment, built from an allowlist: a stray GIT_DIR, GIT_CONFIG_*, EDITOR or PAGER
 * from the caller would redirect git or name a program for it to run. Then:
 */
function gitEnv(gitDir: string, workTree: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && INHERITED_ENV.has(key)) env[key] = value;
  }
  return {
    ...env,
    // English messages, so failures are classified the same on every machine.
    LC_ALL: 'C',
    // Repository metadata lives beside the work tree, not in it: analyzers never see `.git`.
    GIT_DIR: gitDir,
    GIT_WORK_TREE: workTree,
    // No system or user configuration: a `.gitattributes` in the repository can then only name filter,
    // diff or merge drivers that do not exist, and no user-level hook, alias or URL rewrite applies.
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    // Only these transports, redirects included; ext::, fd:: and other remote helpers are refused.
    GIT_ALLOW_PROTOCOL: 'https:ssh:file',
    // Never wait for a password or a yes/no on a terminal.
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASK_YESNO: 'false',
    // ssh must not prompt either (host key confirmation, passphrases).
    GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
    // If git-lfs is installed as a filter anyway, it leaves pointer files alone.
    GIT_LFS_SKIP_SMUDGE: '1',
  };
}


function gitClient(workTree: string, env: Record<string, string>, signal: AbortSignal, idleMs: number): SimpleGit {
  return simpleGit({
    baseDir: workTree,
    config: [...SAFE_CONFIG],
    abort: signal,
    timeout: { block: idleMs },
    allowEnvironment: Object.keys(env).filter((key) => key.toUpperCase().startsWith('GIT_')),
    // simple-git refuses these settings by default because a caller could pass attacker-chosen values.
    // Here every one is a fixed, protective value of ours; the URL and ref are validated and come after `--`.
    unsafe: {
      allowUnsafeTemplateDir: true,
      allowUnsafeHooksPath: true,
      allowUnsafeProtocolOverride: true,
      allowUnsafeConfigPaths: true,
      allowUnsafeFilter: true,
      allowUnsafeSshCommand: true,
      allowUnsafeFsMonitor: true,
    },
  }).env(env);
}

/** Bytes under a directory, walked without following links. */
async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(full);
    else if (entry.isFile()) total += await stat(full).then((s) => s.size, () => 0);
  }
  return total;
}

/** Watches the object store while git downloads and aborts once it passes the archive cap. */
function watchDownloadSize(objectsDir: string, max: number, onOverflow: () => void): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async (): Promise<void> => {
    if (stopped) return;
    if ((await directoryBytes(objectsDir)) > max) {
      onOverflow();
      return;
    }
    if (!stopped) timer = setTimeout(() => void tick(), SIZE_POLL_MS);
  };
  timer = setTimeout(() => void tick(), SIZE_POLL_MS);
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}

const NETWORK_PATTERNS: readonly string[] = [
  'could not resolve host',
  'could not resolve hostname',
  'name or service not known',
  'temporary failure in name resolution',
  'failed to connect',
  "couldn't connect to server",
  'connection refused',
  'connection timed out',
  'operation timed out',
  'network is unreachable',
  'no route to host',
  'connection reset',
  'ssl certificate',
  'ssl_',
  'gnutls',
  'tls handshake',
  'certificate verification failed',
  'early eof',
  'the remote end hung up unexpectedly',
];

const NOT_FOUND_PATTERNS: readonly string[] = [
  'does not appear to be a git repository',
  'repository not found',
  'http 404',
  'error: 404',
  'does not exist',
  "couldn't find remote ref",
  'not our ref',
  'unadvertised object',
  'could not read username',
  'terminal prompts disabled',
  'authentication failed',
  'permission denied',
  'access denied',
];

function namesOf(spec: GitSpec): string[] {
  if (!spec.url.startsWith('file:')) return [spec.url];
  try {
    return [spec.url, fileURLToPath(spec.url)];
  } catch {
    return [spec.url];
  }
}

/** Git's message without the URL itself, so a host or path name cannot steer the classification. */
function gitOutput(error: unknown, spec: GitSpec): string {
  const text = error instanceof Error ? error.message : String(error);
  // Bounded before any matching: part of this is text a remote server chose.
  let bounded = text.slice(0, 8192);
  for (const name of namesOf(spec)) bounded = bounded.split(name).join(' ');
  return bounded.toLowerCase();
}

function classifyGitError(error: unknown, spec: GitSpec, idleMs: number): Error {
  if (error instanceof GitPluginError) {
    if (error.plugin === 'timeout') {
      return new AssayError('network', `git stalled for ${Math.round(idleMs / 1000)}s: ${spec.url}`, { cause: error });
    }
    // A refusal by simple-git itself is our bug, not the repository's: let it surface as internal.
    return error;
  }
  const output = gitOutput(error, spec);
  const where = spec.ref === undefined ? spec.url : `${spec.url}#${spec.ref}`;
  if (NETWORK_PATTERNS.some((p) => output.includes(p))) {
    return new AssayError('network', `git host unreachable: ${spec.url}`, { cause: error });
  }
  if (output.includes("couldn't find remote ref") || output.includes('not our ref') || output.includes('unadvertised object')) {
    return new AssayError('notFound', `git ref not found: ${where}`, { cause: error });
  }
  if (NOT_FOUND_PATTERNS.some((p) => output.includes(p))) {
    return new AssayError('notFound', `git repository not found or not accessible: ${spec.url}`, { cause: error });
  }
  if (output.includes('transport') && output.includes('not allowed')) {
    return new AssayError('usage', `git transport not allowed: ${spec.url}`, { cause: error });
  }
  return new AssayError('network', `git fetch failed: ${where}`, { cause: error });
}

/** Bytes of the blobs the checkout would write, read from the tree before anything is written. */
async function treeBytes(git: SimpleGit): Promise<number> {
  const listing = await git.raw(['ls-tree', '-r', '-l', '-z', '--full-tree', 'FETCH_HEAD']);
  let bytes = 0;
  for (const record of listing.split('\0')) {
    // `<mode> <type> <object> <size>\t<path>`; submodules show `-` as their size.
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const size = Number(record.slice(0, tab).trim().split(' ').pop());
    if (Number.isSafeInteger(size)) bytes += size;
  }
  return bytes;
}

/** Past the fetch, a failure is about the content (a path git cannot write), never the network. */
async function checkout(git: SimpleGit, spec: GitSpec): Promise<string> {
  try {
    await git.raw(['checkout', '--quiet', '--detach', 'FETCH_HEAD', '--']);
    return (await git.raw(['rev-parse', 'HEAD'])).trim();
  } catch (error) {
    if (error instanceof GitPluginError) throw error;
    const where = spec.ref === undefined ? spec.url : `${spec.url}#${spec.ref}`;
    throw new AssayError('invalidInput', `git could not check out ${where}`, { cause: error });
  }
}

interface Clone {
  root: string;
  workTree: string;
  commit: string;
}

async function cloneShallow(spec: GitSpec, ctx: FetchContext & GitFetchOptions, root: string): Promise<Clone> {
  const gitDir = path.join(root, 'git');
  const workTree = path.join(root, 'tree');
  await mkdir(workTree);
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let overflow = false;
  const idleMs = ctx.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const git = gitClient(workTree, gitEnv(gitDir, workTree), controller.signal, idleMs);
  try {
    // An empty template: no sample hooks, nothing copied from the system's template directory.
    await git.raw(['init', '--quiet', '--template=']);
    const stopWatching = watchDownloadSize(path.join(gitDir, 'objects'), ctx.limits.maxArchiveBytes, () => {
      overflow = true;
      controller.abort();
    });
    try {
      // --progress keeps stderr flowing on a long download, so the idle timer measures a stall, not size.
      await git.raw(['fetch', '--progress', '--depth', '1', '--no-tags', '--no-recurse-submodules', '--', spec.url, spec.ref ?? 'HEAD']);
    } finally {
      stopWatching();
    }
    // A fast fetch can finish between two polls.
    if ((await directoryBytes(path.join(gitDir, 'objects'))) > ctx.limits.maxArchiveBytes) overflow = true;
    if (overflow) throw new Error('over the archive cap');
    const bytes = await treeBytes(git);
    if (bytes > ctx.limits.maxUnpackedBytes) {
      throw new AssayError(
        'invalidInput',
        `the checkout would be ${formatBytes(bytes)}, over the unpacked size cap of ${formatBytes(ctx.limits.maxUnpackedBytes)}; raise it with --max-unpacked-size`,
      );
    }
    return { root, workTree, commit: await checkout(git, spec) };
  } catch (error) {
    if (overflow) {
      throw new AssayError(
        'invalidInput',
        `the repository download is over the archive size cap of ${formatBytes(ctx.limits.maxArchiveBytes)}; raise it with --max-archive-size`,
      );
    }
    if (ctx.signal.aborted) throw abortReason(ctx.signal);
    if (error instanceof AssayError) throw error;
    throw classifyGitError(error, spec, idleMs);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

function specOfTarget(target: Target): GitSpec {
  if (target.kind !== 'git') throw new AssayError('usage', `not a git target: ${JSON.stringify(target.spec)}`);
  // Re-validated here, not trusted from the caller: no option-like host, path or ref reaches git.
  return parseGitSpec(target.spec);
}

/**
 * Fetches one commit (shallow) into a private temp dir with hooks, submodules, LFS, links and user
 * configuration out of play, then makes a workspace of the checked-out tree. dispose() deletes it all.
 */
export async function fetchGit(target: Target, ctx: FetchContext & GitFetchOptions): Promise<MadeWorkspace> {
  const spec = specOfTarget(target);
  if (ctx.signal.aborted) throw abortReason(ctx.signal);
  const root = await mkdtemp(path.join(ctx.tmpDir ?? os.tmpdir(), 'mcp-assay-git-'));
  const removeRoot = (): Promise<void> => rm(root, { recursive: true, force: true, maxRetries: 3 });
  try {
    const clone = await cloneShallow(spec, ctx, root);
    const made = await workspaceFromDirectory(clone.workTree, target, { commit: clone.commit }, ctx);
    return {
      workspace: made.workspace,
      async dispose() {
        try {
          await made.dispose();
        } finally {
          await removeRoot();
        }
      },
    };
  } catch (error) {
    await removeRoot();
    throw error;
  }
}
