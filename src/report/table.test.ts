import { describe, expect, it } from 'vitest';
import { makeFinding } from '../core/finding.js';
import type { Report } from '../core/report.js';
import { computeScore } from '../score/score.js';
import { buildReport } from './build.js';
import { formatJson } from './json.js';
import { formatTable } from './table.js';

const HOSTILE = 'evil\u001b[2J\u001b]0;pwned\u0007\u202etxt.exe\u200b\r\nnext';

function hostileReport(): Report {
  const rule = { id: 'manifest/x', title: `title ${HOSTILE}`, severity: 'high', kind: 'threat', description: 'd', recommendation: 'r' } as const;
  const finding = makeFinding(rule, 'manifest', { location: { file: `dir/${HOSTILE}.js`, line: 1 }, evidence: HOSTILE, message: HOSTILE });
  return buildReport({
    target: { kind: 'npm', spec: `npm:${HOSTILE}` },
    workspace: { root: '/w', target: { kind: 'npm', spec: 'npm:x' }, name: HOSTILE, version: HOSTILE, files: [], totalBytes: 0, findings: [], incomplete: false },
    results: [{ analyzer: 'manifest', version: 1, status: 'failed', reason: HOSTILE, findings: [], errors: [{ file: HOSTILE, message: HOSTILE }], durationMs: 1 }],
    findings: [finding],
    score: computeScore({ findings: [finding], analyzers: [{ id: 'manifest', status: 'failed', reason: HOSTILE }], workspaceIncomplete: false }),
    scannedAt: new Date(),
    timings: { fetchMs: 0, analyzeMs: 0, scoreMs: 0, totalMs: 0 },
  });
}

// eslint-disable-next-line no-control-regex
const RAW_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

describe('terminal output of package text', () => {
  it('escapes ANSI, control, bidi and invisible characters in the table', () => {
    const text = formatTable(hostileReport(), { color: false });
    expect(text).not.toMatch(RAW_UNSAFE);
    expect(text).toContain('\\u{1b}[2J');
    expect(text).toContain('\\u{202e}');
    expect(text).toContain('verdict FAIL');
  });

  it('keeps its own colours when asked, but still escapes package text', () => {
    const text = formatTable(hostileReport(), { color: true });
    expect(text).toContain('\u001b[31m');
    expect(text).not.toContain('\u001b[2J');
    expect(text).not.toContain('\u202e');
  });

  it('escapes every non-ASCII character in JSON, and it still parses to the same report', () => {
    const report = hostileReport();
    const text = formatJson(report);
    expect(text).not.toMatch(RAW_UNSAFE);
    expect(text).toMatch(/^[\x20-\x7e\n]*$/);
    expect(JSON.parse(text)).toEqual(report);
  });
});
