import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../core/errors.js';
import type { Report } from '../core/report.js';
import type { Target } from '../core/target.js';
import { buildTestReport, testFinding, testTool } from '../report/test-helpers/report-builder.js';
import { parseTomlSubset } from '../sources/client-configs/toml.js';
import type { PathEnv } from '../sources/client-configs/types.js';
import { openStore } from '../store/index.js';
import type { ScanFn } from './check.js';
import { runCheck, topReasons } from './check.js';
import type { Io } from './io.js';

function captureIo(): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), interactive: false, color: false, stdout: () => out, stderr: () => err };
}

async function setup(): Promise<{ dir: string; db: string; env: PathEnv }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'assay-check-'));
  return { dir, db: path.join(dir, 'assay.db'), env: { home: path.join(dir, 'home'), cwd: dir, platform: 'linux' } };
}

function save(db: string, reports: readonly Report[]): void {
  const store = openStore(db);
  try {
    for (const r of reports) store.saveReport(r);
  } finally {
    store.close();
  }
}

async function writeConfig(dir: string, rel: string, text: string): Promise<string> {
  const file = path.join(dir, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

function desktopConfig(servers: Record<string, { command: string; args: string[]; env?: Record<string, string> }>): string {
  return JSON.stringify({ mcpServers: servers });
}

const noScan: ScanFn = () => Promise.reject(new Error('scan must not be called'));

interface Parsed {
  servers: { name: string; status: string; score?: { value: number; verdict: string }; reasons: string[]; notes: { kind: string }[]; error?: string }[];
}

describe('mcp-assay check', () => {
  it('answers ten stored servers from the store without scanning', async () => {
    const { dir, db, env } = await setup();
    const reports = Array.from({ length: 10 }, (_, i) =>
      buildTestReport({ name: `srv-${i}`, version: '1.0.0', value: 90 - i, findings: i === 3 ? [testFinding('code/exec', { severity: 'high', title: 'Runs shell commands' }), testFinding('code/env', { severity: 'low', title: 'Reads env' })] : [] }),
    );
    save(db, reports);
    const servers = Object.fromEntries(reports.map((_, i) => [`s${i}`, { command: 'npx', args: ['-y', `srv-${i}@1.0.0`], env: { TOKEN: 'secret-value-123' } }]));
    const file = await writeConfig(dir, 'claude_desktop_config.json', desktopConfig(servers));
    const io = captureIo();
    const code = await runCheck([file], { format: 'json', db }, io, new AbortController().signal, { env, scan: noScan });
    expect(code).toBe(EXIT.ok);
    const parsed = JSON.parse(io.stdout()) as Parsed;
    expect(parsed.servers).toHaveLength(10);
    expect(parsed.servers.every((s) => s.status === 'stored')).toBe(true);
    expect(parsed.servers[3]?.score?.value).toBe(87);
    expect(parsed.servers[3]?.reasons).toEqual(['Runs shell commands', 'Reads env']);
    expect(io.stdout()).not.toContain('secret-value-123');
  });

  it('offline: reports what is not in the store, looks unpinned ones up by name, scans nothing', async () => {
    const { dir, db, env } = await setup();
    save(db, [buildTestReport({ name: 'known', version: '2.0.0', value: 70, grade: 'C', verdict: 'review' })]);
    const file = await writeConfig(dir, '.mcp.json', desktopConfig({ a: { command: 'npx', args: ['known'] }, b: { command: 'npx', args: ['missing@1.0.0'] }, c: { command: 'uvx', args: ['py-srv'] } }));
    const io = captureIo();
    const code = await runCheck([file], { format: 'table', db, offline: true, failOn: 'review' }, io, new AbortController().signal, { env, scan: noScan });
    expect(code).toBe(EXIT.gate);
    const lines = io.stdout().trim().split('\n');
    expect(lines[0]).toMatch(/^a \[claude-code\]  \|  npx known  \|  70\/100 C review  \|  unknown: unpinned: version not pinned \(latest\)/);
    expect(lines[1]).toContain('not in store');
    expect(lines[2]).toMatch(/not scanned .*unsupported: Python server/);
  });

  it('scans what is missing, stores it, and keeps going after a failed scan', async () => {
    const { dir, db, env } = await setup();
    const scanned: Target[] = [];
    const scan: ScanFn = (target) => {
      scanned.push(target);
      if (target.name === 'broken') return Promise.reject(new Error('registry said no'));
      return Promise.resolve(buildTestReport({ name: target.name ?? 'x', version: target.version ?? '9.9.9', value: 30, grade: 'F', verdict: 'fail' }));
    };
    const file = await writeConfig(dir, '.mcp.json', desktopConfig({ a: { command: 'npx', args: ['fresh@1.0.0'] }, b: { command: 'npx', args: ['broken@1.0.0'] } }));
    const io = captureIo();
    const code = await runCheck([file], { format: 'json', db, failOn: 'fail' }, io, new AbortController().signal, { env, scan });
    expect(code).toBe(EXIT.gate);
    const parsed = JSON.parse(io.stdout()) as Parsed;
    expect(parsed.servers.map((s) => s.status)).toEqual(['scanned', 'error']);
    expect(parsed.servers[1]?.error).toBe('registry said no');
    expect(scanned.map((t) => t.spec)).toEqual(['npm:fresh@1.0.0', 'npm:broken@1.0.0']);
    const again = captureIo();
    await runCheck([file], { format: 'json', db, offline: true }, again, new AbortController().signal, { env, scan: noScan });
    expect((JSON.parse(again.stdout()) as Parsed).servers.map((s) => s.status)).toEqual(['stored', 'not-in-store']);
  });

  it('prints a tightened mcpd allow-list without the flagged tools, ready to paste', async () => {
    const { dir, db, env } = await setup();
    const report = buildTestReport({
      name: 'multi',
      version: '1.0.0',
      verdict: 'fail',
      tools: [testTool('read', 'reads'), testTool('send', 'sends', { location: { file: 'index.js', line: 40 } }), testTool('evil', 'x')],
      findings: [
        testFinding('tools/hidden-instructions', { severity: 'high', message: 'Tool "evil": contains <IMPORTANT>' }),
        testFinding('tools/exfil-parameter', { severity: 'medium', location: { file: 'index.js', line: 40 } }),
      ],
    });
    save(db, [report]);
    const file = await writeConfig(dir, '.mcpd.toml', '[[servers]]\nname = "multi"\npackage = "npx::multi@1.0.0"\ntools = ["read", "send", "evil"]\n');
    const io = captureIo();
    await runCheck([file], { format: 'table', db }, io, new AbortController().signal, { env, scan: noScan });
    const out = io.stdout();
    expect(out).toContain('left out (flagged by the tools analyzer): send, evil');
    const block = out.slice(out.indexOf('[[servers]]'));
    expect(parseTomlSubset(block, 'pasted')).toEqual({ servers: [{ name: 'multi', package: 'npx::multi@1.0.0', tools: ['read'] }] });
  });

  it('escapes ANSI and bidi characters in names from the config', async () => {
    const { dir, db, env } = await setup();
    const file = await writeConfig(dir, '.mcp.json', desktopConfig({ 'ev\u001b[2Jil\u202e': { command: 'npx', args: ['x\u001b]8;;@1.0.0'] } }));
    const io = captureIo();
    await runCheck([file], { format: 'table', db, offline: true }, io, new AbortController().signal, { env, scan: noScan });
    expect(io.stdout()).not.toMatch(/[\u001b\u202e]/);
    expect(io.stdout()).toContain('ev\\u{1b}[2Jil\\u{202e}');
  });

  it('says where it looked when there is no config at all', async () => {
    const { db, env } = await setup();
    await expect(runCheck([], { format: 'table', db }, captureIo(), new AbortController().signal, { env, scan: noScan })).rejects.toThrow(/no MCP client configuration found/);
  });

  it('topReasons leaves out info findings and repeats', () => {
    const f = [testFinding('a/x', { severity: 'info', title: 'I' }), testFinding('a/y', { severity: 'medium', title: 'M' }), testFinding('a/z', { severity: 'critical', title: 'C' }), testFinding('a/w', { severity: 'medium', title: 'M', evidence: '2' })];
    expect(topReasons(f)).toEqual(['C', 'M']);
  });
});
