import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportSchema } from '../src/core/report.js';
import type { FakeRegistry } from '../src/fetch/test-helpers/registry-server.js';
import { buildPackageTarball, startRegistryServer } from '../src/fetch/test-helpers/registry-server.js';
import { makeBareRepo } from '../src/fetch/test-helpers/git-repo.js';
import { BENIGN_PACKAGE, HOSTILE_PACKAGE, runCli, tempDir } from './cli-helpers.js';

let work: string;
let db: string;
let registry: FakeRegistry;
let marker: string;

beforeAll(async () => {
  work = await tempDir('remote');
  db = path.join(work, 'assay.db');
  marker = path.join(work, 'script-ran');
  const benign = await buildPackageTarball(BENIGN_PACKAGE);
  // Would leave a marker if anything ran its install script (nothing may).
  const scripted = await buildPackageTarball({
    'package.json': JSON.stringify({ name: '@acme/scripted-mcp', version: '2.0.0', scripts: { preinstall: `touch ${marker}`, install: `touch ${marker}`, postinstall: `touch ${marker}` } }),
  });
  registry = await startRegistryServer({
    'weather-mcp': { distTags: { latest: '1.0.0', next: '1.1.0-beta.1' }, versions: { '1.0.0': { tarball: benign }, '1.1.0-beta.1': { tarball: benign } } },
    '@acme/scripted-mcp': { distTags: { latest: '2.0.0' }, versions: { '2.0.0': { tarball: scripted } } },
    'tampered-mcp': { distTags: { latest: '1.0.0' }, versions: { '1.0.0': { tarball: benign, integrity: `sha512-${Buffer.alloc(64, 1).toString('base64')}` } } },
  });
});

afterAll(async () => {
  await registry.close();
  await rm(work, { recursive: true, force: true });
});

describe('scan npm:<spec> against a registry on loopback', () => {
  it.each([
    ['npm:weather-mcp', '1.0.0'],
    ['npm:weather-mcp@1.0.0', '1.0.0'],
    ['npm:weather-mcp@^1.0.0', '1.0.0'],
    ['npm:weather-mcp@next', '1.1.0-beta.1'],
  ])('%s resolves to %s with its integrity verified', async (spec, version) => {
    const r = await runCli(['scan', spec, '--registry', registry.url, '--db', db, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(r.stdout));
    expect(report.target).toMatchObject({ kind: 'npm', name: 'weather-mcp', version });
    expect(report.target.integrity).toMatch(/^sha512-/);
  });

  it('takes the registry from npm configuration when no flag is given', async () => {
    const r = await runCli(['scan', 'npm:weather-mcp@1.0.0', '--db', db, '--format', 'json'], { npm_config_registry: registry.url });
    expect(r.code).toBe(0);
    expect(ReportSchema.parse(JSON.parse(r.stdout)).target.version).toBe('1.0.0');
  });

  it('never runs a package script, and reports the scripts it found', async () => {
    const r = await runCli(['scan', 'npm:@acme/scripted-mcp', '--registry', registry.url, '--db', db, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(r.stdout));
    expect(report.findings.filter((f) => f.ruleId === 'manifest/install-script')).toHaveLength(3);
    expect(existsSync(marker)).toBe(false);
  });

  it.each([
    { name: 'an unknown package', spec: 'npm:no-such-mcp', code: 3, line: /not found/ },
    { name: 'an unknown version', spec: 'npm:weather-mcp@9.9.9', code: 3, line: /9\.9\.9/ },
    { name: 'a tarball that does not match its integrity', spec: 'npm:tampered-mcp', code: 6, line: /integrity/i },
  ])('$name → exit $code with one line', async ({ spec, code, line }) => {
    const r = await runCli(['scan', spec, '--registry', registry.url, '--db', db]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(line);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('reports an unreachable registry with exit 5', async () => {
    const closed = await startRegistryServer({});
    const url = closed.url;
    await closed.close();
    const r = await runCli(['scan', 'npm:weather-mcp', '--registry', url, '--db', db]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^mcp-assay: error: .*unreachable/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('scan <git URL>', () => {
  it('clones a local bare repository at a ref and records the commit', async () => {
    const repo = makeBareRepo(work, 'server', [
      { files: HOSTILE_PACKAGE, tag: 'v1' },
      { files: BENIGN_PACKAGE },
    ]);
    const atTag = await runCli(['scan', `${repo.url}#v1`, '--db', db, '--format', 'json']);
    expect(atTag.code).toBe(0);
    const tagged = ReportSchema.parse(JSON.parse(atTag.stdout));
    expect(tagged.target).toMatchObject({ kind: 'git', commit: repo.commits[0] });
    expect(tagged.score.verdict).toBe('fail');

    const head = ReportSchema.parse(JSON.parse((await runCli(['scan', repo.url, '--db', db, '--format', 'json'])).stdout));
    expect(head.target.commit).toBe(repo.commits[1]);
  });

  it.each([
    { name: 'a repository that does not exist', url: (w: string) => `file://${w}/missing.git`, code: 3 },
    { name: 'a ref that does not exist', url: (w: string) => `file://${w}/server.git#no-such-branch`, code: 3 },
  ])('$name → exit $code with one line', async ({ url, code }) => {
    const r = await runCli(['scan', url(work), '--db', db]);
    expect(r.code).toBe(code);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mcp-assay: error: /);
  });
});
