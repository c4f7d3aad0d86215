import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ANALYZER_LIMITS, DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import type { Report } from '../core/report.js';
import type { FakeRegistry } from '../fetch/test-helpers/registry-server.js';
import { buildPackageTarball, sha512Integrity, startRegistryServer, tarballUrl } from '../fetch/test-helpers/registry-server.js';
import type { HarvestItem, HarvestSource } from '../sources/source.js';
import type { Store } from '../store/index.js';
import { openStore } from '../store/index.js';
import type { AnalysisPool, AnalysisRequest } from './analysis-pool.js';
import { OutOfHeapError, createInlinePool, retryParseTokens, transferable } from './analysis-pool.js';
import type { HarvestEvent, HarvestOptions } from './harvest.js';
import { runHarvest } from './harvest.js';

function fakeSource(items: readonly HarvestItem[], id = 'fake'): HarvestSource {
  return {
    id,
    async *list(options) {
      let n = 0;
      for (const item of items) {
        if (options.signal.aborted) return { status: 'aborted', pages: 1, items: n };
        yield item;
        n += 1;
      }
      return { status: 'complete', pages: 1, items: n };
    },
  };
}

const npmItem = (name: string, version: string, integrity?: string): HarvestItem => ({
  key: `npm:${name}@${version}`,
  target: { kind: 'npm', spec: `npm:${name}@${version}`, name, version },
  origin: 'npm',
  ...(integrity !== undefined ? { npm: { integrity } } : {}),
});

const SERVER = 'const { Server } = require("@modelcontextprotocol/sdk/server/index.js");\nmodule.exports = Server;\n';

let dir: string;
let store: Store;
let registry: FakeRegistry | undefined;
const closers: (() => Promise<void>)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'assay-harvest-'));
  store = openStore(join(dir, 'h.db'));
});
afterEach(async () => {
  store.close();
  await registry?.close();
  registry = undefined;
  for (const close of closers.splice(0)) await close();
  rmSync(dir, { recursive: true, force: true });
});

async function tarballOf(name: string, version: string): Promise<Buffer> {
  return buildPackageTarball({ 'package.json': JSON.stringify({ name, version, main: 'index.js' }), 'index.js': SERVER });
}

function dirTarget(name: string): HarvestItem {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name, version: '0.0.1' }));
  writeFileSync(join(root, 'index.js'), SERVER);
  return { key: `dir:${name}`, target: { kind: 'dir', spec: root }, origin: 'list' };
}

/**
 * An in-process pool that analyses without a Docker engine, whatever the harvest was given: unit tests have no
 * engine. `intercept` sees each request first and may answer it instead.
 */
function enginelessPool(intercept: (request: AnalysisRequest) => Promise<Report> | undefined = () => undefined): AnalysisPool {
  const inline = createInlinePool();
  return {
    size: 0,
    analyse: (request, signal) => intercept(request) ?? inline.analyse({ ...request, capabilities: { network: false, docker: false } }, signal),
    close: () => inline.close(),
  };
}

function options(sources: HarvestSource[], extra: Partial<HarvestOptions> = {}): HarvestOptions & { events: HarvestEvent[] } {
  const events: HarvestEvent[] = [];
  return {
    store,
    sources,
    signal: new AbortController().signal,
    limits: DEFAULT_WORKSPACE_LIMITS,
    analyzerLimits: DEFAULT_ANALYZER_LIMITS,
    pool: createInlinePool(),
    capabilities: { network: false, docker: false },
    registry: registry?.url,
    retryBaseMs: 10,
    onEvent: (e) => events.push(e),
    events,
    ...extra,
  };
}

describe('runHarvest', () => {
  it.each([
    { name: 'by default', extra: {}, inMemory: true },
    { name: 'not with --workspace-memory 0', extra: { workspaceMemoryBytes: 0 }, inMemory: false },
    { name: 'not with the sandbox (it copies from a directory)', extra: { capabilities: { network: false, docker: true } }, inMemory: false },
  ])('analyses npm packages in memory $name', async ({ extra, inMemory }) => {
    const a = await tarballOf('pkg-a', '1.0.0');
    registry = await startRegistryServer({ 'pkg-a': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball: a } } } });
    const seen: { root: boolean; contents: boolean }[] = [];
    const pool = enginelessPool((request) => {
      seen.push({ root: request.workspace.root !== undefined, contents: request.contents !== undefined });
      return undefined;
    });
    const summary = await runHarvest(options([fakeSource([npmItem('pkg-a', '1.0.0')])], { pool, ...extra }));
    expect(summary).toMatchObject({ scanned: 1, failed: [] });
    expect(seen).toEqual([{ root: !inMemory, contents: inMemory }]);
    const report = store.latestScan('pkg-a')?.report;
    expect(report?.target.name).toBe('pkg-a');
    expect(report?.analyzers.filter((r) => r.status === 'failed' || r.status === 'partial')).toEqual([]);
  });

  it('skips an unchanged exact version listed without an integrity after one packument request, without a download', async () => {
    const a = await tarballOf('pkg-a', '1.0.0');
    registry = await startRegistryServer({ 'pkg-a': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball: a } } } });
    const listed: HarvestItem = { ...npmItem('pkg-a', '1.0.0'), origin: 'list' };
    const first = await runHarvest(options([fakeSource([listed])]));
    expect(first).toMatchObject({ scanned: 1, skippedUnchanged: 0, failed: [] });
    const tarballs = registry.tarballRequests();
    const requests = registry.requests.length;

    const second = await runHarvest(options([fakeSource([listed])]));
    expect(second).toMatchObject({ scanned: 0, skippedUnchanged: 1, failed: [] });
    expect(registry.tarballRequests()).toBe(tarballs);
    expect(registry.requests.length - requests).toBe(1);
  });

  it.each([
    { name: 'asks the registry nothing', tarball: true, requests: [] },
    { name: 'asks for the manifest again without its tarball address', tarball: false, requests: ['/pkg-a'] },
  ])('with the archive cached, an npm source item that carried its packument $name', async ({ tarball, requests }) => {
    const a = await tarballOf('pkg-a', '1.0.0');
    registry = await startRegistryServer({ 'pkg-a': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball: a } } } });
    const npm = { integrity: sha512Integrity(a), ...(tarball ? { tarball: tarballUrl(registry.url, 'pkg-a', '1.0.0') } : {}) };
    const item: HarvestItem = { ...npmItem('pkg-a', '1.0.0'), npm };
    const cacheDir = join(dir, 'archives');
    expect(await runHarvest(options([fakeSource([item])], { cacheDir }))).toMatchObject({ scanned: 1, failed: [] });
    // A second catalog over the same archive cache: the version is new to it, so it is fetched and scanned.
    const other = openStore(join(dir, 'other.db'));
    try {
      const before = registry.requests.length;
      expect(await runHarvest(options([fakeSource([item])], { cacheDir, store: other }))).toMatchObject({ scanned: 1, failed: [] });
      expect(registry.requests.slice(before)).toEqual(requests);
      expect(other.latestScan('pkg-a')?.report.target.integrity).toBe(npm.integrity);
    } finally {
      other.close();
    }
  });

  it('rescans what an earlier harvest scanned without a Docker engine once it has one, and only then', async () => {
    const a = await tarballOf('pkg-a', '1.0.0');
    registry = await startRegistryServer({ 'pkg-a': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball: a } } } });
    const item = npmItem('pkg-a', '1.0.0', sha512Integrity(a));
    expect(await runHarvest(options([fakeSource([item])]))).toMatchObject({ scanned: 1, skippedUnchanged: 0 });
    expect(store.latestScan('pkg-a')?.report.analyzers.find((r) => r.id === 'sandbox')).toMatchObject({ status: 'skipped' });
    expect(await runHarvest(options([fakeSource([item])]))).toMatchObject({ scanned: 0, skippedUnchanged: 1 });

    const withDocker = await runHarvest(options([fakeSource([item])], { pool: enginelessPool(), capabilities: { network: false, docker: true } }));
    expect(withDocker).toMatchObject({ scanned: 1, skippedUnchanged: 0, failed: [] });
    expect(await runHarvest(options([fakeSource([item])]))).toMatchObject({ scanned: 0, skippedUnchanged: 1 });
  });

  it('stops, and fails with the reason, when another harvest takes its run over', async () => {
    const stealer: HarvestSource = {
      id: 'stealer',
      async *list(options) {
        yield dirTarget('first');
        // What a second harvest does once this one's hold has lapsed: it takes the run.
        const db = new Database(join(dir, 'h.db'));
        try {
          db.prepare("UPDATE harvest_runs SET owner_token = 'second-harvest'").run();
        } finally {
          db.close();
        }
        await new Promise<void>((resolve) => options.signal.addEventListener('abort', () => resolve(), { once: true }));
        return { status: 'aborted', pages: 1, items: 1 };
      },
    };
    await expect(runHarvest(options([stealer], { holdRenewMs: 20 }))).rejects.toThrow(/another harvest took over run 1 after this one stopped renewing its hold/);
    const db = new Database(join(dir, 'h.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT status, owner_token AS token, finished_at AS finished FROM harvest_runs').all()).toEqual([{ status: 'running', token: 'second-harvest', finished: null }]);
    } finally {
      db.close();
    }
  });

  it('fetches and scans a listed exact version whose published integrity changed', async () => {
    const a = await tarballOf('pkg-a', '1.0.0');
    registry = await startRegistryServer({ 'pkg-a': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball: a } } } });
    const listed: HarvestItem = { ...npmItem('pkg-a', '1.0.0'), origin: 'list' };
    await runHarvest(options([fakeSource([listed])]));
    await registry.close();
    const changed = await buildPackageTarball({ 'package.json': JSON.stringify({ name: 'pkg-a', version: '1.0.0' }), 'index.js': `${SERVER}// republished\n` });
    registry = await startRegistryServer({ 'pkg-a': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball: changed } } } });
    const second = await runHarvest(options([fakeSource([listed])], { registry: registry.url }));
    expect(second).toMatchObject({ scanned: 1, skippedUnchanged: 0, failed: [] });
    expect(registry.tarballRequests()).toBe(1);
  });

  it('scans every target once and skips unchanged npm versions without fetching them next time', async () => {
    const a = await tarballOf('pkg-a', '1.0.0');
    const b = await tarballOf('pkg-b', '2.0.0');
    registry = await startRegistryServer({
      'pkg-a': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball: a } } },
      'pkg-b': { distTags: { latest: '2.0.0' }, versions: { '2.0.0': { tarball: b } } },
    });
    const items = [npmItem('pkg-a', '1.0.0', sha512Integrity(a)), npmItem('pkg-b', '2.0.0', sha512Integrity(b)), dirTarget('local-a')];
    // The same item listed twice (two sources) is one job.
    const first = await runHarvest(options([fakeSource(items), fakeSource(items.slice(0, 1), 'again')]));
    expect(first).toMatchObject({ targetsSeen: 4, scanned: 3, newVersions: 3, skippedUnchanged: 0, failed: [], interrupted: false, resumed: false });
    expect(first.sourceEnds.map((e) => e.status)).toEqual(['complete', 'complete']);
    expect(store.jobCounts(first.runId)).toMatchObject({ done: 3, queued: 0, fetching: 0, analysing: 0 });
    const tarballs = registry.tarballRequests();

    const second = await runHarvest(options([fakeSource(items)]));
    expect(second.runId).not.toBe(first.runId);
    // npm items are skipped before fetching; the directory has no integrity, so it is scanned again.
    expect(second).toMatchObject({ scanned: 1, skippedUnchanged: 2, newVersions: 0 });
    expect(registry.tarballRequests()).toBe(tarballs);
    expect(store.scanHistory('pkg-a')).toHaveLength(1);
  });

  it('rescans when an analyzer version is newer than the one behind the stored scan', async () => {
    const a = await tarballOf('pkg-a', '1.0.0');
    registry = await startRegistryServer({ 'pkg-a': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball: a } } } });
    const items = [npmItem('pkg-a', '1.0.0', sha512Integrity(a))];
    await runHarvest(options([fakeSource(items)]));
    const bumped = await runHarvest(options([fakeSource(items)], { analyzerVersions: [{ id: 'code', version: 999 }] }));
    expect(bumped).toMatchObject({ scanned: 1, skippedUnchanged: 0 });
    const same = await runHarvest(options([fakeSource(items)]));
    expect(same).toMatchObject({ scanned: 0, skippedUnchanged: 1 });
  });

  it.each([
    { runsOut: 1, scanned: 1, failed: [] },
    { runsOut: 2, scanned: 0, failed: [{ key: 'npm:pkg-a@1.0.0', reason: 'analysis ran out of memory: an analysis thread may use 256 MiB of heap (raise it with --worker-heap-mb); it ran out again when retried with a 629,145-token parse cap' }] },
  ])('analyses a package that ran its thread out of heap once more, fetched afresh, under the retry token cap (runs out $runsOut times)', async ({ runsOut, scanned, failed }) => {
    const a = await tarballOf('pkg-a', '1.0.0');
    registry = await startRegistryServer({ 'pkg-a': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball: a } } } });
    const seen: { maxParseTokens: number | undefined; intact: boolean }[] = [];
    const pool = enginelessPool((request) => {
      const contents = [...(request.contents?.values() ?? [])];
      seen.push({ maxParseTokens: request.analyzerLimits.maxParseTokens, intact: contents.length > 0 && contents.every((b) => b.buffer.byteLength > 0) });
      if (seen.length > runsOut) return undefined;
      // As a worker that dies does: the workspace's bytes moved to it and are gone here.
      structuredClone(request.contents, { transfer: transferable(request.contents) });
      return Promise.reject(new OutOfHeapError(256, retryParseTokens(256), {}));
    });
    const o = options([fakeSource([npmItem('pkg-a', '1.0.0')])], { pool });
    const summary = await runHarvest(o);
    expect(summary).toMatchObject({ scanned, failed });
    expect(seen).toEqual([
      { maxParseTokens: undefined, intact: true },
      { maxParseTokens: 629_145, intact: true },
    ]);
    expect(o.events.filter((e) => e.type === 'job-retry').map((e) => e.type === 'job-retry' && e.reason)).toEqual([
      'analysis ran out of memory: an analysis thread may use 256 MiB of heap (raise it with --worker-heap-mb); analysing it again with a 629,145-token parse cap',
    ]);
    expect(store.latestScan('pkg-a') !== undefined).toBe(scanned === 1);
  });

  it('records a failing package with its reason and finishes the others; a 404 is not retried', async () => {
    const a = await tarballOf('pkg-a', '1.0.0');
    registry = await startRegistryServer({ 'pkg-a': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball: a } } } });
    const o = options([fakeSource([npmItem('missing-pkg', '1.0.0'), npmItem('pkg-a', '1.0.0')])]);
    const summary = await runHarvest(o);
    expect(summary.scanned).toBe(1);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]?.key).toBe('npm:missing-pkg@1.0.0');
    expect(summary.failed[0]?.reason).toMatch(/not found/);
    expect(o.events.filter((e) => e.type === 'job-retry')).toHaveLength(0);
    const failed = store.jobs(summary.runId).find((j) => j.key === 'npm:missing-pkg@1.0.0');
    expect(failed).toMatchObject({ state: 'failed' });
  });

  it('retries a transient 503 with backoff, then succeeds', async () => {
    const a = await tarballOf('pkg-a', '1.0.0');
    registry = await startRegistryServer({ 'pkg-a': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball: a } } } });
    const upstream = new URL(registry.url);
    let refused = 0;
    const proxy = createServer((req, res) => {
      if (refused < 2) {
        refused += 1;
        res.writeHead(503).end('busy');
        return;
      }
      const forward = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => {
      proxy.closeAllConnections();
      proxy.close(() => resolve());
    }));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`;
    const o = options([fakeSource([npmItem('pkg-a', '1.0.0')])], { registry: url });
    const summary = await runHarvest(o);
    expect(summary).toMatchObject({ scanned: 1, failed: [] });
    expect(o.events.filter((e) => e.type === 'job-retry').length).toBeGreaterThanOrEqual(1);
  });

  it('fails a job that goes over its time limit with reason timeout', async () => {
    const a = await tarballOf('pkg-a', '1.0.0');
    registry = await startRegistryServer({ 'pkg-a': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball: a } } } }, { stallTarballs: true });
    const summary = await runHarvest(options([fakeSource([npmItem('pkg-a', '1.0.0')])], { jobTimeoutMs: 400 }));
    expect(summary.failed).toEqual([{ key: 'npm:pkg-a@1.0.0', reason: 'timeout' }]);
  });

  it('stops on the caller signal and leaves the run resumable with the job queued again', async () => {
    const a = await tarballOf('pkg-a', '1.0.0');
    registry = await startRegistryServer({ 'pkg-a': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball: a } } } }, { stallTarballs: true });
    const controller = new AbortController();
    const o = options([fakeSource([npmItem('pkg-a', '1.0.0')])], {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'job-started') setTimeout(() => controller.abort(), 200);
      },
    });
    const summary = await runHarvest(o);
    expect(summary.interrupted).toBe(true);
    expect(store.jobCounts(summary.runId)).toMatchObject({ queued: 1, failed: 0 });
    expect(store.beginHarvestRun({})).toMatchObject({ id: summary.runId, resumed: true });
  });

  it('cuts a never-ending listing at the limit and survives a source that throws', async () => {
    const endless: HarvestSource = {
      id: 'endless',
      async *list() {
        for (let i = 0; ; i += 1) yield dirTarget(`endless-${i % 2}`);
      },
    };
    const broken: HarvestSource = {
      id: 'broken',
      async *list() {
        throw new Error('listing exploded \u001b[31m');
      },
    };
    const summary = await runHarvest(options([broken, endless], { limit: 3 }));
    expect(summary.targetsSeen).toBe(3);
    // Two distinct keys among the three items: one job each.
    expect(summary.scanned).toBe(2);
    const ends = Object.fromEntries(summary.sourceEnds.map((e) => [e.source, e.status]));
    expect(ends).toEqual({ broken: 'failed', endless: 'limit' });
  });

  it('honours the limit across sources', async () => {
    const items = [dirTarget('d1'), dirTarget('d2'), dirTarget('d3')];
    const summary = await runHarvest(options([fakeSource(items)], { limit: 2 }));
    expect(summary.targetsSeen).toBe(2);
    expect(summary.scanned).toBe(2);
  });
});
