import { describe, expect, it } from 'vitest';
import type { Analyzer, AnalyzerContext } from '../../core/analyzer.js';
import type { ToolInfo } from '../../core/tool.js';
import { ANALYZERS } from '../index.js';
import { runAnalyzers } from '../runner.js';
import { makeTestWorkspace } from '../test-helpers/workspace.js';
import { SANDBOX_ANALYZER_ID, sandboxAnalyzer } from './index.js';

const never = new AbortController().signal;

describe('the sandbox analyzer', () => {
  it('runs last and declares every sandbox rule', () => {
    expect(ANALYZERS.at(-1)?.id).toBe(SANDBOX_ANALYZER_ID);
    expect(sandboxAnalyzer.requirements).toEqual({ docker: true });
    expect(sandboxAnalyzer.rules.map((r) => r.id)).toContain('sandbox/canary-exfiltrated');
  });

  it('is skipped, with the reason, unless Docker is enabled', async () => {
    const { ctx, cleanup } = await makeTestWorkspace({ 'package.json': '{"name":"x","main":"index.js"}', 'index.js': '' });
    try {
      const [result] = await runAnalyzers([sandboxAnalyzer], ctx, { signal: never, capabilities: { network: true, docker: false } });
      expect(result).toMatchObject({ analyzer: 'sandbox', status: 'skipped', findings: [] });
      expect(result?.reason).toMatch(/Docker/);
    } finally {
      await cleanup();
    }
  });
});

describe('priorTools', () => {
  it('gives each analyzer the tools found by the analyzers before it', async () => {
    const tool: ToolInfo = { name: 'echo', description: 'Echoes.', source: 'static' };
    const seen: (readonly ToolInfo[] | undefined)[] = [];
    const fake = (id: string, tools: ToolInfo[]): Analyzer => ({
      id, version: 1, description: id, requirements: {}, rules: [],
      analyze: (ctx: AnalyzerContext) => { seen.push(ctx.priorTools); return Promise.resolve({ findings: [], tools }); },
    });
    const { ctx, cleanup } = await makeTestWorkspace({ 'a.js': '' });
    try {
      await runAnalyzers([fake('first', [tool]), fake('second', []), fake('third', [])], ctx, { signal: never, capabilities: { network: false, docker: false } });
      expect(seen).toEqual([[], [tool], [tool]]);
    } finally {
      await cleanup();
    }
  });
});
