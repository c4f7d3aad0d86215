import { afterEach, describe, expect, it } from 'vitest';
import { escapePackageName, npmNameProblem, npmSource, type NpmSourceConfig } from './npm.js';
import type { SourceEnd, SourceOptions } from './source.js';
import { drain, startJsonServer, type JsonServer, type RouteHandler } from './test-helpers/json-server.js';

const FAST = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 20 };
let server: JsonServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Pkg {
  name: string;
  version?: string;
  time?: string;
  deprecated?: string;
}

function packument(p: Pkg): unknown {
  const version = p.version ?? '1.0.0';
  return {
    name: p.name,
    'dist-tags': { latest: version },
    versions: {
      '0.1.0': { dist: { integrity: 'sha512-old' } },
      [version]: { dist: { integrity: `sha512-${p.name}` }, maintainers: [{ name: 'alice', email: 'a@example.invalid' }], ...(p.deprecated === undefined ? {} : { deprecated: p.deprecated }) },
    },
    time: { [version]: p.time ?? '2026-01-02T00:00:00.000Z' },
    maintainers: [{ name: 'bob' }],
  };
}

/** Search results per keyword, served in pages as the registry does. */
function search(byKeyword: Record<string, Pkg[]>): RouteHandler {
  return (url) => {
    const keyword = (url.searchParams.get('text') ?? '').replace(/^keywords:/, '');
    const all = byKeyword[keyword] ?? [];
    const from = Number(url.searchParams.get('from'));
    const size = Number(url.searchParams.get('size'));
    const objects = all.slice(from, from + size).map((p) => ({ package: { name: p.name, version: p.version ?? '1.0.0', date: p.time ?? '2026-01-02T00:00:00.000Z' } }));
    return { body: { objects, total: all.length } };
  };
}

function packumentRoutes(pkgs: Pkg[]): Record<string, RouteHandler> {
  return Object.fromEntries(pkgs.map((p) => [`/${escapePackageName(p.name)}`, () => ({ body: packument(p) })]));
}

function options(extra: Partial<SourceOptions> = {}): SourceOptions & { warnings: string[] } {
  const warnings: string[] = [];
  return { signal: new AbortController().signal, onWarning: (m) => warnings.push(m), warnings, ...extra };
}

function config(extra: Partial<NpmSourceConfig> = {}): NpmSourceConfig {
  if (server === undefined) throw new Error('no server');
  return { registry: server.url, pageSize: 2, retry: FAST, timeoutMs: 2000, ...extra };
}

const names = (n: number, prefix = 'mcp-'): Pkg[] => Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}` }));

describe('npmSource', () => {
  it('pages through each keyword, dedupes names, and yields the latest version with its metadata', async () => {
    const a = names(5);
    const b: Pkg[] = [{ name: 'mcp-1' }, { name: '@scope/server', version: '2.3.4', deprecated: 'use x' }, { name: 'mcp-4' }];
    server = await startJsonServer({ '/-/v1/search': search({ mcp: a, other: b }), ...packumentRoutes([...a, ...b]) });
    const opts = options();
    const { items, end } = await drain(npmSource(config({ keywords: ['mcp', 'other'] })).list(opts));
    expect(items.map((i) => i.key)).toEqual(['npm:mcp-0@1.0.0', 'npm:mcp-1@1.0.0', 'npm:mcp-2@1.0.0', 'npm:mcp-3@1.0.0', 'npm:mcp-4@1.0.0', 'npm:@scope/server@2.3.4']);
    expect(end).toEqual({ status: 'complete', pages: 5, items: 6 });
    expect(server.hits.get('/mcp-1')).toBe(1);
    expect(server.hits.get('/@scope%2fserver')).toBe(1);
    expect(items[5]).toEqual({
      key: 'npm:@scope/server@2.3.4',
      origin: 'npm',
      target: { kind: 'npm', spec: 'npm:@scope/server@2.3.4', name: '@scope/server', version: '2.3.4' },
      npm: { integrity: 'sha512-@scope/server', publishedAt: '2026-01-02T00:00:00.000Z', maintainers: ['alice'], deprecated: true },
    });
    expect(opts.warnings).toEqual([]);
  });

  it('looks up explicit names without searching when keywords are empty', async () => {
    server = await startJsonServer({ '/-/v1/search': search({}), ...packumentRoutes([{ name: 'one' }, { name: 'two' }]) });
    const { items, end } = await drain(npmSource(config({ names: ['one', 'two', 'one'], keywords: [] })).list(options()));
    expect(items.map((i) => i.key)).toEqual(['npm:one@1.0.0', 'npm:two@1.0.0']);
    expect(end.status).toBe('complete');
    expect(server.hits.get('/-/v1/search')).toBeUndefined();
  });

  it('uses the default keywords when none are given', async () => {
    server = await startJsonServer({ '/-/v1/search': search({}) });
    await drain(npmSource(config()).list(options()));
    expect(server.requests.map((r) => new URL(r, 'http://h').searchParams.get('text'))).toEqual(['keywords:mcp', 'keywords:modelcontextprotocol', 'keywords:mcp-server']);
  });

  it('stops at limit with status limit, fetching no more packuments than needed', async () => {
    const a = names(6);
    server = await startJsonServer({ '/-/v1/search': search({ mcp: a }), ...packumentRoutes(a) });
    const { items, end } = await drain(npmSource(config({ keywords: ['mcp'] })).list(options({ limit: 3 })));
    expect(items).toHaveLength(3);
    expect(end).toMatchObject({ status: 'limit', items: 3 });
    expect(server.hits.get('/mcp-3')).toBeUndefined();
  });

  it('filters on publish time with since, skipping stale search hits without a packument request', async () => {
    const a: Pkg[] = [{ name: 'old', time: '2020-01-01T00:00:00Z' }, { name: 'new', time: '2026-05-01T00:00:00Z' }];
    server = await startJsonServer({ '/-/v1/search': search({ mcp: a }), ...packumentRoutes(a) });
    const { items } = await drain(npmSource(config({ keywords: ['mcp'] })).list(options({ since: new Date('2026-01-01T00:00:00Z') })));
    expect(items.map((i) => i.key)).toEqual(['npm:new@1.0.0']);
    expect(server.hits.get('/old')).toBeUndefined();
  });

  it('filters explicit names on the packument publish time', async () => {
    server = await startJsonServer(packumentRoutes([{ name: 'old', time: '2020-01-01T00:00:00Z' }]));
    const opts = options({ since: new Date('2026-01-01T00:00:00Z') });
    const { items, end } = await drain(npmSource(config({ names: ['old'], keywords: [] })).list(opts));
    expect(items).toEqual([]);
    expect(end.status).toBe('complete');
  });

  it('ends a listing that never ends at maxPages with status truncated', async () => {
    let n = 0;
    server = await startJsonServer({
      '/-/v1/search': () => ({ body: { objects: [{ package: { name: `pkg-${n++}` } }, { package: { name: `pkg-${n++}` } }], total: 1e9 } }),
      ...packumentRoutes(names(40, 'pkg-')),
    });
    const { items, end } = await drain(npmSource(config({ keywords: ['mcp'], maxPages: 5 })).list(options()));
    expect(end).toMatchObject({ status: 'truncated', pages: 5, items: 10 });
    expect(end.reason).toMatch(/page cap/);
    expect(items).toHaveLength(10);
  });

  it('retries a 429 search page and a 5xx packument, then succeeds', async () => {
    const a = names(1);
    server = await startJsonServer({
      '/-/v1/search': (url, hit) => (hit === 1 ? { status: 429, headers: { 'retry-after': '0' } } : search({ mcp: a })(url, hit, undefined as never)),
      '/mcp-0': (_u, hit) => (hit === 1 ? { status: 502 } : { body: packument(a[0] ?? { name: '' }) }),
    });
    const opts = options();
    const { items, end } = await drain(npmSource(config({ keywords: ['mcp'] })).list(opts));
    expect(items).toHaveLength(1);
    expect(end.status).toBe('complete');
    expect(opts.warnings.filter((w) => /retry/.test(w))).toHaveLength(2);
  });

  it('fails with the reason when the search keeps answering 5xx', async () => {
    server = await startJsonServer({ '/-/v1/search': () => ({ status: 503 }) });
    const { end } = await drain(npmSource(config({ keywords: ['mcp'] })).list(options()));
    expect(end).toMatchObject({ status: 'failed', pages: 0, items: 0 });
    expect(end.reason).toMatch(/HTTP 503.*3 attempts/);
  });

  /** Lists twelve names with lookupConcurrency 4, packument i answering after delayMs(i). */
  async function listDelayed(delayMs: (i: number) => number): Promise<{ end: SourceEnd; most: number; requestedBeforeFirst: number }> {
    let inFlight = 0;
    let most = 0;
    let requestedBeforeFirst = 0;
    const pkgs = names(12);
    const routes = Object.fromEntries(
      pkgs.map((p, i) => [
        `/${p.name}`,
        async (): Promise<{ body: unknown }> => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await new Promise((resolve) => setTimeout(resolve, delayMs(i)));
          if (i === 0) requestedBeforeFirst = [...(server?.hits.values() ?? [])].reduce((a, b) => a + b, 0);
          inFlight -= 1;
          return { body: packument(p) };
        },
      ]),
    );
    server = await startJsonServer(routes);
    const { items, end } = await drain(npmSource(config({ names: pkgs.map((p) => p.name), keywords: [], lookupConcurrency: 4 })).list(options()));
    expect(items.map((i) => i.target.name)).toEqual(pkgs.map((p) => p.name));
    return { end, most, requestedBeforeFirst };
  }

  it('keeps several packument requests in flight and still yields in listing order', async () => {
    // Earlier names answer later, so yielding in completion order would reverse them.
    const { end, most } = await listDelayed((i) => (12 - i) * 5);
    expect(end).toMatchObject({ status: 'complete', items: 12 });
    expect(most).toBe(4);
  });

  it('keeps requesting behind a slow packument, and still yields in listing order', async () => {
    // The first answers last: the eleven behind it must not wait for it to be asked for.
    const { end, most, requestedBeforeFirst } = await listDelayed((i) => (i === 0 ? 300 : 5));
    expect(end).toMatchObject({ status: 'complete', items: 12 });
    expect(requestedBeforeFirst).toBe(12);
    expect(most).toBe(4);
  });

  it('does not request more packuments than the limit needs', async () => {
    server = await startJsonServer(packumentRoutes(names(10)));
    const { items } = await drain(npmSource(config({ names: names(10).map((p) => p.name), keywords: [], lookupConcurrency: 8 })).list(options({ limit: 3 })));
    expect(items).toHaveLength(3);
    expect([...server.hits.values()].reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('fails when packuments keep answering 5xx (the registry is down), after yielding what it had', async () => {
    server = await startJsonServer({ ...packumentRoutes([{ name: 'good' }]), '/bad': () => ({ status: 500 }) });
    const { items, end } = await drain(npmSource(config({ names: ['good', 'bad', 'never'], keywords: [], lookupConcurrency: 1 })).list(options()));
    expect(items.map((i) => i.key)).toEqual(['npm:good@1.0.0']);
    expect(end).toMatchObject({ status: 'failed', items: 1 });
    expect(server.hits.get('/never')).toBeUndefined();
  });

  it('fails on a search page that is not JSON: the rest of the listing is unknown', async () => {
    server = await startJsonServer({ '/-/v1/search': () => ({ body: '<html>oops' }) });
    const { end } = await drain(npmSource(config({ keywords: ['mcp'] })).list(options()));
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(/valid JSON/);
  });

  it('fails on a JSON search page of the wrong shape', async () => {
    server = await startJsonServer({ '/-/v1/search': () => ({ body: { objects: 'nope' } }) });
    const { end } = await drain(npmSource(config({ keywords: ['mcp'] })).list(options()));
    expect(end).toMatchObject({ status: 'failed' });
  });

  it('ends truncated when a search page is over the cap', async () => {
    server = await startJsonServer({ '/-/v1/search': () => ({ body: { objects: [], pad: 'x'.repeat(5000) } }) });
    const { end } = await drain(npmSource(config({ keywords: ['mcp'], searchMaxBytes: 1000 })).list(options()));
    expect(end.status).toBe('truncated');
  });

  it.each([
    ['malformed JSON', () => ({ body: '{"name":' }), /valid JSON/],
    ['over the cap', () => ({ body: { name: 'bad', pad: 'x'.repeat(5000) } }), /more than 1000 bytes/],
    ['missing (404)', () => ({ status: 404 }), /HTTP 404/],
    ['for another package', () => ({ body: packument({ name: 'evil' }) }), /another package/],
    ['without a latest version', () => ({ body: { name: 'bad', 'dist-tags': {}, versions: {} } }), /no valid latest/],
    ['with latest not in versions', () => ({ body: { name: 'bad', 'dist-tags': { latest: '9.9.9' }, versions: {} } }), /not in the packument/],
    ['with a non-semver latest', () => ({ body: { name: 'bad', 'dist-tags': { latest: '../../x' }, versions: {} } }), /no valid latest/],
  ])('skips a packument %s with a warning and goes on', async (_name, handler, warning) => {
    server = await startJsonServer({ '/bad': handler, ...packumentRoutes([{ name: 'good' }]) });
    const opts = options();
    const { items, end } = await drain(npmSource(config({ names: ['bad', 'good'], keywords: [], packumentMaxBytes: 1000 })).list(opts));
    expect(items.map((i) => i.key)).toEqual(['npm:good@1.0.0']);
    expect(end.status).toBe('complete');
    expect(opts.warnings.join('\n')).toMatch(warning);
  });

  it('aborts mid-listing with status aborted', async () => {
    const a = names(10);
    const controller = new AbortController();
    server = await startJsonServer({ '/-/v1/search': search({ mcp: a }), ...packumentRoutes(a) });
    const gen = npmSource(config({ keywords: ['mcp'] })).list(options({ signal: controller.signal }));
    const first = await gen.next();
    expect(first.done).toBe(false);
    controller.abort();
    const { end } = await drain(gen);
    expect(end.status).toBe('aborted');
  });

  it('aborts a stalled packument request', async () => {
    const controller = new AbortController();
    server = await startJsonServer({ '/slow': () => ({ hang: true, body: '{}' }) });
    setTimeout(() => controller.abort(), 50);
    const { end } = await drain(npmSource(config({ names: ['slow'], keywords: [] })).list(options({ signal: controller.signal })));
    expect(end.status).toBe('aborted');
  });

  it('skips hostile and invalid names from search without requesting them, and bounds hostile metadata', async () => {
    const hostile = ['../../etc/passwd', 'UPPER\u001b[31m', 'a\u202eb', ' spaced', 'x'.repeat(300), 'name@1.0.0', 'git+https://h/x.git', '@scope/../x'];
    const longMaintainer = `\u001b[2J${'m'.repeat(1000)}`;
    server = await startJsonServer({
      '/-/v1/search': () => ({ body: { objects: [...hostile.map((name) => ({ package: { name } })), { package: { name: 'ok' } }, { nope: 1 }], total: 10 } }),
      '/ok': () => ({ body: { ...(packument({ name: 'ok' }) as object), versions: { '1.0.0': { dist: { integrity: 'x'.repeat(600) }, maintainers: [{ name: longMaintainer }, 7, 'carol'] } } } }),
    });
    const opts = options();
    const { items, end } = await drain(npmSource(config({ keywords: ['mcp'], pageSize: 50 })).list(opts));
    expect(items.map((i) => i.key)).toEqual(['npm:ok@1.0.0']);
    expect(end.status).toBe('complete');
    expect(server.requests.filter((r) => !r.startsWith('/-/v1/search'))).toEqual(['/ok']);
    expect(opts.warnings).toHaveLength(hostile.length + 1);
    for (const w of opts.warnings) {
      expect(w).not.toMatch(/[\u001b\u202e]/);
      expect(w.length).toBeLessThan(700);
    }
    const meta = items[0]?.npm;
    expect(meta?.integrity).toBeUndefined();
    expect(meta?.maintainers?.[0]).toMatch(/^\u001b\[2J/);
    expect(meta?.maintainers?.[0]?.length).toBeLessThanOrEqual(256);
    expect(meta?.maintainers?.[1]).toBe('carol');
  });
});

describe('npmSource tarball addresses', () => {
  const tarballs: [string, unknown, string | undefined][] = [
    ['an https URL', 'https://registry.example.invalid/t/-/t-1.0.0.tgz', 'https://registry.example.invalid/t/-/t-1.0.0.tgz'],
    ['an http URL', 'http://127.0.0.1:9/t/-/t-1.0.0.tgz', 'http://127.0.0.1:9/t/-/t-1.0.0.tgz'],
    ['a file: URL', 'file:///etc/passwd', undefined],
    ['a git URL', 'git+ssh://git@example.invalid/t.git', undefined],
    ['a relative path', '/t/-/t-1.0.0.tgz', undefined],
    ['not a string', { href: 'https://example.invalid/t.tgz' }, undefined],
    ['an overlong URL', `https://example.invalid/${'a'.repeat(3000)}.tgz`, undefined],
  ];
  it.each(tarballs)('keeps dist.tarball only when it is an http(s) URL: %s', async (_label, tarball, kept) => {
    const body = { name: 't', 'dist-tags': { latest: '1.0.0' }, versions: { '1.0.0': { dist: { integrity: 'sha512-t', tarball } } } };
    server = await startJsonServer({ '/t': () => ({ body }) });
    const { items } = await drain(npmSource(config({ names: ['t'], keywords: [] })).list(options()));
    expect(items[0]?.npm?.integrity).toBe('sha512-t');
    expect(items[0]?.npm?.tarball).toBe(kept);
  });
});

describe('npm names', () => {
  it.each([
    ['mcp-server', undefined],
    ['@scope/mcp', undefined],
    ['', /out of range/],
    ['a/b', /./],
    ['@scope/a@1.2.3', /not a bare/],
    ['..', /./],
  ])('%j', (name, problem) => {
    const got = npmNameProblem(name);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(problem);
  });

  it('escapes the scope slash as the npm client does', () => {
    expect(escapePackageName('@a/b')).toBe('@a%2fb');
    expect(escapePackageName('plain')).toBe('plain');
  });
});
