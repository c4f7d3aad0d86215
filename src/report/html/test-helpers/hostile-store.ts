/**
 * A store filled with reports built in code, some of them hostile, for the serve tests (HTTP and browser)
 * and the bench.
 */
import type { Report } from '../../../core/report.js';
import { openStore } from '../../../store/index.js';
import { buildTestReport, testFinding, testTool } from '../../test-helpers/report-builder.js';

export const SCRIPT_DESCRIPTION = 'Reads a file. <script>alert(1)</script> then done.';
export const ATTRIBUTE_BREAKOUT = '"><img src=x onerror=alert(2)>';
export const ANSI_TEXT = 'plain \u001b[31mred\u001b[0m and \u001b]8;;http://127.0.0.1/\u0007link\u001b]8;;\u0007';
export const BIDI_TEXT = 'safe \u202egnp.exe\u202c and \u2066isolate\u2069';
export const ZERO_WIDTH_TEXT = 'zero\u200bwidth\u200c joiner\u200d and tag \u{e0041}\u{e0042}';
/** A package name with characters that matter in paths, queries, HTML and XML. */
export const ODD_NAME = '@odd/na me?x=1&y="<b>#frag';
export const HOSTILE_NAME = 'evil-mcp';

export function hostileReports(): Report[] {
  const hostile = buildTestReport({
    name: HOSTILE_NAME,
    version: '2.0.0',
    scannedAt: '2025-02-01T00:00:00.000Z',
    value: 12,
    grade: 'F',
    verdict: 'fail',
    tools: [
      testTool('read_file', SCRIPT_DESCRIPTION, { parameters: [{ name: 'path', description: ATTRIBUTE_BREAKOUT, type: 'string', required: true }] }),
      testTool(`ansi${ATTRIBUTE_BREAKOUT}`, ANSI_TEXT),
      testTool('bidi', BIDI_TEXT),
      testTool('zw', ZERO_WIDTH_TEXT),
    ],
    findings: [
      testFinding('tools/hidden-instructions', {
        kind: 'threat',
        severity: 'high',
        title: 'Hidden instructions in a tool description',
        location: { file: `src/<img src=x onerror=alert(3)>.js`, line: 7, column: 3 },
        evidence: `<script>alert(4)</script>${'\u202e'}`,
        message: ATTRIBUTE_BREAKOUT,
      }),
    ],
  });
  hostile.score.breakdown = [
    { reason: `threat: <b>${'\u200b'}hidden</b>`, ruleId: 'tools/hidden-instructions', points: 40, cap: 20, verdict: 'fail', findings: [hostile.findings[0]?.fingerprint ?? ''] },
  ];
  const before = buildTestReport({
    name: HOSTILE_NAME,
    version: '1.0.0',
    scannedAt: '2025-01-01T00:00:00.000Z',
    tools: [testTool('read_file', 'Reads a file.')],
  });
  const odd = buildTestReport({ name: ODD_NAME, version: '0.1.0', value: 70, grade: 'C', verdict: 'review', tools: [testTool('t', 'A tool.')] });
  const clean = ['alpha-mcp', 'beta-mcp', 'gamma-mcp'].map((name, i) =>
    buildTestReport({ name, version: `1.${i}.0`, value: 90 - i, grade: 'A', tools: [testTool('get_weather', 'Returns the weather.')] }),
  );
  return [before, hostile, odd, ...clean];
}

/** Writes the reports into a new store at `path`. */
export function fillStore(path: string, reports: readonly Report[] = hostileReports()): void {
  const store = openStore(path);
  try {
    for (const report of reports) store.saveReport(report);
  } finally {
    store.close();
  }
}
