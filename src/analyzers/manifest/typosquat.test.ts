import { describe, expect, it } from 'vitest';
import { POPULAR_MCP_PACKAGES, editDistance, findTyposquat, foldLookalikes } from './typosquat.js';

/** Popular, real MCP servers (shared/corpus) that must never be taken for typosquats. */
const REAL_SERVERS = [
  '@playwright/mcp',
  'chrome-devtools-mcp',
  '@upstash/context7-mcp',
  '@storybook/mcp',
  '@pandacss/mcp',
  '@azure-devops/mcp',
  '@supabase/mcp-server-supabase',
  '@azure/mcp',
  '@notionhq/notion-mcp-server',
  '@gongrzhe/server-gmail-autoauth-mcp',
  'nx-mcp',
  '@circleci/mcp-server-circleci',
  'n8n-mcp',
  'next-devtools-mcp',
  'mongodb-mcp-server',
  '@stripe/mcp',
  'tavily-mcp',
  '@zereight/mcp-gitlab',
  'firecrawl-mcp',
  '@testsprite/testsprite-mcp',
  '@salesforce/mcp',
  'mcp-hello-world',
  '@executeautomation/playwright-mcp-server',
  '@eslint/mcp',
  '@mastra/mcp-docs-server',
  '@modelcontextprotocol/server-gitlab',
  '@modelcontextprotocol/server-google-maps',
  '@modelcontextprotocol/server-redis',
  'mcp-server-fetch',
  'weather-mcp',
  'express',
  'zod',
];

describe('editDistance', () => {
  it.each([
    ['abc', 'abc', 0],
    ['abc', 'abd', 1],
    ['abc', 'acb', 1],
    ['abc', 'ab', 1],
    ['abc', 'xyz', 3],
    ['tavily-mcp', 'tavlly-mcp', 1],
  ])('%s ~ %s = %i', (a, b, d) => {
    expect(editDistance(a, b, 5)).toBe(d);
  });

  it('gives up past the limit', () => {
    expect(editDistance('a'.repeat(50), 'b'.repeat(50), 2)).toBe(3);
    expect(editDistance('short', 'a much longer name', 2)).toBe(3);
  });
});

describe('foldLookalikes', () => {
  it('reads I, 1 and l alike, 0 as o, rn as m, and drops separators', () => {
    expect(foldLookalikes('@modelcontextprotocoI')).toBe(foldLookalikes('@modelcontextprotocol'));
    expect(foldLookalikes('@model-context-protocol')).toBe('@modelcontextprotocol');
    expect(foldLookalikes('firecrawI-rncp')).toBe(foldLookalikes('firecrawl-mcp'));
  });
});

describe('findTyposquat', () => {
  it.each([
    ['@modelcontextprotocols/server-filesystem', '@modelcontextprotocol', 'lookalike-scope'],
    ['@modelcontextprotocoI/server-filesystem', '@modelcontextprotocol', 'lookalike-scope'],
    ['@model-context-protocol/server-github', '@modelcontextprotocol', 'lookalike-scope'],
    ['@modelcontextprotocol-official/sdk', '@modelcontextprotocol', 'lookalike-scope'],
    ['@modelcontextprotoco/server-memory', '@modelcontextprotocol', 'lookalike-scope'],
    ['@playwrigth/mcp', '@playwright', 'lookalike-scope'],
    ['@stripe-/mcp', '@stripe', 'lookalike-scope'],
    ['modelcontextprotocol-sdk', '@modelcontextprotocol/sdk', 'edit-distance'],
    ['tavily-mcpp', 'tavily-mcp', 'edit-distance'],
    ['tavlly-mcp', 'tavily-mcp', 'edit-distance'],
    ['firecrawl_mcp', 'firecrawl-mcp', 'edit-distance'],
    ['mongodb-mcp-servers', 'mongodb-mcp-server', 'edit-distance'],
    ['chrome-devtool-mcp', 'chrome-devtools-mcp', 'edit-distance'],
    ['chrome-devtols-mpc', 'chrome-devtools-mcp', 'edit-distance'],
    ['@notionhq-x/notion-mcp-server', '@notionhq/notion-mcp-server', 'edit-distance'],
    ['@upstash/context7-mcp'.replace('@upstash', '@upstassh'), '@upstash/context7-mcp', 'edit-distance'],
  ])('%s imitates %s', (name, imitates, how) => {
    expect(findTyposquat(name)).toMatchObject({ imitates, how });
  });

  it.each(POPULAR_MCP_PACKAGES.map((n) => [n]))('never flags the popular name %s itself', (name) => {
    expect(findTyposquat(name)).toBeUndefined();
  });

  it.each(REAL_SERVERS.map((n) => [n]))('does not flag the unrelated name %s', (name) => {
    expect(findTyposquat(name)).toBeUndefined();
  });

  it('ignores the same-scope siblings the real owner publishes', () => {
    expect(findTyposquat('@modelcontextprotocol/server-githubb')).toBeUndefined();
    expect(findTyposquat('@playwright/mcp-next')).toBeUndefined();
  });

  it('handles empty and oversized names', () => {
    expect(findTyposquat('')).toBeUndefined();
    expect(findTyposquat('a'.repeat(100_000))).toBeUndefined();
  });
});
