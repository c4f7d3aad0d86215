import { afterEach, describe, expect, it } from 'vitest';
import { itemsFor, mcpRegistrySource, type McpRegistrySourceConfig } from './mcp-registry.js';
import type { SourceOptions } from './source.js';
import { drain, startJsonServer, type JsonServer, type RouteHandler } from './test-helpers/json-server.js';

const FAST = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 20 };
let server: JsonServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function current(name: string, extra: Record<string, unknown> = {}, publishedAt = '2026-02-01T00:00:00Z'): unknown {
  return {
    server: {
      name,
      description: `the ${name} server`,
      version: '1.2.0',
      repository: { url: `https://git.example.invalid/o/${name.replace(/\W/g, '-')}`, source: 'github' },
      packages: [
        {
          registryType: 'npm',
          identifier: `${name.replace(/\W/g, '-')}-pkg`,
          version: '1.2.0',
          transport: { type: 'stdio' },
          environmentVariables: [{ name: 'API_KEY', description: 'key', isSecret: true, isRequired: true }],
        },
      ],
      ...extra,
    },
    _meta: { 'io.modelcontextprotocol.registry/official': { status: 'active', publishedAt, isLatest: true } },
  };
}

/** Serves `entries` in pages with `nextCursor`, as the registry does. */
function paged(entries: unknown[], cursorKey: 'nextCursor' | 'next_cursor' = 'nextCursor'): RouteHandler {
  return (url) => {
    const limit = Number(url.searchParams.get('limit'));
    const start = Number(url.searchParams.get('cursor') ?? '0');
    const next = start + limit < entries.length ? String(start + limit) : undefined;
    return { body: { servers: entries.slice(start, start + limit), metadata: { count: limit, ...(next === undefined ? {} : { [cursorKey]: next }) } } };
  };
}

function options(extra: Partial<SourceOptions> = {}): SourceOptions & { warnings: string[] } {
  const warnings: string[] = [];
  return { signal: new AbortController().signal, onWarning: (m) => warnings.push(m), warnings, ...extra };
}

function config(extra: Partial<McpRegistrySourceConfig> = {}): McpRegistrySourceConfig {
  if (server === undefined) throw new Error('no server');
  return { baseUrl: server.url, pageSize: 2, retry: FAST, timeoutMs: 2000, ...extra };
}

describe('mcpRegistrySource', () => {
  it('follows cursors across pages and yields an npm and a git target per server, with registry metadata', async () => {
    const entries = ['a', 'b', 'c', 'd', 'e'].map((n) => current(`io.example/${n}`));
    server = await startJsonServer({ '/v0/servers': paged(entries) });
    const { items, end } = await drain(mcpRegistrySource(config()).list(options()));
    expect(end).toEqual({ status: 'complete', pages: 3, items: 10 });
    expect(items.slice(0, 2)).toEqual([
      {
        key: 'npm:io-example-a-pkg@1.2.0',
        origin: 'mcp-registry',
        target: { kind: 'npm', spec: 'npm:io-example-a-pkg@1.2.0', name: 'io-example-a-pkg', version: '1.2.0' },
        registry: {
          registryName: 'io.example/a',
          description: 'the io.example/a server',
          version: '1.2.0',
          repository: 'https://git.example.invalid/o/io-example-a',
          transports: ['stdio'],
          environmentVariables: [{ name: 'API_KEY', description: 'key', isSecret: true, isRequired: true }],
          publishedAt: '2026-02-01T00:00:00Z',
        },
      },
      expect.objectContaining({ key: 'git:https://git.example.invalid/o/io-example-a', target: { kind: 'git', spec: 'https://git.example.invalid/o/io-example-a' } }),
    ]);
    expect(server.requests).toEqual(['/v0/servers?limit=2', '/v0/servers?limit=2&cursor=2', '/v0/servers?limit=2&cursor=4']);
  });

  it('accepts the older flat shape with next_cursor, registry_name and environment_variables', async () => {
    const old = {
      id: 'x',
      name: 'io.example/old',
      description: 'old style',
      repository: { url: 'https://git.example.invalid/o/old', source: 'github' },
      version_detail: { version: '0.3.0', release_date: '2025-06-01T00:00:00Z', is_latest: true },
      packages: [{ registry_name: 'npm', name: '@old/server', version: '0.3.0', environment_variables: [{ name: 'TOKEN', description: 'tok' }] }],
    };
    server = await startJsonServer({ '/v0/servers': paged([old, old, old], 'next_cursor') });
    const { items, end } = await drain(mcpRegistrySource(config()).list(options()));
    expect(end).toMatchObject({ status: 'complete', pages: 2, items: 2 });
    expect(items.map((i) => i.key)).toEqual(['npm:@old/server@0.3.0', 'git:https://git.example.invalid/o/old']);
    expect(items[0]?.registry).toEqual({
      registryName: 'io.example/old',
      description: 'old style',
      version: '0.3.0',
      repository: 'https://git.example.invalid/o/old',
      environmentVariables: [{ name: 'TOKEN', description: 'tok' }],
      publishedAt: '2025-06-01T00:00:00Z',
    });
  });

  it('yields only the repository for pypi and oci packages, and skips malformed entries with a warning', async () => {
    const pypi = current('io.example/py', { packages: [{ registryType: 'pypi', identifier: 'py-server', version: '1.0.0' }, { registryType: 'oci', identifier: 'img' }] });
    server = await startJsonServer({ '/v0/servers': paged([pypi, { server: { description: 'no name' } }, 42, null, current('io.example/ok')], 'nextCursor') });
    const opts = options();
    const { items, end } = await drain(mcpRegistrySource(config({ pageSize: 10 })).list(opts));
    expect(items.map((i) => i.key)).toEqual(['git:https://git.example.invalid/o/io-example-py', 'npm:io-example-ok-pkg@1.2.0', 'git:https://git.example.invalid/o/io-example-ok']);
    expect(end.status).toBe('complete');
    expect(opts.warnings.filter((w) => /malformed server entry/.test(w))).toHaveLength(3);
  });

  it.each([
    ['an http repository', { repository: { url: 'http://git.example.invalid/o/r' } }, /not an https URL/],
    ['a file repository', { repository: { url: 'file:///etc' } }, /not an https URL/],
    ['credentials in the repository', { repository: { url: 'https://u:p@git.example.invalid/o/r' } }, /not a usable git URL/],
    ['an ssh option host', { repository: { url: 'https://-oProxyCommand=x/o/r' } }, /not a usable git URL/],
    ['an invalid npm name', { packages: [{ registryType: 'npm', identifier: '../../evil', version: '1.0.0' }] }, /skipped npm package/],
    ['a range version', { packages: [{ registryType: 'npm', identifier: 'ok-name', version: '^1.0.0' }] }, /is not exact/],
  ])('skips %s with a warning', (_name, extra, warning) => {
    const opts = options();
    const items = itemsFor(current('io.example/x', extra), opts);
    expect(opts.warnings.join('\n')).toMatch(warning);
    expect(items.length).toBe(1);
  });

  it('yields npm@latest when a package gives no version', () => {
    const items = itemsFor(current('io.example/x', { packages: [{ registryType: 'npm', identifier: 'nover' }] }), options());
    expect(items[0]?.target).toEqual({ kind: 'npm', spec: 'npm:nover@latest', name: 'nover' });
  });

  it('keeps hostile descriptions as data but bounded; warnings are escaped', () => {
    const opts = options();
    const description = `\u001b[31mred\u202e${'d'.repeat(10_000)}`;
    const items = itemsFor(current(`io.example/\u001b[2J\u202ex`, { description, packages: [{ registryType: 'npm', identifier: '\u001bbad' }] }), opts);
    const meta = items[0]?.registry;
    expect(meta?.description?.startsWith('\u001b[31mred\u202e')).toBe(true);
    expect(meta?.description?.length).toBeLessThanOrEqual(4096);
    expect(opts.warnings.length).toBeGreaterThan(0);
    for (const w of opts.warnings) expect(w).not.toMatch(/[\u001b\u202e]/);
  });

  it('filters on publishedAt with since', async () => {
    server = await startJsonServer({ '/v0/servers': paged([current('io.example/old', {}, '2024-01-01T00:00:00Z'), current('io.example/new')]) });
    const { items } = await drain(mcpRegistrySource(config()).list(options({ since: new Date('2026-01-01T00:00:00Z') })));
    expect(items.map((i) => i.registry?.registryName)).toEqual(['io.example/new', 'io.example/new']);
  });

  it('stops at limit', async () => {
    server = await startJsonServer({ '/v0/servers': paged(['a', 'b', 'c'].map((n) => current(`io.example/${n}`))) });
    const { items, end } = await drain(mcpRegistrySource(config()).list(options({ limit: 4 })));
    expect(items).toHaveLength(4);
    expect(end).toMatchObject({ status: 'limit', items: 4 });
    // The first page held exactly four items: the second page is never requested.
    expect(server.requests).toHaveLength(1);
  });

  it('ends a never-ending listing at maxPages as truncated', async () => {
    let n = 0;
    server = await startJsonServer({ '/v0/servers': () => ({ body: { servers: [current(`io.example/s${n}`)], metadata: { nextCursor: `c${n++}` } } }) });
    const { end } = await drain(mcpRegistrySource(config({ maxPages: 4 })).list(options()));
    expect(end).toMatchObject({ status: 'truncated', pages: 4, items: 8 });
    expect(end.reason).toMatch(/page cap/);
  });

  it('stops on a repeated cursor as truncated', async () => {
    server = await startJsonServer({ '/v0/servers': (_u, hit) => ({ body: { servers: [current(`io.example/s${hit}`)], metadata: { nextCursor: hit === 1 ? 'A' : 'B' } } }) });
    const { end } = await drain(mcpRegistrySource(config()).list(options()));
    expect(end).toMatchObject({ status: 'truncated', pages: 3 });
    expect(end.reason).toMatch(/repeated cursor "B"/);
  });

  it('retries 429 and 5xx pages, then goes on', async () => {
    const inner = paged(['a', 'b', 'c'].map((n) => current(`io.example/${n}`)));
    server = await startJsonServer({
      '/v0/servers': (url, hit, req) => (hit === 1 ? { status: 429, headers: { 'retry-after': '0' } } : hit === 3 ? { status: 500 } : inner(url, hit, req)),
    });
    const { items, end } = await drain(mcpRegistrySource(config()).list(options()));
    expect(end.status).toBe('complete');
    expect(items).toHaveLength(6);
  });

  it('fails with the reason when pages keep answering 5xx', async () => {
    server = await startJsonServer({ '/v0/servers': () => ({ status: 502 }) });
    const { end } = await drain(mcpRegistrySource(config()).list(options()));
    expect(end).toMatchObject({ status: 'failed', pages: 0 });
    expect(end.reason).toMatch(/HTTP 502.*3 attempts/);
  });

  it.each([
    ['malformed JSON', { body: '{"servers": [' }, 'failed'],
    ['the wrong shape', { body: { servers: { a: 1 } } }, 'failed'],
    ['a body over the cap', { body: { servers: [], pad: 'x'.repeat(5000) } }, 'truncated'],
  ])('ends on a page with %s', async (_name, reply, status) => {
    server = await startJsonServer({ '/v0/servers': () => reply });
    const { end } = await drain(mcpRegistrySource(config({ pageMaxBytes: 1000 })).list(options()));
    expect(end.status).toBe(status);
    expect(end.reason).toBeTruthy();
  });

  it('aborts mid-listing', async () => {
    const controller = new AbortController();
    server = await startJsonServer({
      '/v0/servers': (url, hit, req) => (hit === 1 ? paged([current('io.example/a'), current('io.example/b')], 'nextCursor')(url, hit, req) : { hang: true, body: '{}' }),
    });
    const gen = mcpRegistrySource(config({ pageSize: 1 })).list(options({ signal: controller.signal }));
    await gen.next();
    setTimeout(() => controller.abort(), 30);
    const { end } = await drain(gen);
    expect(end.status).toBe('aborted');
  });
});
