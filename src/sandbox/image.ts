/**
 * The offline image builder: a root filesystem assembled from this machine's own Node binary, strace, a
 * few shell tools, the shared libraries they need and a minimal /etc, streamed as a tar into the engine's
 * import endpoint. No base image and no registry are needed, which is what CI and air-gapped hosts have.
 * The tag carries a hash of every input, so an unchanged machine never rebuilds.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Header } from 'tar';
import { AssayError, errorMessage } from '../core/errors.js';
import type { DockerClient } from './docker.js';

const run = promisify(execFile);

export const SANDBOX_IMAGE_REPO = 'mcp-assay-sandbox';
export const SANDBOX_IMAGE_LATEST = `${SANDBOX_IMAGE_REPO}:latest`;
/** Bump when the layout below changes, so every machine rebuilds. */
const BUILDER_VERSION = '1';

export const SANDBOX_UID = 10001;
export const SANDBOX_USER = `${SANDBOX_UID}:${SANDBOX_UID}`;

/**
 * Paths inside the image that runs rely on. Scratch mount points exist in the image with the mode the
 * mount must have: on this engine a tmpfs mounted over an image directory takes that directory's mode.
 */
export const SANDBOX_PATHS = {
  node: '/usr/local/bin/node',
  strace: '/usr/bin/strace',
  sh: '/bin/sh',
  /** Scratch space, world-writable with the sticky bit. */
  tmp: '/tmp',
  /** The sandbox user's home (canary files go here), owned by the user, 0700. */
  home: '/home/sandbox',
  /** Where traces and harness logs are written, to be collected before removal. */
  out: '/out',
  /** The package under test (read-only bind mount). */
  pkg: '/pkg',
  /** The in-container harness (copied from sandbox/harness/). */
  harness: '/harness',
} as const;

export const SANDBOX_ENV_PATH = '/usr/local/bin:/usr/bin:/bin';

/** Extra tools the harness and install scripts may call; each is optional on the host. */
const TOOLS = ['sh', 'cat', 'sleep', 'env', 'ls', 'id'] as const;

export type ImageEntry =
  | { type: 'dir'; path: string; mode: number; uid?: number }
  | { type: 'file'; path: string; mode: number; source: string }
  | { type: 'text'; path: string; mode: number; text: string };

export interface ImagePlan {
  entries: ImageEntry[];
  /** sha256 over the builder version and every entry (path, mode, owner, content). */
  hash: string;
  tag: string;
}

export interface ImageBuildOptions {
  nodePath?: string;
  stracePath?: string;
  harnessDir?: string;
  signal?: AbortSignal;
}

function projectRoot(): string {
  // src/sandbox/image.ts and dist/sandbox/image.js both sit two levels under the project root.
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export function defaultHarnessDir(): string {
  return path.join(projectRoot(), 'sandbox', 'harness');
}

async function which(name: string): Promise<string | undefined> {
  for (const dir of ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return realpath(candidate);
  }
  return undefined;
}

/** The libraries and loader an ELF binary needs, as absolute paths the way the loader looks them up. */
export function parseLdd(output: string): string[] {
  const found = new Set<string>();
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    const arrow = /=>\s+(\/\S+)\s+\(0x[0-9a-f]+\)$/i.exec(line);
    if (arrow?.[1] !== undefined) { found.add(arrow[1]); continue; }
    const loader = /^(\/\S+)\s+\(0x[0-9a-f]+\)$/i.exec(line);
    if (loader?.[1] !== undefined) found.add(loader[1]);
  }
  return [...found].sort();
}

async function librariesOf(binary: string): Promise<string[]> {
  try {
    const { stdout } = await run('ldd', [binary], { timeout: 10_000, maxBuffer: 1024 * 1024 });
    return parseLdd(stdout);
  } catch (error) {
    // A static binary makes ldd exit non-zero with "not a dynamic executable": nothing to add.
    const text = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
    if (/not a dynamic executable|statically linked/.test(text)) return [];
    throw new AssayError('invalidInput', `ldd ${binary} failed: ${errorMessage(error)}`, { cause: error });
  }
}

const ETC: Record<string, string> = {
  '/etc/passwd': `root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:${SANDBOX_UID}:${SANDBOX_UID}:sandbox:${SANDBOX_PATHS.home}:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
  '/etc/group': `root:x:0:\nsandbox:x:${SANDBOX_UID}:\nnogroup:x:65534:\n`,
  '/etc/hosts': '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n',
  // Every name resolves through the harness's resolver on the container's own loopback.
  '/etc/resolv.conf': 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n',
  '/etc/nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files dns\n',
};

async function harnessEntries(dir: string): Promise<ImageEntry[]> {
  const entries: ImageEntry[] = [{ type: 'dir', path: SANDBOX_PATHS.harness, mode: 0o755 }];
  if (!existsSync(dir)) return entries;
  const walk = async (rel: string): Promise<void> => {
    const items = (await readdir(path.join(dir, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const item of items) {
      const childRel = rel === '' ? item.name : `${rel}/${item.name}`;
      const target = `${SANDBOX_PATHS.harness}/${childRel}`;
      if (item.isDirectory()) {
        entries.push({ type: 'dir', path: target, mode: 0o755 });
        await walk(childRel);
      } else if (item.isFile()) {
        entries.push({ type: 'file', path: target, mode: 0o644, source: path.join(dir, childRel) });
      }
    }
  };
  await walk('');
  return entries;
}

/** Every directory leading to the given paths, parents first. */
function parentDirs(paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    let dir = path.posix.dirname(p);
    while (dir !== '/' && dir !== '.') { dirs.add(dir); dir = path.posix.dirname(dir); }
  }
  return [...dirs].sort();
}

async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Lists what goes into the image and hashes it, without touching the engine. */
export async function planImage(options: ImageBuildOptions = {}): Promise<ImagePlan> {
  const nodeSource = await realpath(options.nodePath ?? process.execPath);
  const straceSource = options.stracePath ?? (await which('strace'));
  if (straceSource === undefined) throw new AssayError('notFound', 'strace is not installed on this machine (apt-get install strace)');
  const binaries: { path: string; source: string }[] = [
    { path: SANDBOX_PATHS.node, source: nodeSource },
    { path: SANDBOX_PATHS.strace, source: await realpath(straceSource) },
  ];
  for (const tool of TOOLS) {
    const source = await which(tool === 'sh' ? 'dash' : tool) ?? (tool === 'sh' ? await which('sh') : undefined);
    if (source !== undefined) binaries.push({ path: `/bin/${tool}`, source });
  }
  const libs = new Set<string>();
  for (const b of binaries) for (const lib of await librariesOf(b.source)) libs.add(lib);

  const files: ImageEntry[] = [
    ...binaries.map((b): ImageEntry => ({ type: 'file', path: b.path, mode: 0o755, source: b.source })),
    ...[...libs].sort().map((lib): ImageEntry => ({ type: 'file', path: lib, mode: 0o755, source: lib })),
    ...Object.entries(ETC).map(([p, text]): ImageEntry => ({ type: 'text', path: p, mode: 0o644, text })),
  ];
  const dirs: ImageEntry[] = [
    ...['/proc', '/sys', '/dev', '/etc', '/root', '/home'].map((p): ImageEntry => ({ type: 'dir', path: p, mode: 0o755 })),
    { type: 'dir', path: SANDBOX_PATHS.tmp, mode: 0o1777 },
    { type: 'dir', path: SANDBOX_PATHS.out, mode: 0o1777 },
    { type: 'dir', path: SANDBOX_PATHS.home, mode: 0o700, uid: SANDBOX_UID },
    { type: 'dir', path: SANDBOX_PATHS.pkg, mode: 0o755 },
  ];
  const explicit = new Set(dirs.map((d) => d.path));
  const implied = parentDirs(files.map((f) => f.path)).filter((d) => !explicit.has(d)).map((p): ImageEntry => ({ type: 'dir', path: p, mode: 0o755 }));
  const entries = [...dirs, ...implied, ...files, ...(await harnessEntries(options.harnessDir ?? defaultHarnessDir()))];
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const hash = createHash('sha256').update(`builder ${BUILDER_VERSION}\n`);
  for (const e of entries) {
    const content = e.type === 'file' ? await fileDigest(e.source) : e.type === 'text' ? createHash('sha256').update(e.text).digest('hex') : '-';
    hash.update(`${e.type} ${e.path} ${e.mode.toString(8)} ${e.type === 'dir' ? (e.uid ?? 0) : 0} ${content}\n`);
  }
  const digest = hash.digest('hex').slice(0, 16);
  return { entries, hash: digest, tag: `${SANDBOX_IMAGE_REPO}:${digest}` };
}

const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');

function header(entry: ImageEntry, size: number): Buffer {
  const name = entry.path.replace(/^\//, '') + (entry.type === 'dir' ? '/' : '');
  const owner = entry.type === 'dir' ? (entry.uid ?? 0) : 0;
  const h = new Header({ path: name, mode: entry.mode, uid: owner, gid: owner, size, mtime: FIXED_MTIME, type: entry.type === 'dir' ? 'Directory' : 'File', uname: '', gname: '' });
  const block = Buffer.alloc(512);
  if (h.encode(block, 0)) throw new AssayError('invalidInput', `image path too long for a plain tar header: ${entry.path}`);
  return block;
}

function padding(size: number): Buffer {
  const rest = size % 512;
  return Buffer.alloc(rest === 0 ? 0 : 512 - rest);
}

/** The root filesystem as a tar stream; file contents are read one at a time. */
export function imageTar(plan: ImagePlan): PassThrough {
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  const write = async (chunk: Buffer): Promise<void> => {
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  void (async () => {
    for (const entry of plan.entries) {
      if (entry.type === 'dir') { await write(header(entry, 0)); continue; }
      if (entry.type === 'text') {
        const body = Buffer.from(entry.text, 'utf8');
        await write(header(entry, body.length));
        await write(Buffer.concat([body, padding(body.length)]));
        continue;
      }
      const { size } = await stat(entry.source);
      await write(header(entry, size));
      let sent = 0;
      for await (const chunk of createReadStream(entry.source)) { sent += (chunk as Buffer).length; await write(chunk as Buffer); }
      if (sent !== size) throw new AssayError('invalidInput', `${entry.source} changed while the image was being built`);
      await write(padding(size));
    }
    await write(Buffer.alloc(1024));
    out.end();
  })().catch((error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))));
  return out;
}

export interface BuildResult {
  tag: string;
  hash: string;
  built: boolean;
  entries: number;
}

/** Builds and tags the image unless one with the same input hash is already present. */
export async function buildImage(docker: DockerClient, options: ImageBuildOptions & { force?: boolean } = {}): Promise<BuildResult> {
  const plan = await planImage(options);
  const signal = options.signal ?? AbortSignal.timeout(10 * 60_000);
  if (options.force !== true && (await docker.imageExists(plan.tag, signal))) {
    await docker.tagImage(plan.tag, SANDBOX_IMAGE_REPO, 'latest', signal);
    return { tag: plan.tag, hash: plan.hash, built: false, entries: plan.entries.length };
  }
  await docker.importTar(imageTar(plan), {
    repo: SANDBOX_IMAGE_REPO,
    tag: plan.hash,
    changes: [`ENV PATH=${SANDBOX_ENV_PATH}`, `USER ${SANDBOX_USER}`, `WORKDIR ${SANDBOX_PATHS.home}`, `LABEL mcp-assay.image-hash=${plan.hash}`],
    signal,
  });
  await docker.tagImage(plan.tag, SANDBOX_IMAGE_REPO, 'latest', signal);
  return { tag: plan.tag, hash: plan.hash, built: true, entries: plan.entries.length };
}

