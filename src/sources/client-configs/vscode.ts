import type { JsonValue } from './jsonc.js';
import { parseTopObject } from './json-file.js';
import type { ClientConfigReader, ConfiguredServer } from './types.js';
import { appDataDir, invalid, isObject, joinFor, serversFromMap, tail } from './types.js';

/**
 * `servers` of a VS Code MCP block. `inputs` only declare prompts for secrets (their values are never
 * in the file), so nothing is read from them; `${input:…}` references in env stay names only.
 */
function fromBlock(file: string, block: JsonValue | undefined, where: string): ConfiguredServer[] {
  if (block === undefined) return [];
  if (!isObject(block)) throw invalid(file, `${where} must be an object`);
  return serversFromMap('vscode', file, block.servers, where === '' ? 'servers' : `${where}.servers`);
}

function isSettings(file: string): boolean {
  return tail(file, 1)[0] === 'settings.json';
}

/** VS Code: `.vscode/mcp.json` in the project, the user's `mcp.json`, and the `mcp` key of user settings (JSONC). */
export const vscodeReader: ClientConfigReader = {
  client: 'vscode',
  label: 'VS Code',
  defaultPaths: (env) => {
    const user = joinFor(env, appDataDir(env), 'Code', 'User');
    return [joinFor(env, user, 'settings.json'), joinFor(env, user, 'mcp.json'), joinFor(env, env.cwd, '.vscode', 'mcp.json')];
  },
  recognizes: (file) => tail(file, 2).join('/') === '.vscode/mcp.json' || (tail(file, 2)[0] === 'User' && ['mcp.json', 'settings.json'].includes(tail(file, 1)[0] ?? '')),
  parse: (text, file) => {
    const top = parseTopObject(text, file);
    return isSettings(file) ? fromBlock(file, top.mcp, 'mcp') : fromBlock(file, top, '');
  },
};
