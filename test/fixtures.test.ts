import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readExpectations, scanQuietly } from '../src/bench/eval.js';

const fixturesDir = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');
const expectations = readExpectations(fixturesDir);

describe('incident reconstructions and their benign twins', () => {
  it('has a benign twin or counterpart for the reconstructions', () => {
    expect(expectations.filter((e) => e.expect === 'fail').length).toBeGreaterThanOrEqual(5);
    expect(expectations.filter((e) => e.expect === 'pass').length).toBeGreaterThanOrEqual(5);
  });

  it.each(expectations.map((e) => [e.fixture, e] as const))('%s', async (fixture, e) => {
    const report = await scanQuietly({ kind: 'dir', spec: path.join(fixturesDir, fixture) });
    const found = new Set(report.findings.map((f) => f.ruleId));
    expect(e.rules.filter((rule) => !found.has(rule)), 'expected rules not found').toEqual([]);
    expect(report.score.verdict).toBe(e.expect);
    if (e.expect === 'pass') {
      expect(report.findings.filter((f) => f.kind === 'threat' && f.severity !== 'info' && f.severity !== 'low')).toEqual([]);
    }
  });
});
