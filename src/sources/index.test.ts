import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SOURCE_IDS, sourcesFromOptions } from './index.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('SOURCE_IDS', () => {
  it('matches the ids of the source modules', async () => {
    const all = sourcesFromOptions({ registry: 'http://127.0.0.1:9', mcpRegistry: 'http://127.0.0.1:9', listFiles: ['x'], gitUrls: ['https://h.invalid/o/r'], search: true });
    expect(new Set(all.map((s) => s.id))).toEqual(new Set(SOURCE_IDS));
    const modules = (await readdir(here)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !['index.ts', 'http.ts', 'source.ts', 'spec.ts'].includes(f));
    // Other modules may live here too; these four are the ones the ids above come from.
    expect(modules).toEqual(expect.arrayContaining(['git-list.ts', 'list-file.ts', 'mcp-registry.ts', 'npm.ts']));
  });
});

describe('sourcesFromOptions', () => {
  const registry = 'http://127.0.0.1:9';
  it.each([
    ['nothing', {}, []],
    ['a registry alone searches npm', { registry }, ['npm']],
    ['keywords search npm', { registry, keywords: ['x'], gitUrls: ['https://h.invalid/o/r'] }, ['git', 'npm']],
    ['names without search', { registry, names: ['a'] }, ['npm']],
    ['a list does not search unless asked', { registry, listFiles: ['a', 'b'] }, ['list', 'list']],
    ['search: true adds npm', { registry, listFiles: ['a'], search: true }, ['list', 'npm']],
    ['search without a registry is nothing', { search: true }, []],
    ['the MCP registry', { mcpRegistry: registry }, ['mcp-registry']],
    ['empty git list', { gitUrls: [] }, []],
  ])('%s', (_name, opts, ids) => {
    expect(sourcesFromOptions(opts).map((s) => s.id)).toEqual(ids);
  });
});
