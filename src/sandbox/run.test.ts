/**
 * The whole sandbox run on each fixture in test/fixtures/sandbox/, for real in Docker (skipped without an
 * engine, failing in CI; see test-helpers/docker-available.ts), plus the host-side planning without it.
 * The fixtures only ever run inside the container.
 */
import { access, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ANALYZERS } from '../analyzers/index.js';
import { createSandboxAnalyzer } from '../analyzers/sandbox/index.js';
import { DEFAULT_ANALYZER_LIMITS, DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import type { ToolInfo } from '../core/tool.js';
import type { Workspace } from '../core/workspace.js';
import { fetchWorkspace } from '../fetch/index.js';
import { buildPackageTarball, startRegistryServer } from '../fetch/test-helpers/registry-server.js';
import { runScan } from '../queue/scan-job.js';
import { liveContainerCount, listRunContainers } from './container.js';
import type { SandboxScanResult } from './run.js';
import { planDependencies, resolveEntryPoint, runSandbox } from './run.js';
import { describeWithDocker } from './test-helpers/docker-available.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/sandbox');
const fixture = (name: string): string => path.join(FIXTURES, name);
const never = new AbortController().signal;
/** Small limits keep the suite fast: every fixture answers (or fails) within a second or two. */
const FAST = { timeoutMs: 20_000, mcpTimeouts: { initialize: 2_500, list: 2_000 } } as const;

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

async function workspaceOf(dir: string): Promise<{ workspace: Workspace; dispose: () => Promise<void> }> {
  const made = await fetchWorkspace({ kind: 'dir', spec: dir }, { limits: DEFAULT_WORKSPACE_LIMITS, signal: never });
  return { workspace: made.workspace, dispose: () => made.dispose() };
}

async function sandboxed(name: string, staticTools: readonly ToolInfo[] = []): Promise<SandboxScanResult> {
  const { workspace, dispose } = await workspaceOf(fixture(name));
  try {
    const result = await runSandbox(workspace, { signal: never, staticTools, ...FAST });
    expect(result.runIds.length).toBeGreaterThan(0);
    for (const runId of result.runIds) expect(await listRunContainers(runId)).toEqual([]);
    return result;
  } finally {
    await dispose();
  }
}

const rules = (r: SandboxScanResult): string[] => [...new Set(r.findings.map((f) => f.ruleId))].sort();
const phase = (r: SandboxScanResult, name: string) => r.phases.find((p) => p.phase === name);
const staticTool = (name: string, description: string): ToolInfo => ({ name, description, source: 'static' });

describe('planning on the host', () => {
  it.each([
    ['no dependencies', {}, false, 'none'],
    ['registry ranges', { dependencies: { a: '^1.0.0', b: 'latest', c: 'npm:d@2' } }, false, 'install'],
    ['bundled node_modules', { dependencies: { a: '^1.0.0' } }, true, 'bundled'],
    ['a URL dependency', { dependencies: { a: 'https://127.0.0.1:1/a.tgz' } }, false, 'refused'],
    ['a git dependency', { dependencies: { a: 'git+ssh://git@127.0.0.1/x.git' } }, false, 'refused'],
    ['a file dependency', { optionalDependencies: { a: 'file:../../etc' } }, false, 'refused'],
    ['a non-string spec', { dependencies: { a: { evil: true } } }, false, 'refused'],
  ] as const)('%s → %s', (_label, manifest, bundled, kind) => {
    expect(planDependencies(manifest, bundled).kind).toBe(kind);
  });

  it('takes the bin named like the package, refuses entries outside it, and adds server.json arguments', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sbx-entry-'));
    temps.push(dir);
    await writeFile(path.join(dir, 'a.js'), '');
    await writeFile(path.join(dir, 'own.js'), '');
    await writeFile(path.join(dir, 'server.json'), JSON.stringify({ name: 'x', packages: [{ registryType: 'npm', packageArguments: [{ type: 'positional', value: 'stdio' }, { type: 'named', name: '--port', default: '0' }, { type: 'positional' }] }] }));
    const entry = await resolveEntryPoint(dir, { name: '@s/own', bin: { other: 'a.js', own: 'own.js' } });
    expect(entry?.cmd).toEqual(['/usr/local/bin/node', '/pkg/own.js', 'stdio', '--port=0']);
    expect(await resolveEntryPoint(dir, { bin: '../../etc/passwd', main: '/etc/passwd' })).toBeUndefined();
    expect((await resolveEntryPoint(dir, { main: 'a' }))?.cmd).toContain('/pkg/a.js');
  });
});

await describeWithDocker('runSandbox on the fixtures (in Docker)', () => {
  it('benign: no threat findings, its tool listed with source sandbox', async () => {
    const r = await sandboxed('benign', [staticTool('echo', 'Returns the text it is given.')]);
    expect(r.status).toBe('completed');
    expect(r.findings.filter((f) => f.kind === 'threat')).toEqual([]);
    expect(r.tools.map((t) => [t.name, t.source])).toEqual([['echo', 'sandbox']]);
    expect(r.phases.map((p) => [p.phase, p.status])).toEqual([['start', 'completed'], ['mcp', 'completed']]);
  });

  it('exfil-env-on-initialize: a critical canary-exfiltrated naming the host it tried', async () => {
    const r = await sandboxed('exfil-env-on-initialize');
    const leak = r.findings.find((f) => f.ruleId === 'sandbox/canary-exfiltrated');
    expect(leak?.severity).toBe('critical');
    expect(leak?.message).toContain('collector.exfil.invalid');
    expect(leak?.message).toContain('AWS_SECRET_ACCESS_KEY');
    expect(rules(r)).toEqual(expect.arrayContaining(['sandbox/dns-lookup', 'sandbox/outbound-connection']));
  });

  it('reads-ssh-key-in-tool: canary-file-read', async () => {
    const r = await sandboxed('reads-ssh-key-in-tool');
    expect(r.findings.find((f) => f.ruleId === 'sandbox/canary-file-read')?.message).toContain('/home/sandbox/.ssh/id_rsa');
  });

  it('postinstall-payload: install-phase network and exec findings, then the server still starts', async () => {
    const r = await sandboxed('postinstall-payload');
    expect(phase(r, 'install')?.status).toBe('completed');
    expect(rules(r)).toEqual(expect.arrayContaining(['sandbox/install-script-network', 'sandbox/install-script-exec']));
    expect(r.findings.find((f) => f.ruleId === 'sandbox/install-script-network')?.message).toContain('payload.exfil.invalid');
    expect(r.findings.find((f) => f.ruleId === 'sandbox/install-script-exec')?.message).toContain('/tmp/payload.sh');
    expect(phase(r, 'mcp')?.status).toBe('completed');
  });

  it('hangs: timeout status, timeout and did-not-start findings', async () => {
    const r = await sandboxed('hangs');
    expect(r.status).toBe('timeout');
    expect(phase(r, 'mcp')?.status).toBe('timeout');
    expect(rules(r)).toEqual(['sandbox/server-did-not-start', 'sandbox/timeout']);
    // The harness stopped the server once its stdin closed (and wrote its events); the host did not have to.
    expect(phase(r, 'start')?.reason ?? '').not.toMatch(/stopped by the host/);
  });

  it('fork-bomb: the process limit stops it', async () => {
    const r = await sandboxed('fork-bomb');
    expect(r.status).toBe('limit');
    expect(phase(r, 'start')).toMatchObject({ status: 'limit', limit: 'pids' });
    expect(r.findings.find((f) => f.ruleId === 'sandbox/fork-bomb')?.severity).toBe('high');
  });

  it('stdout-flood: output capped, a resource-limit finding, no crash of ours', async () => {
    const r = await sandboxed('stdout-flood');
    expect(r.status).toBe('limit');
    expect(phase(r, 'start')).toMatchObject({ status: 'limit', limit: 'output' });
    expect(rules(r)).toEqual(['sandbox/resource-limit', 'sandbox/server-did-not-start']);
  });

  it('writes-outside-scratch: write-outside-scratch naming the paths', async () => {
    const r = await sandboxed('writes-outside-scratch');
    const write = r.findings.find((f) => f.ruleId === 'sandbox/write-outside-scratch');
    expect(write?.message).toContain('/etc/cron.d/assay-fixture');
    expect(r.status).toBe('completed');
  });

  it('runtime-tools-differ: a run-time-only tool and a changed description', async () => {
    // What the fixture's code declares in its literal list (see its README).
    const r = await sandboxed('runtime-tools-differ', [staticTool('search', 'Searches the docs.')]);
    expect(r.findings.find((f) => f.ruleId === 'sandbox/tool-only-at-runtime')?.message).toContain('run_command');
    expect(r.findings.find((f) => f.ruleId === 'sandbox/tool-description-differs')?.message).toContain('read ~/.ssh');
  });

  it('dependencies: resolved on the host from the given registry with no scripts run, then required in the container', async () => {
    const marker = path.join(tmpdir(), `sbx-dep-script-ran-${process.pid}`);
    const tarball = await buildPackageTarball({
      'package.json': JSON.stringify({ name: 'assay-dep', version: '1.0.0', main: 'index.js', scripts: { preinstall: `touch ${marker}` } }),
      'index.js': "module.exports = 'description from a dependency';\n",
    });
    const registry = await startRegistryServer({ 'assay-dep': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball, manifest: { scripts: { preinstall: `touch ${marker}` } } } } } });
    const dir = await mkdtemp(path.join(tmpdir(), 'sbx-deps-ok-'));
    temps.push(dir);
    await cp(fixture('benign'), dir, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ ...manifest, dependencies: { 'assay-dep': '^1.0.0' } }));
    const server = await readFile(path.join(dir, 'server.js'), 'utf8');
    await writeFile(path.join(dir, 'server.js'), server.replace("'Returns the text it is given.'", "require('assay-dep')"));
    const { workspace, dispose } = await workspaceOf(dir);
    try {
      const r = await runSandbox(workspace, { signal: never, staticTools: [], registry: registry.url, ...FAST });
      expect(r.phases.map((p) => [p.phase, p.status])).toEqual([['start', 'completed'], ['mcp', 'completed']]);
      expect(r.tools.map((t) => t.description)).toEqual(['description from a dependency']);
      expect(registry.tarballRequests()).toBe(1);
      await expect(access(marker)).rejects.toThrow();
    } finally {
      await dispose();
      await registry.close();
    }
  });

  it('a dependency that cannot be resolved: install phase error with the reason, the start phase still runs', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sbx-deps-'));
    temps.push(dir);
    await cp(fixture('benign'), dir, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ ...manifest, dependencies: { 'left-pad': '^1.3.0' } }));
    const { workspace, dispose } = await workspaceOf(dir);
    const retries = process.env.npm_config_fetch_retries;
    process.env.npm_config_fetch_retries = '0';
    try {
      // A loopback port nothing listens on: npm fails at once, without any network.
      const r = await runSandbox(workspace, { signal: never, staticTools: [], registry: 'http://127.0.0.1:9/', ...FAST });
      expect(phase(r, 'install')?.status).toBe('error');
      expect(phase(r, 'install')?.reason).toMatch(/npm install failed/);
      expect(phase(r, 'mcp')?.status).toBe('completed');
      expect(r.tools.map((t) => t.name)).toEqual(['echo']);
    } finally {
      if (retries === undefined) delete process.env.npm_config_fetch_retries;
      else process.env.npm_config_fetch_retries = retries;
      await dispose();
    }
  });

  it('the caller aborting mid-run rejects, and only after the container is gone', async () => {
    const { workspace, dispose } = await workspaceOf(fixture('hangs'));
    const controller = new AbortController();
    try {
      const running = runSandbox(workspace, { signal: controller.signal, staticTools: [], ...FAST, onProgress: (m) => { if (m.includes('starting')) setTimeout(() => controller.abort(new Error('user pressed Ctrl-C')), 800); } });
      await expect(running).rejects.toThrow(/Ctrl-C/);
      expect(liveContainerCount()).toBe(0);
    } finally {
      await dispose();
    }
  });

  it('as the sandbox analyzer in a scan: tools join the report with source sandbox, findings scored', async () => {
    const analyzers = ANALYZERS.map((a) => (a.id === 'sandbox' ? createSandboxAnalyzer({ mcpTimeouts: FAST.mcpTimeouts }) : a));
    const report = await runScan({ kind: 'dir', spec: fixture('runtime-tools-differ') }, {
      signal: never, limits: DEFAULT_WORKSPACE_LIMITS, analyzerLimits: { ...DEFAULT_ANALYZER_LIMITS, timeoutMs: 30_000 },
      analyzers, capabilities: { network: false, docker: true },
    });
    expect(report.analyzers.find((a) => a.id === 'sandbox')?.status).toBe('succeeded');
    expect(report.tools.filter((t) => t.source === 'sandbox').map((t) => t.name).sort()).toEqual(['run_command', 'search']);
    expect(report.findings.map((f) => f.ruleId)).toContain('sandbox/tool-description-differs');
    expect(report.score.verdict).not.toBe('pass');
    expect(liveContainerCount()).toBe(0);
  });
});
