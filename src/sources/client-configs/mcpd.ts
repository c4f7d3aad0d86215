import type { ClientConfigReader, ConfiguredServer } from './types.js';
import { LIMITS, invalid, joinFor, tail } from './types.js';
import type { TomlTable, TomlValue } from './toml.js';
import { parseTomlSubset } from './toml.js';

function stringList(value: TomlValue | TomlTable | TomlTable[] | undefined): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter((v): v is string => typeof v === 'string').slice(0, LIMITS.maxNames);
}

function serverOf(file: string, entry: TomlTable, index: number): ConfiguredServer {
  const name = entry.name;
  const pkg = entry.package;
  if (typeof name !== 'string' || name === '') throw invalid(file, `servers[${index}] has no name`);
  if (typeof pkg !== 'string' || pkg === '') throw invalid(file, `server ${JSON.stringify(name)} has no package`);
  const server: ConfiguredServer = { client: 'mcpd', file, name: name.slice(0, LIMITS.maxString), package: pkg.slice(0, LIMITS.maxString), envNames: stringList(entry.required_env) ?? [], headerNames: [] };
  const tools = stringList(entry.tools);
  if (tools !== undefined) server.allowTools = tools;
  return server;
}

/** mozilla-ai mcpd: `.mcpd.toml` with `[[servers]]` (`name`, `package = "runtime::name@version"`, `tools`). */
export const mcpdReader: ClientConfigReader = {
  client: 'mcpd',
  label: 'mcpd',
  defaultPaths: (env) => [joinFor(env, env.cwd, '.mcpd.toml')],
  recognizes: (file) => (tail(file, 1)[0] ?? '').endsWith('.toml'),
  parse: (text, file) => {
    const servers = parseTomlSubset(text, file).servers;
    if (servers === undefined) return [];
    if (!Array.isArray(servers) || servers.some((s) => typeof s !== 'object' || Array.isArray(s))) throw invalid(file, 'servers must be [[servers]] tables');
    return (servers as TomlTable[]).slice(0, LIMITS.maxServers).map((s, i) => serverOf(file, s, i));
  },
};
