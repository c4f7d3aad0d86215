import { describe, expect, it } from 'vitest';
import type { Analyzer, AnalyzerContext, AnalyzerOutput } from '../core/analyzer.js';
import { makeFinding } from '../core/finding.js';
import type { RuleMeta } from '../core/finding.js';
import { DEFAULT_ANALYZER_LIMITS } from '../core/limits.js';
import { runAnalyzer, runAnalyzers } from './runner.js';

const rule: RuleMeta = { id: 'fake/hit', title: 'Hit', severity: 'low', kind: 'capability', description: 'd', recommendation: 'r' };

function fake(analyze: (ctx: AnalyzerContext) => Promise<AnalyzerOutput>, extra: Partial<Analyzer> = {}): Analyzer {
  return { id: 'fake', version: 1, description: 'test analyzer', requirements: {}, rules: [rule], analyze, ...extra };
}

const base: Omit<AnalyzerContext, 'signal'> = {
  workspace: {
    root: '/nonexistent',
    target: { kind: 'dir', spec: '/nonexistent' },
    files: [],
    totalBytes: 0,
    findings: [],
    incomplete: false,
  },
  reader: {
    readText: () => Promise.reject(new Error('no files')),
    readBytes: () => Promise.reject(new Error('no files')),
  },
  limits: { ...DEFAULT_ANALYZER_LIMITS, timeoutMs: 200 },
};

const options = { signal: new AbortController().signal, capabilities: { network: true, docker: false } };

describe('runAnalyzer', () => {
  it('passes findings through with status succeeded', async () => {
    const out = await runAnalyzer(fake(async () => ({ findings: [makeFinding(rule, 'fake', { evidence: 'x' })] })), base, options);
    expect(out).toMatchObject({ analyzer: 'fake', version: 1, status: 'succeeded', errors: [] });
    expect(out.findings).toHaveLength(1);
  });

  it.each([
    { name: 'a thrown error', analyze: () => Promise.reject(new Error('kaboom')), status: 'failed', reason: 'crashed: kaboom' },
    { name: 'a synchronous throw', analyze: () => { throw new TypeError('bad'); }, status: 'failed', reason: 'crashed: bad' },
    { name: 'a hang that ignores the signal', analyze: () => new Promise<never>(() => undefined), status: 'timeout', reason: 'did not finish within 200 ms' },
    {
      name: 'an abort-aware hang',
      analyze: (ctx: AnalyzerContext) => new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
      status: 'timeout',
      reason: 'did not finish within 200 ms',
    },
    {
      name: 'a finding for an undeclared rule',
      analyze: async () => ({ findings: [makeFinding({ ...rule, id: 'fake/other' }, 'fake')] }),
      status: 'failed',
      reason: 'produced a finding for undeclared rule fake/other',
    },
    {
      name: 'a finding claiming another analyzer',
      analyze: async () => ({ findings: [makeFinding(rule, 'someone-else')] }),
      status: 'failed',
      reason: 'produced a finding labelled as analyzer "someone-else"',
    },
    {
      name: 'a malformed finding',
      analyze: async () => ({ findings: [{ ...makeFinding(rule, 'fake'), fingerprint: 'nope' }] }),
      status: 'failed',
      reason: 'produced an invalid finding',
    },
  ])('turns $name into $status, never an empty success', async ({ analyze, status, reason }) => {
    const out = await runAnalyzer(fake(analyze as Analyzer['analyze']), base, options);
    expect(out.status).toBe(status);
    expect(out.reason).toContain(reason);
    expect(out.findings).toEqual([]);
  });

  it('keeps partial status and reason from the analyzer', async () => {
    const out = await runAnalyzer(fake(async () => ({ findings: [], status: 'partial', reason: '1 file unreadable', errors: [{ file: 'a.js', message: 'EACCES' }] })), base, options);
    expect(out).toMatchObject({ status: 'partial', reason: '1 file unreadable', errors: [{ file: 'a.js', message: 'EACCES' }] });
  });

  it('skips with a reason when a requirement is missing', async () => {
    let ran = false;
    const out = await runAnalyzer(fake(async () => { ran = true; return { findings: [] }; }, { requirements: { docker: true } }), base, options);
    expect(out).toMatchObject({ status: 'skipped', reason: 'needs a Docker engine, which is not available' });
    expect(ran).toBe(false);
  });

  it("rethrows when the caller's own signal aborts", async () => {
    const controller = new AbortController();
    const pending = runAnalyzer(fake(() => new Promise<never>(() => undefined)), { ...base, limits: { ...base.limits, timeoutMs: 10_000 } }, { ...options, signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toThrow();
  });
});

describe('runAnalyzers', () => {
  it('keeps going after one analyzer fails', async () => {
    const broken = fake(() => Promise.reject(new Error('x')), { id: 'broken' });
    const fine = fake(async () => ({ findings: [] }));
    const results = await runAnalyzers([broken, fine], base, options);
    expect(results.map((r) => [r.analyzer, r.status])).toEqual([['broken', 'failed'], ['fake', 'succeeded']]);
  });
});
