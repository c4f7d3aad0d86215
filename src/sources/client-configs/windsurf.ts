import { parseTopObject } from './json-file.js';
import type { ClientConfigReader } from './types.js';
import { joinFor, serversFromMap, tail } from './types.js';

/** Windsurf: `~/.codeium/windsurf/mcp_config.json` (remote servers use `serverUrl`). */
export const windsurfReader: ClientConfigReader = {
  client: 'windsurf',
  label: 'Windsurf',
  defaultPaths: (env) => [joinFor(env, env.home, '.codeium', 'windsurf', 'mcp_config.json')],
  recognizes: (file) => tail(file, 1)[0] === 'mcp_config.json',
  parse: (text, file) => serversFromMap('windsurf', file, parseTopObject(text, file).mcpServers, 'mcpServers'),
};
