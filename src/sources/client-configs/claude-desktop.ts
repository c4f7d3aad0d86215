import { parseTopObject } from './json-file.js';
import type { ClientConfigReader } from './types.js';
import { appDataDir, joinFor, serversFromMap, tail } from './types.js';

/** Claude Desktop: `claude_desktop_config.json` in the Claude folder of the user's app data. */
export const claudeDesktopReader: ClientConfigReader = {
  client: 'claude-desktop',
  label: 'Claude Desktop',
  defaultPaths: (env) => [joinFor(env, appDataDir(env), 'Claude', 'claude_desktop_config.json')],
  recognizes: (file) => tail(file, 1)[0] === 'claude_desktop_config.json',
  parse: (text, file) => serversFromMap('claude-desktop', file, parseTopObject(text, file).mcpServers, 'mcpServers'),
};
