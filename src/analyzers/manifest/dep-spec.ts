/**
 * Classifies a dependency spec the way npm reads it (npm-package-arg's order of checks: file specs,
 * `npm:` aliases, hosted git, URLs by protocol, paths, then registry ranges and tags), plus the `link:`
 * and `workspace:` protocols that other package managers accept. Written here rather than imported
 * because npm-package-arg is only a transitive dependency and throws on specs we still need to report.
 */

export type DepSpecKind =
  /** A version, range or tag resolved through the registry. */
  | 'registry'
  /** `npm:other@range`: a registry package installed under another name. */
  | 'alias'
  /** A git repository: git+https, git+ssh, git://, hosted shortcuts, user/repo. */
  | 'git'
  /** An http(s) tarball URL. */
  | 'remote'
  /** A local directory or tarball (file:, paths). */
  | 'file'
  /** `link:` (yarn, pnpm). */
  | 'link'
  /** `workspace:` (pnpm, yarn): resolved inside the publisher's monorepo. */
  | 'workspace'
  /** Something npm would refuse (unknown protocol, not a string). */
  | 'invalid';

export interface DepSpec {
  kind: DepSpecKind;
  /** For remote and git URLs: true when fetched without TLS (http:, git:, git+http:). */
  insecure: boolean;
  /** For alias: the aliased package name. */
  target?: string;
}

const MAX_SPEC_CHARS = 2048;
const HOSTED_SHORTCUT = /^(?:github|gitlab|bitbucket|gist):/i;
const HOSTED_HOSTS = new Set(['github.com', 'gitlab.com', 'bitbucket.org', 'gist.github.com']);
const HAS_PROTOCOL = /^(?:git\+)?[a-z]{1,20}:/i;
const POSIX_FILE = /^(?:\.|~\/|\/|[a-zA-Z]:)/;
const FILE_TYPE = /\.(?:tgz|tar\.gz|tar)$/i;
// npm-package-arg's GitHub shorthand: user/repo with an optional #committish, no scope, no path.
const GITHUB_SHORTHAND = /^[^@%/\s.-][^:@%/\s]{0,100}\/[^@\s/%]{1,100}(?:#.{0,200})?$/;
// scp-like git remotes: git@host:path
const SCP_GIT = /^[^@\s/]{1,100}@[^:.\s/]{1,100}\.[^:\s]{1,200}:.{1,500}$/;

function spec(kind: DepSpecKind, insecure = false): DepSpec {
  return { kind, insecure };
}

/** A hosted-git URL (https://github.com/user/repo[.git][#ref]) is git, not a tarball, to npm. */
function isHostedRepoUrl(url: URL): boolean {
  if (!HOSTED_HOSTS.has(url.hostname.toLowerCase())) return false;
  const parts = url.pathname.split('/').filter((p) => p.length > 0);
  return parts.length === 2;
}

function fromUrl(raw: string): DepSpec {
  const lower = raw.toLowerCase();
  if (lower.startsWith('link:')) return spec('link');
  if (lower.startsWith('workspace:')) return spec('workspace');
  if (lower.startsWith('git+ssh:')) return spec('git');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return spec('invalid');
  }
  switch (url.protocol) {
    case 'git:':
    case 'git+http:':
      return spec('git', true);
    case 'git+https:':
    case 'git+rsync:':
    case 'git+ftp:':
    case 'git+file:':
      return spec('git');
    case 'http:':
      return isHostedRepoUrl(url) ? spec('git', true) : spec('remote', true);
    case 'https:':
      return isHostedRepoUrl(url) ? spec('git') : spec('remote');
    default:
      return spec('invalid');
  }
}

function fromAlias(raw: string): DepSpec {
  const rest = raw.slice(4);
  const at = rest.indexOf('@', 1);
  const name = at > 0 ? rest.slice(0, at) : rest;
  const sub = at > 0 ? rest.slice(at + 1) : '*';
  const inner = classifyDepSpec(sub);
  // npm refuses aliases of anything but registry packages.
  if (name.length === 0 || inner.kind !== 'registry') return spec('invalid');
  return { kind: 'alias', insecure: false, target: name };
}

export function classifyDepSpec(value: unknown): DepSpec {
  if (typeof value !== 'string') return spec('invalid');
  const raw = value.length > MAX_SPEC_CHARS ? value.slice(0, MAX_SPEC_CHARS) : value;
  const trimmed = raw.trim();
  if (trimmed.toLowerCase().startsWith('file:') || POSIX_FILE.test(trimmed)) return spec('file');
  if (trimmed.toLowerCase().startsWith('npm:')) return fromAlias(trimmed);
  if (HOSTED_SHORTCUT.test(trimmed) || GITHUB_SHORTHAND.test(trimmed) || SCP_GIT.test(trimmed)) return spec('git');
  if (HAS_PROTOCOL.test(trimmed)) return fromUrl(trimmed);
  if (trimmed.includes('/') || FILE_TYPE.test(trimmed)) return spec('file');
  return spec('registry');
}
