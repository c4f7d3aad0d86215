import { parseTopObject } from './json-file.js';
import type { ClientConfigReader } from './types.js';
import { joinFor, serversFromMap, tail } from './types.js';

/** Claude Code: the project's `.mcp.json`. */
export const claudeCodeReader: ClientConfigReader = {
  client: 'claude-code',
  label: 'Claude Code',
  defaultPaths: (env) => [joinFor(env, env.cwd, '.mcp.json')],
  recognizes: (file) => tail(file, 1)[0] === '.mcp.json',
  parse: (text, file) => serversFromMap('claude-code', file, parseTopObject(text, file).mcpServers, 'mcpServers'),
};
