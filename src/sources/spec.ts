import { stat } from 'node:fs/promises';
import path from 'node:path';
import npa from 'npm-package-arg';
import { AssayError } from '../core/errors.js';
import type { Target } from '../core/target.js';

/** Longer input is not a spec anyone types; refusing it keeps every later check cheap. */
const MAX_SPEC_LENGTH = 2048;

const ACCEPTED_FORMS =
  'accepted: npm:<name>[@<version|range|tag>], a git URL (https://, git+https://, ssh://, git+ssh://, ' +
  'git@host:owner/repo, file://) with an optional #ref, a directory, or a .tgz/.tar.gz/.tar file';

// C0 controls, DEL, C1 controls: never part of a legitimate spec, and a newline or NUL can smuggle
// a second argument or line into whatever consumes the spec later.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

const REGISTRY_SPEC_TYPES: ReadonlySet<string> = new Set(['version', 'range', 'tag']);

export interface NpmSpec {
  name: string;
  /** Version, range or dist-tag; `latest` when none was given. */
  fetchSpec: string;
  type: 'version' | 'range' | 'tag';
}

export interface GitSpec {
  /** What git is handed: `git+` removed, scp-like form kept. */
  url: string;
  ref?: string;
}

function usage(message: string): AssayError {
  return new AssayError('usage', message);
}

/**
 * Parses what follows `npm:`. Only registry specs (version, range, tag) pass: anything else would make
 * the npm client fetch from a git host, a URL or the file system, or follow an alias elsewhere.
 */
export function parseNpmSpec(body: string): NpmSpec {
  const shown = JSON.stringify(body);
  if (body.length === 0) throw usage('npm: needs a package name, e.g. npm:some-mcp-server@1.2.3');
  let parsed: ReturnType<typeof npa>;
  try {
    // A fixed `where` so a file spec can never be resolved against the user's working directory.
    parsed = npa(body, '/');
  } catch (error) {
    throw usage(`invalid npm package spec ${shown}: ${firstLine(error)}`);
  }
  if (!REGISTRY_SPEC_TYPES.has(parsed.type) || parsed.name === null || parsed.name === undefined) {
    throw usage(
      `npm:${body} is not a registry package spec (got a ${parsed.type} spec); ` +
        'only npm:<name>[@<version|range|tag>] is accepted — fetch git repositories, files and URLs directly',
    );
  }
  const type = parsed.type as NpmSpec['type'];
  const hasExplicitSpec = body.indexOf('@', 1) > 0 && body.slice(body.indexOf('@', 1) + 1).length > 0;
  const fetchSpec = hasExplicitSpec && parsed.fetchSpec !== null ? parsed.fetchSpec : 'latest';
  return { name: parsed.name, fetchSpec, type: hasExplicitSpec ? type : 'tag' };
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0] ?? text;
}

/** Branch, tag or commit names as git itself would accept them, minus anything that reads as an option. */
const REF = /^[A-Za-z0-9_][A-Za-z0-9._/+-]{0,254}$/;

function validateRef(ref: string): string {
  if (!REF.test(ref) || ref.includes('..') || ref.includes('//') || ref.endsWith('/') || ref.endsWith('.') || ref.endsWith('.lock')) {
    throw usage(`invalid git ref ${JSON.stringify(ref)}: use a branch, tag or full commit id`);
  }
  return ref;
}

const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;

function validateHost(host: string, input: string): void {
  // A host starting with `-` is read as an option by ssh (ProxyCommand injection).
  if (!HOST.test(host)) throw usage(`invalid host in git URL ${JSON.stringify(input)}`);
}

function validateRepoPath(repoPath: string, input: string): void {
  const trimmed = repoPath.replace(/^\/+/, '');
  if (trimmed.length === 0) throw usage(`git URL has no repository path: ${JSON.stringify(input)}`);
  if (trimmed.startsWith('-')) throw usage(`invalid repository path in git URL ${JSON.stringify(input)}`);
}

function splitRef(input: string): { base: string; ref?: string } {
  const hash = input.indexOf('#');
  if (hash < 0) return { base: input };
  const ref = input.slice(hash + 1);
  const base = input.slice(0, hash);
  if (ref.length === 0) return { base };
  return { base, ref: validateRef(ref) };
}

function isTarballName(p: string): boolean {
  const lower = p.toLowerCase();
  return lower.endsWith('.tgz') || lower.endsWith('.tar.gz');
}

const SCP_LIKE = /^([A-Za-z0-9_][A-Za-z0-9._-]{0,63})@([^:/\s]{1,255}):(.{1,2000})$/;

function parseScpLike(base: string, input: string): string | undefined {
  const m = SCP_LIKE.exec(base);
  if (!m) return undefined;
  const [, user = '', host = '', repoPath = ''] = m;
  if (!USER.test(user)) throw usage(`invalid user in git URL ${JSON.stringify(input)}`);
  validateHost(host, input);
  validateRepoPath(repoPath, input);
  return base;
}

function parseUrlForm(base: string, input: string): string {
  const lower = base.toLowerCase();
  const stripped = lower.startsWith('git+') ? base.slice(4) : base;
  let url: URL;
  try {
    url = new URL(stripped);
  } catch {
    throw usage(`invalid git URL ${JSON.stringify(input)}`);
  }
  if (url.password !== '') throw usage('credentials in a git URL would end up in reports; configure a credential helper instead');
  if (url.search !== '') throw usage(`git URL must not carry a query string: ${JSON.stringify(input)}`);
  if (url.protocol === 'file:') {
    if (url.host !== '' && url.host !== 'localhost') throw usage(`file:// git URL must be local: ${JSON.stringify(input)}`);
    validateRepoPath(decodeURIComponent(url.pathname), input);
    return url.href;
  }
  if (url.username !== '' && !USER.test(decodeURIComponent(url.username))) {
    throw usage(`invalid user in git URL ${JSON.stringify(input)}`);
  }
  validateHost(url.hostname, input);
  validateRepoPath(decodeURIComponent(url.pathname), input);
  return url.href;
}

/** Parses a git target (URL plus optional `#ref`) and returns what git should be handed. */
export function parseGitSpec(input: string): GitSpec {
  const { base, ref } = splitRef(input);
  const scp = parseScpLike(base, input);
  const url = scp ?? parseUrlForm(base, input);
  return ref === undefined ? { url } : { url, ref };
}

/** Normalised form stored in Target.spec; `parseGitSpec` reads it back. */
export function formatGitSpec(spec: GitSpec): string {
  return spec.ref === undefined ? spec.url : `${spec.url}#${spec.ref}`;
}

type Scheme = 'npm' | 'git' | 'remote-tarball' | 'helper' | 'other' | 'scp' | 'none';

const GIT_SCHEMES: ReadonlySet<string> = new Set(['https', 'git+https', 'ssh', 'git+ssh', 'file']);

function schemeOf(input: string): { scheme: Scheme; name?: string } {
  if (input.startsWith('npm:')) return { scheme: 'npm' };
  // `<transport>::<address>` makes git run a remote helper (ext:: runs an arbitrary command).
  if (/^[A-Za-z0-9+.-]{1,40}::/.test(input)) return { scheme: 'helper' };
  if (SCP_LIKE.test(splitRefUnchecked(input))) return { scheme: 'scp' };
  const m = /^([A-Za-z][A-Za-z0-9+.-]{0,39}):/.exec(input);
  if (!m) return { scheme: 'none' };
  const name = (m[1] ?? '').toLowerCase();
  if (GIT_SCHEMES.has(name)) {
    const base = splitRefUnchecked(input);
    if ((name === 'https' || name === 'git+https') && isTarballName(safePathname(base))) return { scheme: 'remote-tarball' };
    return { scheme: 'git' };
  }
  if (name === 'http' && isTarballName(safePathname(splitRefUnchecked(input)))) return { scheme: 'remote-tarball' };
  return { scheme: 'other', name };
}

function splitRefUnchecked(input: string): string {
  const hash = input.indexOf('#');
  return hash < 0 ? input : input.slice(0, hash);
}

function safePathname(url: string): string {
  try {
    return new URL(url.toLowerCase().startsWith('git+') ? url.slice(4) : url).pathname;
  } catch {
    return url;
  }
}

async function statOrUndefined(p: string): Promise<Awaited<ReturnType<typeof stat>> | undefined> {
  try {
    return await stat(p);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw new AssayError('invalidInput', `cannot read ${p}: ${firstLine(error)}`, { cause: error });
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function isArchiveName(p: string): boolean {
  return isTarballName(p) || p.toLowerCase().endsWith('.tar');
}

async function parsePath(input: string, cwd: string, scheme: { scheme: Scheme; name?: string }): Promise<Target> {
  const absolute = path.resolve(cwd, input);
  const info = await statOrUndefined(absolute);
  if (info === undefined) {
    if (scheme.scheme === 'other') throw usage(`unsupported scheme "${scheme.name ?? ''}:" in ${JSON.stringify(input)}; ${ACCEPTED_FORMS}`);
    throw new AssayError('notFound', `no such file or directory: ${absolute}`);
  }
  if (info.isDirectory()) return { kind: 'dir', spec: absolute };
  if (info.isFile() && isArchiveName(absolute)) return { kind: 'tarball', spec: absolute };
  throw usage(`${absolute} is neither a directory nor a .tgz/.tar.gz/.tar file; ${ACCEPTED_FORMS}`);
}

function npmTarget(body: string): Target {
  const spec = parseNpmSpec(body);
  const target: Target = { kind: 'npm', spec: `npm:${spec.name}@${spec.fetchSpec}`, name: spec.name };
  if (spec.type === 'version') target.version = spec.fetchSpec;
  return target;
}

/** Turns what a user typed into a Target. Never touches the network; stats the path for local forms. */
export async function parseTargetSpec(input: string, opts: { cwd?: string } = {}): Promise<Target> {
  const text = input.trim();
  if (text.length === 0) throw usage(`empty target; ${ACCEPTED_FORMS}`);
  if (text.length > MAX_SPEC_LENGTH) throw usage(`target is longer than ${MAX_SPEC_LENGTH} characters`);
  if (CONTROL_CHARS.test(text)) throw usage('target contains control characters');
  const scheme = schemeOf(text);
  switch (scheme.scheme) {
    case 'npm':
      return npmTarget(text.slice(4));
    case 'helper':
      throw usage(`git remote-helper transports (<transport>::<address>) are not allowed; ${ACCEPTED_FORMS}`);
    case 'remote-tarball':
      throw usage('remote tarball URLs are not supported yet; download it and pass the file');
    case 'git':
    case 'scp':
      return { kind: 'git', spec: formatGitSpec(parseGitSpec(text)) };
    default:
      return parsePath(text, opts.cwd ?? process.cwd(), scheme);
  }
}
