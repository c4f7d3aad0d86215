import { parseTopObject } from './json-file.js';
import type { ClientConfigReader } from './types.js';
import { joinFor, serversFromMap, tail } from './types.js';

/** Cursor: `~/.cursor/mcp.json` for the user and `.cursor/mcp.json` in the project. */
export const cursorReader: ClientConfigReader = {
  client: 'cursor',
  label: 'Cursor',
  defaultPaths: (env) => [joinFor(env, env.home, '.cursor', 'mcp.json'), joinFor(env, env.cwd, '.cursor', 'mcp.json')],
  recognizes: (file) => tail(file, 2).join('/') === '.cursor/mcp.json',
  parse: (text, file) => serversFromMap('cursor', file, parseTopObject(text, file).mcpServers, 'mcpServers'),
};
