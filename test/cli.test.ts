import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportSchema } from '../src/core/report.js';
import type { Report } from '../src/core/report.js';
import { buildPackageTarball } from '../src/fetch/test-helpers/registry-server.js';
import { BENIGN_PACKAGE, HOSTILE_PACKAGE, PROJECT_ROOT, runCli, tempDir, writeTree } from './cli-helpers.js';

const schema: unknown = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'docs', 'report.schema.json'), 'utf8'));
const validate = new Ajv({ strict: false, validateFormats: false }).compile(schema as object);

function parseReport(stdout: string): Report {
  const json: unknown = JSON.parse(stdout);
  expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
  return ReportSchema.parse(json);
}

let work: string;
let db: string;
let benignDir: string;
let hostileDir: string;

beforeAll(async () => {
  work = await tempDir('cli');
  db = path.join(work, 'assay.db');
  benignDir = await writeTree(path.join(work, 'benign'), BENIGN_PACKAGE);
  hostileDir = await writeTree(path.join(work, 'hostile'), HOSTILE_PACKAGE);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('mcp-assay scan', () => {
  it('scans a directory and prints a table with score, verdict and analyzers', async () => {
    const r = await runCli(['scan', benignDir, '--db', db]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Score\s+\d+\/100\s+grade [A-F]\s+verdict PASS/);
    expect(r.stdout).toContain('manifest v1  succeeded');
  });

  it('prints a JSON report that the published schema accepts', async () => {
    const r = await runCli(['scan', benignDir, '--db', db, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = parseReport(r.stdout);
    expect(report.target).toMatchObject({ kind: 'dir', name: 'weather-mcp', version: '1.0.0' });
    expect(report.score.verdict).toBe('pass');
    expect(report.analyzers.map((a) => [a.id, a.status])).toEqual([
      ['manifest', 'succeeded'],
      ['code', 'succeeded'],
      ['tools', 'succeeded'],
      ['signatures', 'succeeded'],
      ['sandbox', 'skipped'],
    ]);
  });

  it('fails a package whose install script pipes a download into a shell, and gates on it', async () => {
    const plain = await runCli(['scan', hostileDir, '--db', db, '--format', 'json']);
    expect(plain.code).toBe(0);
    const report = parseReport(plain.stdout);
    expect(report.score.verdict).toBe('fail');
    const threat = report.findings.find((f) => f.kind === 'threat' && f.location?.file === 'package.json');
    expect(threat?.evidence).toContain('curl');
    const named = report.score.breakdown.flatMap((b) => b.findings);
    expect(named).toContain(threat?.fingerprint);

    expect((await runCli(['scan', hostileDir, '--db', db, '--fail-on', 'fail'])).code).toBe(1);
    expect((await runCli(['scan', hostileDir, '--db', db, '--fail-on', 'review'])).code).toBe(1);
    expect((await runCli(['scan', benignDir, '--db', db, '--fail-on', 'review'])).code).toBe(0);
  });

  it('scans a .tgz and records its integrity', async () => {
    const file = path.join(work, 'benign-1.0.0.tgz');
    await writeFile(file, await buildPackageTarball(BENIGN_PACKAGE));
    const r = await runCli(['scan', file, '--db', db, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = parseReport(r.stdout);
    expect(report.target.kind).toBe('tarball');
    expect(report.target.integrity).toMatch(/^sha512-/);
    expect(report.target.name).toBe('weather-mcp');
  });
});

describe('package text on the terminal', () => {
  it('escapes ANSI, bidi and control characters that a package put in its manifest', async () => {
    const dir = await writeTree(path.join(work, 'ansi'), {
      'package.json': JSON.stringify({
        name: 'ansi-mcp',
        version: '1.0.0',
        scripts: { postinstall: 'node setup.js \u001b[2J\u001b]0;owned\u0007 \u202eexe.js' },
        bin: { 'ansi\u001b[31m': './setup.js' },
      }),
      'setup.js': '',
    });
    const r = await runCli(['scan', dir, '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('manifest/install-script');
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(r.stdout).toContain('\\u{1b}');
  });
});

describe('mcp-assay score', () => {
  it('prints the stored result without scanning again, in JSON equal to what scan printed', async () => {
    const scanned = parseReport((await runCli(['scan', hostileDir, '--db', db, '--format', 'json'])).stdout);
    const r = await runCli(['score', 'weather-mcp-evil@6.6.6', '--db', db, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(parseReport(r.stdout)).toEqual(scanned);
    const table = await runCli(['score', 'weather-mcp-evil', '--db', db]);
    expect(table.stdout).toContain('verdict FAIL');
    expect(table.stdout).toContain('History');
    expect((await runCli(['score', 'weather-mcp-evil', '--db', db, '--fail-on', 'fail'])).code).toBe(1);
  });

  it('says so when nothing is stored', async () => {
    const r = await runCli(['score', 'never-scanned', '--db', db]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('mcp-assay: error: no stored scan for never-scanned; run `mcp-assay scan` first\n');
  });
});

describe('errors: one clear line and a documented exit code', () => {
  it.each([
    { name: 'a missing path', args: (w: string) => ['scan', path.join(w, 'nope')], code: 3, line: /no such file or directory/ },
    { name: 'an unknown option', args: () => ['scan', '.', '--frobnicate'], code: 2, line: /unknown option/ },
    { name: 'a bad --format', args: (w: string) => ['scan', w, '--format', 'xml'], code: 2, line: /unknown --format "xml"/ },
    { name: 'a bad size', args: (w: string) => ['scan', w, '--max-file-size', 'lots'], code: 2, line: /--max-file-size expects a size/ },
    { name: 'a non-registry npm spec', args: () => ['scan', 'npm:git+https://example.invalid/x.git'], code: 2, line: /./ },
  ])('$name → exit $code', async ({ args, code, line }) => {
    const r = await runCli([...args(work), '--db', db]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(line);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('rejects an empty directory and a malformed package.json with exit 4', async () => {
    const empty = path.join(work, 'empty');
    await writeTree(empty, {});
    const { mkdir } = await import('node:fs/promises');
    await mkdir(empty, { recursive: true });
    const e = await runCli(['scan', empty, '--db', db]);
    expect(e.code).toBe(4);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);

    const broken = await writeTree(path.join(work, 'broken'), { 'package.json': '{"name": "x",,}' });
    const b = await runCli(['scan', broken, '--db', db]);
    expect(b.code).toBe(4);
    expect(b.stderr).toMatch(/^mcp-assay: error: .*package\.json is not valid JSON/);
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('shows a stack trace only with --debug', async () => {
    const broken = path.join(work, 'not-a-db');
    await writeFile(broken, 'this is not sqlite'.repeat(100));
    const quiet = await runCli(['scan', benignDir, '--db', broken]);
    expect(quiet.code).toBe(7);
    expect(quiet.stderr.trim().split('\n')).toHaveLength(1);
    const loud = await runCli(['scan', benignDir, '--db', broken, '--debug']);
    expect(loud.code).toBe(7);
    expect(loud.stderr.split('\n').length).toBeGreaterThan(2);
  });
});
