import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AssayError } from '../../core/errors.js';
import { CLIENT_CONFIG_READERS, CLIENT_IDS, discoverClientConfigs, loadClientConfigs, readClientConfig, readConfigText, readerFor } from './index.js';
import type { ClientConfigReader, PathEnv } from './types.js';

const HELPERS = new Set(['index.ts', 'types.ts', 'jsonc.ts', 'toml.ts', 'json-file.ts', 'to-target.ts']);

async function tmp(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'assay-cc-'));
}

async function put(file: string, text: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

describe('CLIENT_CONFIG_READERS', () => {
  it('has exactly one reader per client module in this folder', async () => {
    const folder = path.dirname(new URL(import.meta.url).pathname);
    const modules = (await readdir(folder)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !HELPERS.has(f));
    const exported: ClientConfigReader[] = [];
    for (const file of modules) {
      const mod = (await import(`./${file.replace(/\.ts$/, '.js')}`)) as Record<string, unknown>;
      const readers = Object.values(mod).filter((v): v is ClientConfigReader => typeof v === 'object' && v !== null && 'parse' in v && 'client' in v);
      expect(readers, file).toHaveLength(1);
      exported.push(...readers);
    }
    expect(new Set(CLIENT_CONFIG_READERS)).toEqual(new Set(exported));
    expect(CLIENT_CONFIG_READERS.map((r) => r.client).sort()).toEqual([...CLIENT_IDS].sort());
  });
});

const SECRET = 'sk-live-THIS-MUST-NOT-LEAK-1234567890';

const JSON_SERVERS = JSON.stringify({
  mcpServers: {
    fs: { command: 'npx', args: ['-y', '@scope/fs@1.2.3'], env: { API_KEY: SECRET } },
    remote: { url: `https://user:${SECRET}@mcp.example.test/sse?token=${SECRET}`, headers: { Authorization: `Bearer ${SECRET}` } },
  },
});

describe.each<[string, string, string]>([
  ['claude-desktop', 'Claude/claude_desktop_config.json', JSON_SERVERS],
  ['cursor', 'proj/.cursor/mcp.json', JSON_SERVERS],
  ['windsurf', '.codeium/windsurf/mcp_config.json', JSON_SERVERS.replace('"url"', '"serverUrl"')],
  ['claude-code', 'proj/.mcp.json', JSON_SERVERS],
  ['vscode', 'proj/.vscode/mcp.json', JSON_SERVERS.replace('mcpServers', 'servers').replace('{"servers"', '{"inputs": [{"id": "k", "type": "promptString", "password": true}], "servers"')],
  ['vscode', 'Code/User/settings.json', `{\n  // user settings\n  "editor.fontSize": 12,\n  "mcp": ${JSON_SERVERS.replace('mcpServers', 'servers')},\n}`],
])('%s reader on %s', (client, rel, text) => {
  it('yields servers with names of secrets only', async () => {
    const file = await put(path.join(await tmp(), rel), text);
    expect(readerFor(file)?.client).toBe(client);
    const servers = await readClientConfig(file);
    expect(servers.map((s) => s.name)).toEqual(['fs', 'remote']);
    expect(servers[0]).toMatchObject({ client, file, command: 'npx', args: ['-y', '@scope/fs@1.2.3'], envNames: ['API_KEY'], headerNames: [] });
    expect(servers[1]).toMatchObject({ url: 'https://mcp.example.test/sse', headerNames: ['Authorization'] });
    expect(JSON.stringify(servers)).not.toContain('THIS-MUST-NOT-LEAK');
  });
});

describe('mcpd reader', () => {
  it('reads [[servers]] with package and tools', async () => {
    const file = await put(path.join(await tmp(), '.mcpd.toml'), '[[servers]]\nname = "time"\npackage = "npx::time-mcp@1.0.0"\ntools = ["now", "convert"]\nrequired_env = ["TZ"]\n');
    expect(await readClientConfig(file)).toEqual([{ client: 'mcpd', file, name: 'time', package: 'npx::time-mcp@1.0.0', allowTools: ['now', 'convert'], envNames: ['TZ'], headerNames: [] }]);
  });

  it('names the server that lacks a package', async () => {
    const file = await put(path.join(await tmp(), '.mcpd.toml'), '[[servers]]\nname = "time"\n');
    await expect(readClientConfig(file)).rejects.toThrow(/server "time" has no package/);
  });
});

describe('hostile and malformed configs', () => {
  it('names file and line:col', async () => {
    const file = await put(path.join(await tmp(), '.mcp.json'), '{\n  "mcpServers": {\n    "a": { "command": "npx" }\n    "b": {}\n  }\n}\n');
    await expect(readClientConfig(file)).rejects.toThrow(`${file}:4:5: expected , or }`);
  });

  it('refuses a file over the size cap before parsing it', async () => {
    const file = await put(path.join(await tmp(), '.mcp.json'), `{"mcpServers": {}, "pad": "${'x'.repeat(2000)}"}`);
    await expect(readConfigText(file, 1000)).rejects.toThrow(/larger than 1000 bytes/);
  });

  it('refuses something that is not a regular file', async () => {
    const dir = await tmp();
    await mkdir(path.join(dir, '.mcp.json'));
    await expect(readClientConfig(path.join(dir, '.mcp.json'))).rejects.toThrow(/not a regular file/);
  });

  it('refuses deep nesting and wrong shapes', async () => {
    const dir = await tmp();
    const deep = await put(path.join(dir, 'a', '.mcp.json'), `{"mcpServers": {"x": {"args": ${'['.repeat(5000)}${']'.repeat(5000)}}}}`);
    await expect(readClientConfig(deep)).rejects.toThrow(/nested deeper/);
    const wrong = await put(path.join(dir, 'b', '.mcp.json'), '{"mcpServers": {"x": "npx foo"}}');
    await expect(readClientConfig(wrong)).rejects.toThrow(/mcpServers\."x" must be an object/);
  });

  it('escapes ANSI and bidi in an unknown file name', async () => {
    const error = await readClientConfig('/tmp/\u001b[31mevil\u202e.txt').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AssayError);
    expect((error as Error).message).not.toMatch(/[\u001b\u202e]/);
  });
});

describe('default locations', () => {
  it.each<[NodeJS.Platform, PathEnv, string]>([
    ['darwin', { home: '/Users/u', cwd: '/p', platform: 'darwin' }, '/Users/u/Library/Application Support/Claude/claude_desktop_config.json'],
    ['linux', { home: '/home/u', cwd: '/p', platform: 'linux' }, '/home/u/.config/Claude/claude_desktop_config.json'],
    ['linux', { home: '/home/u', cwd: '/p', platform: 'linux', xdgConfigHome: '/x' }, '/x/Claude/claude_desktop_config.json'],
    ['win32', { home: 'C:\\Users\\u', cwd: 'C:\\p', platform: 'win32', appData: 'C:\\Users\\u\\AppData\\Roaming' }, 'C:\\Users\\u\\AppData\\Roaming\\Claude\\claude_desktop_config.json'],
  ])('Claude Desktop on %s', (_platform, env, expected) => {
    expect(CLIENT_CONFIG_READERS.find((r) => r.client === 'claude-desktop')?.defaultPaths(env)).toEqual([expected]);
  });

  it('finds the configs that exist for a user and project, and skips a broken discovered one', async () => {
    const home = await tmp();
    const cwd = await tmp();
    const env: PathEnv = { home, cwd, platform: 'linux' };
    await put(path.join(home, '.cursor', 'mcp.json'), '{"mcpServers": {"a": {"command": "npx", "args": ["a@1.0.0"]}}}');
    await put(path.join(cwd, '.vscode', 'mcp.json'), '{"servers": {"b": {"command": "npx", "args": ["b@1.0.0"]}}}');
    await put(path.join(cwd, '.mcpd.toml'), '[[servers]]\nname = "c"\npackage = "npx::c@1.0.0"\n');
    await put(path.join(home, '.config', 'Code', 'User', 'settings.json'), '{ "mcp": { "servers": { oops } } }');
    const found = await discoverClientConfigs(env);
    expect(found.map((f) => f.reader.client).sort()).toEqual(['cursor', 'mcpd', 'vscode', 'vscode']);
    const loaded = await loadClientConfigs([], env);
    expect(loaded.servers.map((s) => s.name).sort()).toEqual(['a', 'b', 'c']);
    expect(loaded.problems).toHaveLength(1);
    expect(loaded.problems[0]).toMatch(/settings\.json:1:25:/);
    await expect(loadClientConfigs([path.join(home, '.config', 'Code', 'User', 'settings.json')], env)).rejects.toThrow(/1:25/);
  });
});
