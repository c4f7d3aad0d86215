import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { AssayError } from '../../core/errors.js';
import { escapeTerminal } from '../../core/text.js';
import { claudeCodeReader } from './claude-code.js';
import { claudeDesktopReader } from './claude-desktop.js';
import { cursorReader } from './cursor.js';
import { mcpdReader } from './mcpd.js';
import type { ClientConfigReader, ConfiguredServer, PathEnv } from './types.js';
import { LIMITS } from './types.js';
import { vscodeReader } from './vscode.js';
import { windsurfReader } from './windsurf.js';

export type { ClientConfigReader, ClientId, ConfiguredServer, PathEnv } from './types.js';
export { CLIENT_IDS, pathEnvFromProcess } from './types.js';

/** Every client whose config `check` reads; one module each in this folder (a test keeps them in step). */
export const CLIENT_CONFIG_READERS: readonly ClientConfigReader[] = [claudeDesktopReader, cursorReader, vscodeReader, windsurfReader, claudeCodeReader, mcpdReader];

export function readerFor(file: string): ClientConfigReader | undefined {
  return CLIENT_CONFIG_READERS.find((r) => r.recognizes(file));
}

/** A file name as it may be printed: package-free, but a user's folder names can hold anything. */
export function shownPath(file: string): string {
  return escapeTerminal(file);
}

/** Reads at most the size cap from a regular file; a FIFO or device is refused before it is opened. */
export async function readConfigText(file: string, maxBytes: number = LIMITS.maxFileBytes): Promise<string> {
  const info = await stat(file).catch((error: unknown) => {
    throw new AssayError('notFound', `cannot read ${shownPath(file)}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  });
  if (!info.isFile()) throw new AssayError('invalidInput', `${shownPath(file)} is not a regular file`);
  if (info.size > maxBytes) throw new AssayError('invalidInput', `${shownPath(file)} is larger than ${maxBytes} bytes; not a client config`);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes + 1, 0);
    if (bytesRead > maxBytes) throw new AssayError('invalidInput', `${shownPath(file)} is larger than ${maxBytes} bytes; not a client config`);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Parses one config file with the given reader, or the one its name and folder point to. */
export async function readClientConfig(file: string, reader: ClientConfigReader | undefined = readerFor(file)): Promise<ConfiguredServer[]> {
  if (reader === undefined) {
    throw new AssayError('usage', `cannot tell which client ${shownPath(file)} belongs to: expected claude_desktop_config.json, .cursor/mcp.json, .vscode/mcp.json, settings.json, mcp_config.json, .mcp.json or a .toml mcpd config`);
  }
  return reader.parse(await readConfigText(file), file);
}

export interface DiscoveredConfig {
  reader: ClientConfigReader;
  file: string;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The usual config locations for this user and project that exist, each once. */
export async function discoverClientConfigs(env: PathEnv): Promise<DiscoveredConfig[]> {
  const seen = new Set<string>();
  const out: DiscoveredConfig[] = [];
  for (const reader of CLIENT_CONFIG_READERS) {
    for (const file of reader.defaultPaths(env)) {
      const key = env.platform === 'win32' ? file.toLowerCase() : path.resolve(file);
      if (seen.has(key)) continue;
      seen.add(key);
      if (await isFile(file)) out.push({ reader, file });
    }
  }
  return out;
}

export interface LoadedConfigs {
  servers: ConfiguredServer[];
  files: string[];
  /** Discovered files that could not be read; a file the user named is an error instead. */
  problems: string[];
}

/**
 * The servers of the named files, or of every discovered config when none are named. A named file that
 * is malformed stops the command; a discovered one is reported and skipped, so one broken settings file
 * does not hide every other client.
 */
export async function loadClientConfigs(files: readonly string[], env: PathEnv): Promise<LoadedConfigs> {
  const result: LoadedConfigs = { servers: [], files: [], problems: [] };
  if (files.length > 0) {
    for (const file of files) {
      result.servers.push(...(await readClientConfig(path.resolve(env.cwd, file))));
      result.files.push(file);
    }
    return result;
  }
  for (const { reader, file } of await discoverClientConfigs(env)) {
    try {
      result.servers.push(...(await readClientConfig(file, reader)));
      result.files.push(file);
    } catch (error) {
      if (!(error instanceof AssayError)) throw error;
      result.problems.push(error.message);
    }
  }
  return result;
}
