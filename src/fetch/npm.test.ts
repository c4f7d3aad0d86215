import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCategory } from '../core/errors.js';
import { DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import type { WorkspaceLimits } from '../core/limits.js';
import type { Target } from '../core/target.js';
import { openArchiveCache } from './archive-cache.js';
import { fetchNpm } from './npm.js';
import type { NpmFetchOptions, ResolvedVersion } from './npm.js';
import { buildPackageTarball, sha512Integrity, startRegistryServer, tarballUrl } from './test-helpers/registry-server.js';
import type { FakePackage, FakeRegistry } from './test-helpers/registry-server.js';
import type { FetchContext } from './workspace.js';
import { closedLoopbackPort, expectAssayError, rootOf } from './test-helpers/expect.js';

let tmp = '';
let registry: FakeRegistry;
let marker = '';
const integrities: Record<string, string> = {};
/** What the shared registry serves; `integrities` also records tarballs made later for other servers. */
let served: Record<string, string> = {};

function pkgJson(name: string, version: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ name, version, ...extra });
}

async function version(name: string, v: string, files: Record<string, string | Buffer> = {}, extra: Record<string, unknown> = {}) {
  const tarball = await buildPackageTarball({ 'package.json': pkgJson(name, v, extra), 'index.js': `module.exports = '${v}';\n`, ...files });
  integrities[`${name}@${v}`] = sha512Integrity(tarball);
  return { tarball, manifest: extra };
}

async function sha1Only(name: string, v: string) {
  const made = await version(name, v);
  return { ...made, integrity: `sha1-${createHash('sha1').update(made.tarball).digest('base64')}` };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'assay-npm-'));
  marker = path.join(tmp, 'install-script-ran');
  // Every lifecycle script npm knows would leave the marker behind; none may run.
  const writeMarker = `node -e "require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')"`;
  const scripts = { preinstall: writeMarker, install: writeMarker, postinstall: writeMarker, prepare: writeMarker, prepack: writeMarker };
  const other = await version('other-pkg', '1.0.0');
  const packages: Record<string, FakePackage> = {
    'demo-server': {
      distTags: { latest: '1.2.0', next: '2.0.0-beta.1' },
      versions: {
        '1.0.0': await version('demo-server', '1.0.0'),
        '1.2.0': await version('demo-server', '1.2.0'),
        '2.0.0-beta.1': await version('demo-server', '2.0.0-beta.1'),
      },
    },
    '@acme/mcp-tool': { distTags: { latest: '0.3.1' }, versions: { '0.3.1': await version('@acme/mcp-tool', '0.3.1') } },
    // The packument claims another tarball's checksum.
    tampered: {
      distTags: { latest: '1.0.0' },
      versions: { '1.0.0': { ...(await version('tampered', '1.0.0')), integrity: sha512Integrity(other.tarball) } },
    },
    huge: {
      distTags: { latest: '1.0.0' },
      versions: { '1.0.0': await version('huge', '1.0.0', { 'blob.bin': randomBytes(256 * 1024) }) },
    },
    scripted: {
      distTags: { latest: '1.0.0' },
      versions: { '1.0.0': await version('scripted', '1.0.0', { 'install.js': `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')` }, { scripts }) },
    },
    empty: { distTags: {}, versions: {} },
    // Only a sha1 checksum: still fetched and verified, but never a cache key.
    'sha1-only': {
      distTags: { latest: '1.0.0' },
      versions: { '1.0.0': await sha1Only('sha1-only', '1.0.0') },
    },
  };
  const liar = { name: 'liar', 'dist-tags': { latest: '1.0.0' }, versions: { '1.0.0': { name: 'other-pkg', version: '1.0.0', dist: { tarball: 'http://127.0.0.1:9/x.tgz' } } } };
  served = { ...integrities };
  registry = await startRegistryServer(packages, { rawPackuments: { garbled: '{"name":"garbled","versions":{', liar: JSON.stringify(liar) } });
});

afterAll(async () => {
  await registry.close();
  await rm(tmp, { recursive: true, force: true });
});

function ctx(overrides: Partial<FetchContext & NpmFetchOptions> = {}, limits: Partial<WorkspaceLimits> = {}): FetchContext & NpmFetchOptions {
  return {
    limits: { ...DEFAULT_WORKSPACE_LIMITS, ...limits },
    signal: AbortSignal.timeout(30_000),
    registry: registry.url,
    cacheDir: path.join(tmp, 'cache'),
    retries: 0,
    timeoutMs: 5_000,
    tmpDir: tmp,
    ...overrides,
  };
}

function npmTarget(spec: string, name: string): Target {
  return { kind: 'npm', spec: `npm:${spec}`, name };
}

describe('fetchNpm', () => {
  const resolves: [string, string, string][] = [
    ['exact version', 'demo-server@1.0.0', '1.0.0'],
    ['range', 'demo-server@^1.0.0', '1.2.0'],
    ['default tag', 'demo-server@latest', '1.2.0'],
    ['other tag', 'demo-server@next', '2.0.0-beta.1'],
    ['scoped name', '@acme/mcp-tool@0.3.1', '0.3.1'],
  ];
  it.each(resolves)('%s: %s → %s', async (_label, spec, expected) => {
    const name = spec.slice(0, spec.lastIndexOf('@'));
    const made = await fetchNpm(npmTarget(spec, name), ctx());
    try {
      const ws = made.workspace;
      expect(ws.name).toBe(name);
      expect(ws.version).toBe(expected);
      expect(ws.integrity).toBe(integrities[`${name}@${expected}`]);
      const main = ws.files.find((f) => f.path.endsWith('index.js'));
      expect(main).toBeDefined();
      const content = await readFile(path.join(rootOf(ws), main?.path ?? ''), 'utf8');
      expect(content).toContain(`'${expected}'`);
    } finally {
      await made.dispose();
    }
  });

  it('asks for a scoped package at /@scope%2fname', async () => {
    const made = await fetchNpm(npmTarget('@acme/mcp-tool@0.3.1', '@acme/mcp-tool'), ctx());
    await made.dispose();
    expect(registry.requests.some((r) => r.toLowerCase() === '/@acme%2fmcp-tool')).toBe(true);
  });

  const failures: [string, string, ErrorCategory, RegExp][] = [
    ['unknown package', 'no-such-package@1.0.0', 'notFound', /^package not found in the registry: no-such-package$/],
    ['unknown version', 'demo-server@9.9.9', 'notFound', /no version of demo-server matches 9\.9\.9; available versions: 2\.0\.0-beta\.1, 1\.2\.0, 1\.0\.0; tags: latest=1\.2\.0, next=2\.0\.0-beta\.1/],
    ['unknown tag', 'demo-server@nightly', 'notFound', /no version of demo-server matches nightly/],
    ['package without versions', 'empty@latest', 'notFound', /no version of empty matches latest/],
    ['integrity mismatch', 'tampered@1.0.0', 'integrity', /integrity check failed for tampered@1\.0\.0/],
    ['malformed packument', 'garbled@1.0.0', 'invalidInput', /^the registry sent an invalid response for garbled: /],
    ['manifest for another package', 'liar@1.0.0', 'integrity', /answered liar@1\.0\.0 with a manifest for another package/],
  ];
  it.each(failures)('%s → %s', async (_label, spec, category, message) => {
    const name = spec.slice(0, spec.lastIndexOf('@'));
    const error = await expectAssayError(fetchNpm(npmTarget(spec, name), ctx()));
    expect(error.category).toBe(category);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });

  it('reports an unreachable registry as a network error', async () => {
    const url = `http://127.0.0.1:${await closedLoopbackPort()}/`;
    const error = await expectAssayError(fetchNpm(npmTarget('demo-server@1.0.0', 'demo-server'), ctx({ registry: url })));
    expect(error.category).toBe('network');
    expect(error.message).toBe(`registry unreachable: ${url}: ECONNREFUSED`);
  });

  it('reports 5xx answers as a network error', async () => {
    const broken = await startRegistryServer({}, { status: 503 });
    try {
      const error = await expectAssayError(fetchNpm(npmTarget('demo-server@1.0.0', 'demo-server'), ctx({ registry: broken.url })));
      expect(error.category).toBe('network');
      expect(error.message).toBe(`registry unreachable: ${broken.url}: E503`);
    } finally {
      await broken.close();
    }
  });

  it('stops a download over the archive cap', async () => {
    const error = await expectAssayError(fetchNpm(npmTarget('huge@1.0.0', 'huge'), ctx({}, { maxArchiveBytes: 64 * 1024 })));
    expect(error.category).toBe('invalidInput');
    expect(error.message).toMatch(/--max-archive-size/);
  });

  it('never runs a lifecycle script of the package', async () => {
    const made = await fetchNpm(npmTarget('scripted@1.0.0', 'scripted'), ctx());
    try {
      const manifest = made.workspace.files.find((f) => f.path.endsWith('package.json'));
      expect(manifest).toBeDefined();
      const pkg = JSON.parse(await readFile(path.join(rootOf(made.workspace), manifest?.path ?? ''), 'utf8')) as { scripts?: Record<string, string> };
      expect(Object.keys(pkg.scripts ?? {})).toContain('postinstall');
    } finally {
      await made.dispose();
    }
    expect(existsSync(marker)).toBe(false);
  });

  it.each([
    ['a git spec', 'npm:foo@git+https://git.example.test/a/b.git'],
    ['a file spec', 'npm:foo@file:../x'],
    ['an alias', 'npm:foo@npm:bar@1.0.0'],
    ['a non-npm target', 'demo-server@1.0.0'],
  ])('refuses %s before any request', async (_label, spec) => {
    const before = registry.requests.length;
    const error = await expectAssayError(fetchNpm({ kind: 'npm', spec }, ctx()));
    expect(error.category).toBe('usage');
    expect(registry.requests.length).toBe(before);
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(fetchNpm(npmTarget('demo-server@1.0.0', 'demo-server'), ctx({ signal: controller.signal }))).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('stops a hanging download when the signal aborts', async () => {
    const stalled = await startRegistryServer(
      { 'demo-server': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': await version('demo-server', '1.0.0') } } },
      { stallTarballs: true },
    );
    try {
      // Its own cache dir: the tarball may be byte-identical to one cached earlier, and must be downloaded.
      const started = Date.now();
      const signal = AbortSignal.timeout(300);
      await expect(fetchNpm(npmTarget('demo-server@1.0.0', 'demo-server'), ctx({ registry: stalled.url, signal, cacheDir: path.join(tmp, 'cache-stalled') }))).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(stalled.requests.some((r) => r.endsWith('.tgz'))).toBe(true);
    } finally {
      await stalled.close();
    }
  });

  it('keeps its cache in the directory it is given, without pacote\'s own cache', async () => {
    const made = await fetchNpm(npmTarget('demo-server@1.0.0', 'demo-server'), ctx());
    await made.dispose();
    expect(existsSync(path.join(tmp, 'cache', 'sha512'))).toBe(true);
    expect(existsSync(path.join(tmp, 'cache', '_cacache'))).toBe(false);
  });
});

let cacheDirs = 0;
/** An archive cache dir no earlier test used. */
function freshCacheDir(): string {
  cacheDirs += 1;
  return path.join(tmp, `archive-cache-${cacheDirs}`);
}

describe('fetchNpm with the archive cache', () => {

  function entryPath(cacheDir: string, id: string): string {
    const integrity = served[id] ?? '';
    const hex = Buffer.from(integrity.slice('sha512-'.length), 'base64').toString('hex');
    return path.join(cacheDir, 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex);
  }

  async function fetchIndex(spec: string, name: string, options: Partial<FetchContext & NpmFetchOptions>): Promise<string> {
    const made = await fetchNpm(npmTarget(spec, name), ctx(options));
    try {
      expect(made.workspace.integrity).toBe(served[`${name}@${made.workspace.version ?? ''}`]);
      return await readFile(path.join(rootOf(made.workspace), 'index.js'), 'utf8');
    } finally {
      await made.dispose();
    }
  }

  it('serves a second fetch of the same version without a tarball request', async () => {
    const cacheDir = freshCacheDir();
    const before = registry.tarballRequests();
    expect(await fetchIndex('demo-server@1.0.0', 'demo-server', { cacheDir })).toContain("'1.0.0'");
    expect(registry.tarballRequests()).toBe(before + 1);
    expect(existsSync(entryPath(cacheDir, 'demo-server@1.0.0'))).toBe(true);
    expect(await fetchIndex('demo-server@1.0.0', 'demo-server', { cacheDir })).toContain("'1.0.0'");
    expect(await fetchIndex('demo-server@^1.0.0', 'demo-server', { cacheDir })).toContain("'1.2.0'");
    expect(await fetchIndex('demo-server@1.2.0', 'demo-server', { cacheDir })).toContain("'1.2.0'");
    expect(registry.tarballRequests()).toBe(before + 2);
  });

  it.each([
    ['garbage bytes', Buffer.from('not a tarball')],
    ['an empty file', Buffer.alloc(0)],
  ])('detects a cache entry replaced by %s and downloads again', async (_label, corrupt) => {
    const cacheDir = freshCacheDir();
    await fetchIndex('demo-server@1.0.0', 'demo-server', { cacheDir });
    const entry = entryPath(cacheDir, 'demo-server@1.0.0');
    await writeFile(entry, corrupt);
    const before = registry.tarballRequests();
    expect(await fetchIndex('demo-server@1.0.0', 'demo-server', { cacheDir })).toContain("'1.0.0'");
    expect(registry.tarballRequests()).toBe(before + 1);
    expect(createHash('sha512').update(await readFile(entry)).digest('base64')).toBe(served['demo-server@1.0.0']?.slice(7));
  });

  it('keeps the cache under its cap, dropping the least recently used archive', async () => {
    const cacheDir = freshCacheDir();
    const sizes = await Promise.all(['1.0.0', '1.2.0'].map(async (v) => {
      await fetchIndex(`demo-server@${v}`, 'demo-server', { cacheDir });
      return (await readFile(entryPath(cacheDir, `demo-server@${v}`))).length;
    }));
    const cap = (sizes[0] ?? 0) + (sizes[1] ?? 0) + 16;
    await rm(cacheDir, { recursive: true, force: true });
    for (const v of ['1.0.0', '1.2.0', '2.0.0-beta.1']) await fetchIndex(`demo-server@${v}`, 'demo-server', { cacheDir, cacheMaxBytes: cap });
    const stats = await (await openArchiveCache({ dir: cacheDir, maxBytes: cap })).stats();
    expect(stats.totalBytes).toBeLessThanOrEqual(cap);
    expect(stats.entries).toBe(2);
    expect(existsSync(entryPath(cacheDir, 'demo-server@1.0.0'))).toBe(false);
    const before = registry.tarballRequests();
    await fetchIndex('demo-server@2.0.0-beta.1', 'demo-server', { cacheDir, cacheMaxBytes: cap });
    expect(registry.tarballRequests()).toBe(before);
  });

  it('never caches without a usable sha512/384/256 integrity, but still fetches', async () => {
    const cacheDir = freshCacheDir();
    const before = registry.tarballRequests();
    for (let i = 0; i < 2; i += 1) {
      const made = await fetchNpm(npmTarget('sha1-only@1.0.0', 'sha1-only'), ctx({ cacheDir }));
      await made.dispose();
    }
    expect(registry.tarballRequests()).toBe(before + 2);
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('refuses a cache dir that is a symbolic link before any request', async () => {
    const real = path.join(tmp, 'real-cache');
    const link = path.join(tmp, 'linked-cache');
    await mkdir(real, { recursive: true });
    await symlink(real, link);
    const before = registry.requests.length;
    const error = await expectAssayError(fetchNpm(npmTarget('demo-server@1.0.0', 'demo-server'), ctx({ cacheDir: link })));
    expect(error.category).toBe('usage');
    expect(error.message).toMatch(/is a symbolic link/);
    expect(registry.requests.length).toBe(before);
  });

  it('downloads every time when no cache dir is set', async () => {
    const before = registry.tarballRequests();
    const { cacheDir: _unused, ...rest } = ctx();
    for (let i = 0; i < 2; i += 1) {
      const made = await fetchNpm(npmTarget('demo-server@1.0.0', 'demo-server'), rest);
      await made.dispose();
    }
    expect(registry.tarballRequests()).toBe(before + 2);
  });
});

describe('fetchNpm with the version its source resolved', () => {
  function resolvedFor(id: string, overrides: Partial<ResolvedVersion> = {}): ResolvedVersion {
    const at = id.lastIndexOf('@');
    const name = id.slice(0, at);
    const version = id.slice(at + 1);
    return { version, integrity: served[id] ?? '', tarball: tarballUrl(registry.url, name, version), ...overrides };
  }

  async function fetchWith(spec: string, name: string, options: Partial<FetchContext & NpmFetchOptions>): Promise<{ version: string | undefined; requests: string[] }> {
    const before = registry.requests.length;
    const made = await fetchNpm(npmTarget(spec, name), ctx(options));
    try {
      expect(made.workspace.integrity).toBe(served[`${name}@${made.workspace.version ?? ''}`]);
      expect(await readFile(path.join(rootOf(made.workspace), 'index.js'), 'utf8')).toContain(`'${made.workspace.version ?? ''}'`);
      return { version: made.workspace.version, requests: registry.requests.slice(before) };
    } finally {
      await made.dispose();
    }
  }

  it('asks the registry nothing when the archive is cached', async () => {
    const cacheDir = freshCacheDir();
    await fetchWith('demo-server@1.0.0', 'demo-server', { cacheDir });
    const again = await fetchWith('demo-server@1.0.0', 'demo-server', { cacheDir, resolved: resolvedFor('demo-server@1.0.0') });
    expect(again).toEqual({ version: '1.0.0', requests: [] });
  });

  it('downloads the archive when it is not cached, and asks nothing the next time', async () => {
    const cacheDir = freshCacheDir();
    const first = await fetchWith('@acme/mcp-tool@0.3.1', '@acme/mcp-tool', { cacheDir, resolved: resolvedFor('@acme/mcp-tool@0.3.1') });
    // pacote reads the packument before any registry download, whatever it is told.
    expect(first.requests).toEqual(['/@acme%2fmcp-tool', '/@acme/mcp-tool/-/mcp-tool-0.3.1.tgz']);
    const again = await fetchWith('@acme/mcp-tool@0.3.1', '@acme/mcp-tool', { cacheDir, resolved: resolvedFor('@acme/mcp-tool@0.3.1') });
    expect(again.requests).toEqual([]);
  });

  it('checks a download against the resolved integrity, and caches nothing that fails', async () => {
    const cacheDir = freshCacheDir();
    const wrong = resolvedFor('demo-server@1.0.0', { integrity: served['demo-server@1.2.0'] ?? '' });
    const error = await expectAssayError(fetchNpm(npmTarget('demo-server@1.0.0', 'demo-server'), ctx({ cacheDir, resolved: wrong })));
    expect(error.category).toBe('integrity');
    expect((await (await openArchiveCache({ dir: cacheDir, maxBytes: 1 << 30 })).stats()).entries).toBe(0);
  });

  const ignored: [string, string, Partial<ResolvedVersion>][] = [
    ['a range, not an exact version', 'demo-server@^1.0.0', { version: '1.2.0' }],
    ['another version than the spec', 'demo-server@1.2.0', { version: '1.0.0' }],
    ['an invalid version', 'demo-server@1.2.0', { version: 'v1.2.0-' }],
    ['a sha1 integrity', 'demo-server@1.2.0', { integrity: 'sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }],
    ['garbage for an integrity', 'demo-server@1.2.0', { integrity: 'not an integrity' }],
    ['a file: tarball', 'demo-server@1.2.0', { tarball: 'file:///etc/passwd' }],
    ['a git tarball', 'demo-server@1.2.0', { tarball: 'git+ssh://git@127.0.0.1/x.git' }],
    ['a relative tarball', 'demo-server@1.2.0', { tarball: '/demo-server/-/demo-server-1.2.0.tgz' }],
  ];
  it.each(ignored)('asks for the manifest when the source gave %s', async (_label, spec, overrides) => {
    const got = await fetchWith(spec, 'demo-server', { cacheDir: freshCacheDir(), resolved: resolvedFor('demo-server@1.2.0', overrides) });
    expect(got.version).toBe('1.2.0');
    expect(got.requests).toContain('/demo-server');
    expect(got.requests).toContain('/demo-server/-/demo-server-1.2.0.tgz');
  });
});
