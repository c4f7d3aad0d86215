import path from 'node:path';
import { AssayError } from '../../core/errors.js';
import type { Target } from '../../core/target.js';
import { parseNpmSpec } from '../spec.js';
import type { ConfiguredServer } from './types.js';

export const NOTE_KINDS = ['unpinned', 'unsupported', 'remote', 'unknown'] as const;
export type NoteKind = (typeof NOTE_KINDS)[number];

/** What `check` cannot vouch for about a server, said plainly. An unpinned version counts: it can change under you. */
export interface TargetNote {
  kind: NoteKind;
  message: string;
}

export interface ServerTarget {
  server: ConfiguredServer;
  /** What the client starts, for display: the command line, the mcpd package or the URL. */
  runs: string;
  target?: Target;
  notes: TargetNote[];
}

const MAX_RUNS_CHARS = 160;

/** Options of each launcher that take a value, so the value is not mistaken for the package. */
const VALUE_OPTIONS: Record<string, ReadonlySet<string>> = {
  npx: new Set(['-p', '--package', '-c', '--call', '--registry', '--cache', '--userconfig', '-w', '--workspace']),
  bunx: new Set(['-p', '--package']),
  'pnpm dlx': new Set(['-c', '--shell-mode']),
  'yarn dlx': new Set(['-p', '--package']),
  node: new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '--env-file', '-C', '--conditions']),
  docker: new Set(['-e', '--env', '--env-file', '-v', '--volume', '--name', '-p', '--publish', '--network', '-w', '--workdir', '-u', '--user', '--mount', '--entrypoint', '-l', '--label', '--platform', '--pull', '-m', '--memory', '--cpus', '--add-host', '--cap-add', '--cap-drop', '--security-opt', '--tmpfs', '--ulimit', '--hostname', '-h']),
};

const PYTHON = new Set(['uvx', 'uv', 'python', 'python3', 'pipx', 'pip']);

function note(kind: NoteKind, message: string): TargetNote {
  return { kind, message };
}

function runsOf(parts: readonly string[]): string {
  const text = parts.map((p) => (/[\s"']/.test(p) || p === '' ? JSON.stringify(p) : p)).join(' ');
  return text.length > MAX_RUNS_CHARS ? `${text.slice(0, MAX_RUNS_CHARS - 1)}…` : text;
}

/** `npx.cmd`, `C:\\…\\node.exe`, `/usr/local/bin/npx` → the launcher's own name. */
function launcherName(command: string): string {
  return path.win32.basename(path.posix.basename(command)).replace(/\.(cmd|exe|bat|ps1)$/i, '').toLowerCase();
}

/** The first positional argument, skipping options; `--package x` / `--package=x` wins when given. */
function packageArg(args: readonly string[], valueOptions: ReadonlySet<string>): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') return args[i + 1];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if ((flag === '--package' || flag === '-p') && valueOptions.has(flag)) return inline ?? args[i + 1];
    if (!arg.startsWith('-')) return arg;
    if (inline === undefined && valueOptions.has(flag)) i++;
  }
  return undefined;
}

/** A registry package spec → an npm Target, with a note when the version is not pinned. */
export function npmTarget(spec: string): { target?: Target; notes: TargetNote[] } {
  let parsed: ReturnType<typeof parseNpmSpec>;
  try {
    parsed = parseNpmSpec(spec);
  } catch (error) {
    const reason = error instanceof AssayError ? error.message : 'not a package spec';
    return { notes: [note('unsupported', `cannot scan ${JSON.stringify(spec)}: ${reason}`)] };
  }
  const target: Target = { kind: 'npm', spec: `npm:${parsed.name}@${parsed.fetchSpec}`, name: parsed.name };
  if (parsed.type === 'version') {
    target.version = parsed.fetchSpec;
    return { target, notes: [] };
  }
  return { target, notes: [note('unpinned', `version not pinned (${parsed.fetchSpec}): can change under you; pin an exact version`)] };
}

function launcherTarget(launcher: string, args: readonly string[]): { target?: Target; notes: TargetNote[] } {
  const pkg = packageArg(args, VALUE_OPTIONS[launcher] ?? new Set());
  if (pkg === undefined) return { notes: [note('unknown', `${launcher} without a package: nothing to scan`)] };
  return npmTarget(pkg);
}

/** `node path/to/server.js` → the folder holding it; relative paths resolve against the server's cwd or the config's folder. */
function nodeTarget(server: ConfiguredServer, args: readonly string[]): { target?: Target; notes: TargetNote[] } {
  const script = packageArg(args, VALUE_OPTIONS.node ?? new Set());
  if (script === undefined) return { notes: [note('unknown', 'node without a script: nothing to scan')] };
  const base = server.cwd ?? path.dirname(server.file);
  const full = path.resolve(base, script);
  const dir = /\.(c|m)?[jt]s$/i.test(full) ? path.dirname(full) : full;
  return { target: { kind: 'dir', spec: dir }, notes: [] };
}

function dockerNotes(args: readonly string[]): TargetNote[] {
  const run = args.indexOf('run');
  const image = run < 0 ? undefined : packageArg(args.slice(run + 1), VALUE_OPTIONS.docker ?? new Set());
  return [note('unsupported', `Docker image ${image === undefined ? '(unknown)' : JSON.stringify(image)}: scanning container images is not supported yet`)];
}

function fromCommand(server: ConfiguredServer, command: string, rawArgs: readonly string[]): { target?: Target; notes: TargetNote[] } {
  let launcher = launcherName(command);
  let args = rawArgs;
  // Windows configs often wrap the launcher: `cmd /c npx -y pkg`.
  if (launcher === 'cmd' && (args[0] ?? '').toLowerCase() === '/c' && args[1] !== undefined) {
    launcher = launcherName(args[1]);
    args = args.slice(2);
  }
  if ((launcher === 'pnpm' || launcher === 'yarn') && args[0] === 'dlx') return launcherTarget(`${launcher} dlx`, args.slice(1));
  if (launcher === 'pnpx') return launcherTarget('pnpm dlx', args);
  if (launcher === 'npx' || launcher === 'bunx') return launcherTarget(launcher, args);
  if (launcher === 'bun' && args[0] === 'x') return launcherTarget('bunx', args.slice(1));
  if (launcher === 'node' || launcher === 'nodejs') return nodeTarget(server, args);
  if (PYTHON.has(launcher)) return { notes: [note('unsupported', `Python server (${launcher}): scanning Python packages is not supported yet`)] };
  if (launcher === 'docker' || launcher === 'podman') return { notes: dockerNotes(args) };
  return { notes: [note('unknown', `runs ${JSON.stringify(launcher)}: not a launcher mcp-assay knows how to fetch`)] };
}

/** mcpd's `runtime::package@version`. */
function fromPackage(pkg: string): { target?: Target; notes: TargetNote[] } {
  const sep = pkg.indexOf('::');
  const runtime = sep < 0 ? '' : pkg.slice(0, sep);
  const name = sep < 0 ? pkg : pkg.slice(sep + 2);
  if (runtime === 'npx') return npmTarget(name);
  if (runtime === 'uvx') return { notes: [note('unsupported', `Python package ${JSON.stringify(name)} (uvx): scanning Python packages is not supported yet`)] };
  if (runtime === 'docker') return { notes: [note('unsupported', `Docker image ${JSON.stringify(name)}: scanning container images is not supported yet`)] };
  return { notes: [note('unknown', `unknown mcpd runtime ${JSON.stringify(runtime)}`)] };
}

/** A configured server → what to scan, what it runs, and what cannot be known about it. */
export function toTarget(server: ConfiguredServer): ServerTarget {
  if (server.package !== undefined) return { server, runs: runsOf([server.package]), ...fromPackage(server.package) };
  if (server.command !== undefined) {
    const args = server.args ?? [];
    return { server, runs: runsOf([server.command, ...args]), ...fromCommand(server, server.command, args) };
  }
  if (server.url !== undefined) return { server, runs: server.url, notes: [note('remote', 'remote server: its code is not available to scan')] };
  return { server, runs: '-', notes: [note('unknown', 'no command, package or url in the config')] };
}
