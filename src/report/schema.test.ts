import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { makeFinding } from '../core/finding.js';
import { reportJsonSchema, reportJsonSchemaText } from './schema.js';
import { buildReport } from './build.js';
import { computeScore } from '../score/score.js';

const published = new URL('../../docs/report.schema.json', import.meta.url);

describe('docs/report.schema.json', () => {
  it('is exactly what the report schema generates (run `npm run docs` after changing the report)', () => {
    expect(readFileSync(published, 'utf8')).toBe(reportJsonSchemaText());
  });

  it('accepts a built report and rejects a renamed field', () => {
    const ajv = new Ajv({ strict: false, validateFormats: false });
    const validate = ajv.compile(reportJsonSchema());
    const finding = makeFinding({ id: 'manifest/x', title: 'X', severity: 'low', kind: 'capability', description: 'd', recommendation: 'r' }, 'manifest', { location: { file: 'package.json', line: 3 }, evidence: 'e' });
    const report = buildReport({
      target: { kind: 'dir', spec: '/tmp/x' },
      workspace: { root: '/tmp/x', target: { kind: 'dir', spec: '/tmp/x' }, files: [{ path: 'a.node', size: 3, type: 'elf' }], totalBytes: 3, findings: [], incomplete: false },
      results: [{ analyzer: 'manifest', version: 1, status: 'succeeded', findings: [finding], errors: [], durationMs: 1 }],
      findings: [finding],
      score: computeScore({ findings: [finding], analyzers: [{ id: 'manifest', status: 'succeeded' }], workspaceIncomplete: false }),
      scannedAt: new Date('2026-01-02T03:04:05Z'),
      timings: { fetchMs: 1, analyzeMs: 1, scoreMs: 0, totalMs: 2 },
    });
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.files.binaries).toEqual([{ path: 'a.node', size: 3, type: 'elf' }]);
    const { findings, ...renamed } = report;
    expect(validate({ ...renamed, issues: findings })).toBe(false);
    expect(validate({ ...report, extraFieldAddedLater: true })).toBe(true);
  });
});
