import path from 'node:path';
import { AssayError } from '../../core/errors.js';
import { redactSecrets } from '../../core/text.js';
import type { JsonValue } from './jsonc.js';

export const CLIENT_IDS = ['claude-desktop', 'cursor', 'vscode', 'windsurf', 'claude-code', 'mcpd'] as const;
export type ClientId = (typeof CLIENT_IDS)[number];

/**
 * One server as a client config declares it. Secret values (env values, header values, URL query and
 * user info) are dropped while parsing: only their names survive, so they can never be printed or stored.
 */
export interface ConfiguredServer {
  client: ClientId;
  file: string;
  name: string;
  command?: string;
  args?: string[];
  url?: string;
  /** mcpd's `runtime::package@version` form, kept whole; to-target reads the runtime prefix. */
  package?: string;
  /** Working directory the client starts the command in, when the config names one. */
  cwd?: string;
  envNames: string[];
  headerNames: string[];
  /** Tools the client lets the model use, when the config has a per-tool allow-list. */
  allowTools?: string[];
}

/** Where the current user's and project's configs live; injected so tests never read the real HOME. */
export interface PathEnv {
  home: string;
  cwd: string;
  platform: NodeJS.Platform;
  appData?: string | undefined;
  xdgConfigHome?: string | undefined;
}

export interface ClientConfigReader {
  client: ClientId;
  /** Short human label for listings. */
  label: string;
  /** Candidate files for this user and project, most specific last; missing ones are skipped by the caller. */
  defaultPaths(env: PathEnv): string[];
  /** True when a file given on the command line is this client's config (by its name and folder). */
  recognizes(file: string): boolean;
  /** Parses the file's text; throws an `invalidInput` AssayError naming file and line:col. */
  parse(text: string, file: string): ConfiguredServer[];
}

export const LIMITS = {
  maxFileBytes: 1024 * 1024,
  maxServers: 256,
  maxArgs: 256,
  maxString: 4096,
  maxNames: 256,
} as const;

export function pathEnvFromProcess(): PathEnv {
  return { home: process.env.HOME ?? process.env.USERPROFILE ?? '', cwd: process.cwd(), platform: process.platform, appData: process.env.APPDATA, xdgConfigHome: process.env.XDG_CONFIG_HOME };
}

/** The per-user application data folder: Application Support on macOS, APPDATA on Windows, XDG on Linux. */
export function appDataDir(env: PathEnv): string {
  const p = env.platform === 'win32' ? path.win32 : path.posix;
  if (env.platform === 'darwin') return p.join(env.home, 'Library', 'Application Support');
  if (env.platform === 'win32') return env.appData ?? p.join(env.home, 'AppData', 'Roaming');
  return env.xdgConfigHome ?? p.join(env.home, '.config');
}

export function joinFor(env: PathEnv, ...parts: string[]): string {
  return (env.platform === 'win32' ? path.win32 : path.posix).join(...parts);
}

export function invalid(file: string, message: string): AssayError {
  return new AssayError('invalidInput', `${file}: ${message}`);
}

export function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bounded(text: string): string {
  return text.length > LIMITS.maxString ? `${text.slice(0, LIMITS.maxString - 1)}…` : text;
}

function stringOf(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' ? bounded(value) : undefined;
}

function stringList(value: JsonValue | undefined, max: number): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.slice(0, max).filter((v): v is string => typeof v === 'string').map(bounded);
}

function keysOf(value: JsonValue | undefined): string[] {
  return isObject(value) ? Object.keys(value).slice(0, LIMITS.maxNames).map(bounded) : [];
}

/** Origin and path only: a token in the query string or user info is a secret value. */
export function stripUrlSecrets(url: string): string {
  if (!URL.canParse(url)) return redactSecrets(url);
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/**
 * The common `{ name: { command, args, env, url, headers } }` shape most clients share. Unknown fields
 * are ignored; a server entry that is not an object is an error naming it.
 */
export function serversFromMap(client: ClientId, file: string, map: JsonValue | undefined, where: string): ConfiguredServer[] {
  if (map === undefined) return [];
  if (!isObject(map)) throw invalid(file, `${where} must be an object of servers`);
  const out: ConfiguredServer[] = [];
  for (const [name, entry] of Object.entries(map).slice(0, LIMITS.maxServers)) {
    if (!isObject(entry)) throw invalid(file, `${where}.${JSON.stringify(name)} must be an object`);
    const server: ConfiguredServer = { client, file, name: bounded(name), envNames: keysOf(entry.env), headerNames: keysOf(entry.headers) };
    const command = stringOf(entry.command);
    if (command !== undefined) server.command = command;
    const args = stringList(entry.args, LIMITS.maxArgs);
    if (args !== undefined) server.args = args.map((a) => redactSecrets(a));
    const url = stringOf(entry.url) ?? stringOf(entry.serverUrl);
    if (url !== undefined) server.url = stripUrlSecrets(url);
    const cwd = stringOf(entry.cwd);
    if (cwd !== undefined) server.cwd = cwd;
    const tools = stringList(entry.tools, LIMITS.maxNames);
    if (tools !== undefined) server.allowTools = tools;
    out.push(server);
  }
  return out;
}

/** Last path segments, `/` or `\` separated, for recognising a config by where it sits. */
export function tail(file: string, count: number): string[] {
  return file.split(/[\\/]+/).slice(-count);
}
