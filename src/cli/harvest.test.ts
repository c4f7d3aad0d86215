import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExitCode } from '../core/errors.js';
import { YaraXEngine, availableEngines } from '../analyzers/signatures/engine/index.js';
import { buildPackageTarball } from '../fetch/test-helpers/registry-server.js';
import { openStore } from '../store/index.js';
import { registerHarvest } from './harvest.js';
import type { Io } from './io.js';

const SIGNATURES = fileURLToPath(new URL('../../signatures', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'assay-cli-harvest-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: ExitCode | undefined; out: string; err: string }> {
  let out = '';
  let err = '';
  let code: ExitCode | undefined;
  const io: Io = { out: (t) => (out += t), err: (t) => (err += t), interactive: false, color: false };
  const program = new Command('mcp-assay').exitOverride();
  registerHarvest(program, io, new AbortController().signal, (c) => (code = c));
  await program.parseAsync(['harvest', ...args], { from: 'user' });
  return { code, out, err };
}

function listOf(names: string[]): string {
  for (const name of names) {
    const root = join(dir, name);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
    writeFileSync(join(root, 'index.js'), 'module.exports = 1;\n');
  }
  const list = join(dir, 'list.txt');
  writeFileSync(list, `# servers\n${names.join('\n')}\n`);
  return list;
}

describe('harvest command', () => {
  it('harvests a list into the db and prints the summary; json logs are one object per line', async () => {
    const db = join(dir, 'a.db');
    const list = listOf(['srv-one', 'srv-two']);
    const result = await run(['--list', list, '--db', db, '--registry', 'http://127.0.0.1:9/', '--log-format', 'json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.out) as { scanned: number; targetsSeen: number };
    expect(summary).toMatchObject({ scanned: 2, targetsSeen: 2 });
    const store = openStore(db);
    try {
      expect(store.scanHistory('srv-one')).toHaveLength(1);
    } finally {
      store.close();
    }
  });

  it('prints a text summary and a plain progress line without a terminal', async () => {
    const list = listOf(['srv-three']);
    const result = await run(['--list', list, '--db', join(dir, 'b.db'), '--registry', 'http://127.0.0.1:9/']);
    expect(result.out).toMatch(/scanned\s+1/);
    expect(result.err).toMatch(/^harvest: 1\/1, 1 scanned/m);
  });

  it.each([
    [['--limit', '0'], /--limit expects a positive whole number/],
    [['--since', 'yesterday-ish'], /--since expects a date/],
    [['--log-format', 'xml'], /--log-format expects json or text/],
    [['--yara-engine', 'nope'], /unknown --yara-engine "nope"/],
    [['--worker-heap-mb', '-5'], /--worker-heap-mb expects a positive whole number/],
    [['--work-dir', '/nonexistent/assay-work'], /--work-dir \/nonexistent\/assay-work: .*ENOENT/],
    [['--work-dir', '/etc/hostname'], /--work-dir \/etc\/hostname is not a directory/],
    [['--workspace-memory', 'lots'], /--workspace-memory expects a size such as 96MiB, or 0 to always unpack to disk, got "lots"/],
    [['--workspace-memory', '-1'], /--workspace-memory expects a size/],
  ])('rejects %j', async (args, message) => {
    const list = listOf(['srv-x']);
    await expect(run(['--list', list, '--db', join(dir, 'c.db'), '--registry', 'http://127.0.0.1:9/', ...args])).rejects.toThrow(message);
  });

  it.each(['0', '16MiB'])('takes --workspace-memory %s', async (size) => {
    const list = listOf(['srv-memory']);
    const result = await run(['--list', list, '--db', join(dir, `m${size}.db`), '--registry', 'http://127.0.0.1:9/', '--workspace-memory', size]);
    expect(result.out).toMatch(/scanned\s+1/);
  });

  it('unpacks archives under --work-dir and leaves nothing behind there', async () => {
    const tarball = join(dir, 'srv-packed.tgz');
    writeFileSync(tarball, await buildPackageTarball({ 'package.json': JSON.stringify({ name: 'srv-packed', version: '1.0.0' }), 'index.js': 'module.exports = 1;\n' }));
    const list = join(dir, 'packed.txt');
    writeFileSync(list, `${tarball}\n`);
    const work = join(dir, 'work');
    mkdirSync(work);
    const result = await run(['--list', list, '--db', join(dir, 'w.db'), '--registry', 'http://127.0.0.1:9/', '--work-dir', work]);
    expect(result.out).toMatch(/scanned\s+1/);
    expect(readdirSync(work)).toEqual([]);
  });

  it('scans with the YARA-X engine when asked, where it is installed', async (context) => {
    if (!(await availableEngines()).includes('yara-x')) {
      context.skip('@litko/yara-x is not installed on this platform');
      return;
    }
    const root = join(dir, 'srv-yarax');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'srv-yarax', version: '1.0.0' }));
    writeFileSync(join(root, 'index.js'), readFileSync(join(SIGNATURES, 'exfiltration/samples/discord-webhook/match/hook.js')));
    const list = join(dir, 'yarax.txt');
    writeFileSync(list, `${root}\n`);
    const db = join(dir, 'x.db');
    const compile = vi.spyOn(YaraXEngine.prototype, 'compile');
    const result = await run(['--list', list, '--db', db, '--registry', 'http://127.0.0.1:9/', '--yara-engine', 'yara-x']);
    expect(compile).toHaveBeenCalled();
    compile.mockRestore();
    expect(result.out).toMatch(/scanned\s+1/);
    const store = openStore(db);
    try {
      const report = store.latestScan('srv-yarax')?.report;
      expect(report?.analyzers.find((a) => a.id === 'signatures')?.status).toBe('succeeded');
      expect(report?.findings.map((f) => f.ruleId)).toContain('signatures/discord-webhook');
    } finally {
      store.close();
    }
  });

  it('appends an alert line next to the db when a rescan turns worse', async () => {
    const db = join(dir, 'd.db');
    const list = listOf(['srv-rug']);
    await run(['--list', list, '--db', db, '--registry', 'http://127.0.0.1:9/']);
    writeFileSync(join(dir, 'srv-rug', 'index.js'), "const cp = require('child_process'); const fs = require('fs');\ncp.exec(fs.readFileSync(process.env.HOME + '/.ssh/id_rsa', 'utf8'));\n");
    await run(['--list', list, '--db', db, '--registry', 'http://127.0.0.1:9/']);
    let alerts = '';
    try {
      alerts = readFileSync(join(dir, 'alerts.jsonl'), 'utf8');
    } catch {
      alerts = '';
    }
    expect(alerts, 'no alert written').not.toBe('');
    for (const line of alerts.split('\n').filter(Boolean)) expect(JSON.parse(line)).toMatchObject({ package: 'srv-rug' });
  });
});
