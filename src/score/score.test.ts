import { describe, expect, it } from 'vitest';
import type { Finding, FindingKind, Severity } from '../core/finding.js';
import { makeFinding } from '../core/finding.js';
import { computeScore, gradeOf } from './score.js';
import { INCOMPLETE_CAP, POINTS } from './weights.js';

function finding(kind: FindingKind, severity: Severity, rule = `test/${kind}-${severity}`, file = 'index.js'): Finding {
  return makeFinding(
    { id: rule, title: `${kind} ${severity}`, severity, kind, description: 'd', recommendation: 'r' },
    'test',
    { location: { file }, evidence: `${rule}@${file}` },
  );
}

const ok = [{ id: 'manifest', status: 'succeeded' as const }];

describe('computeScore', () => {
  it.each([
    { name: 'no findings', findings: [], value: 100, grade: 'A', verdict: 'pass' },
    { name: 'capability info', findings: [finding('capability', 'info')], value: 100, grade: 'A', verdict: 'pass' },
    { name: 'capability medium', findings: [finding('capability', 'medium')], value: 97, grade: 'A', verdict: 'pass' },
    { name: 'capability critical stays pass', findings: [finding('capability', 'critical')], value: 85, grade: 'B', verdict: 'pass' },
    { name: 'threat low', findings: [finding('threat', 'low')], value: 95, grade: 'A', verdict: 'pass' },
    { name: 'threat medium', findings: [finding('threat', 'medium')], value: 69, grade: 'C', verdict: 'review' },
    { name: 'threat high', findings: [finding('threat', 'high')], value: 30, grade: 'F', verdict: 'fail' },
    { name: 'threat critical', findings: [finding('threat', 'critical')], value: 10, grade: 'F', verdict: 'fail' },
  ])('$name → $value $grade $verdict', ({ findings, value, grade, verdict }) => {
    const score = computeScore({ findings, analyzers: ok, workspaceIncomplete: false });
    expect(score).toMatchObject({ value, grade, verdict, complete: true });
  });

  it('lets repeats of one rule cost less each time', () => {
    const hits = ['a.js', 'b.js', 'c.js'].map((file) => finding('capability', 'medium', 'test/repeat', file));
    const score = computeScore({ findings: hits, analyzers: ok, workspaceIncomplete: false });
    const w = POINTS.capability.medium;
    expect(score.breakdown).toHaveLength(1);
    expect(score.breakdown[0]?.points).toBeCloseTo(w + w / 2 + w / 4);
    expect(score.value).toBe(Math.round(100 - (w + w / 2 + w / 4)));
  });

  it('names the findings behind every breakdown entry', () => {
    const findings = [finding('threat', 'medium'), finding('capability', 'low'), finding('capability', 'low', 'test/capability-low', 'x.js')];
    const score = computeScore({ findings, analyzers: ok, workspaceIncomplete: false });
    const named = score.breakdown.flatMap((entry) => entry.findings).sort();
    expect(named).toEqual(findings.map((f) => f.fingerprint).sort());
    const total = score.breakdown.reduce((sum, entry) => sum + entry.points, 0);
    expect(score.value).toBe(Math.min(69, Math.round(100 - total)));
  });

  it.each([
    { status: 'failed' as const, reason: 'boom' },
    { status: 'timeout' as const, reason: 'over 60000 ms' },
    { status: 'partial' as const, reason: '2 files unparseable' },
  ])('an analyzer that is $status makes the verdict review, never a clean pass', ({ status, reason }) => {
    const score = computeScore({ findings: [], analyzers: [{ id: 'manifest', status, reason }], workspaceIncomplete: false });
    expect(score.verdict).toBe('review');
    expect(score.complete).toBe(false);
    expect(score.value).toBeLessThanOrEqual(INCOMPLETE_CAP);
    expect(score.breakdown[0]?.reason).toContain(`manifest ${status}: ${reason}`);
    expect(score.breakdown[0]?.analyzers).toEqual(['manifest']);
  });

  it('treats a skipped analyzer as complete (it said why) and a cut workspace as incomplete', () => {
    const skipped = computeScore({ findings: [], analyzers: [{ id: 'manifest', status: 'skipped', reason: 'no package.json' }], workspaceIncomplete: false });
    expect(skipped).toMatchObject({ value: 100, verdict: 'pass', complete: true });
    const cut = computeScore({ findings: [], analyzers: ok, workspaceIncomplete: true });
    expect(cut).toMatchObject({ verdict: 'review', complete: false, value: INCOMPLETE_CAP });
  });

  it('keeps fail over review whatever the order', () => {
    const findings = [finding('threat', 'medium'), finding('threat', 'critical'), finding('threat', 'low')];
    const a = computeScore({ findings, analyzers: [{ id: 'm', status: 'failed' }], workspaceIncomplete: false });
    const b = computeScore({ findings: [...findings].reverse(), analyzers: [{ id: 'm', status: 'failed' }], workspaceIncomplete: false });
    expect(a.verdict).toBe('fail');
    expect(b).toEqual(a);
  });

  it('never leaves 0..100', () => {
    const many = Array.from({ length: 40 }, (_, i) => finding('threat', 'critical', `test/r${i}`));
    expect(computeScore({ findings: many, analyzers: ok, workspaceIncomplete: false }).value).toBe(0);
  });
});

describe('gradeOf', () => {
  it.each([
    [100, 'A'], [90, 'A'], [89, 'B'], [80, 'B'], [79, 'C'], [65, 'C'], [64, 'D'], [50, 'D'], [49, 'F'], [0, 'F'],
  ] as const)('%i → %s', (value, grade) => {
    expect(gradeOf(value)).toBe(grade);
  });
});

describe('declared and undeclared capabilities', () => {
  const process = (file: string): Finding => ({
    ...makeFinding(
      { id: 'test/spawn', title: 'Runs a process', severity: 'medium', kind: 'capability', capability: 'process', description: 'd', recommendation: 'r' },
      'test',
      { location: { file }, evidence: file },
    ),
  });

  it('shows a declared capability without taking points off', () => {
    const score = computeScore({ findings: [{ ...process('a.js'), declaredBy: 'run_command' }], analyzers: ok, workspaceIncomplete: false, toolSurfaceKnown: true });
    expect(score).toMatchObject({ value: 100, verdict: 'pass' });
    expect(score.breakdown[0]?.reason).toContain('declared by tool run_command');
  });

  it('moves power that no tool declares to review, when the tool surface is known', () => {
    const score = computeScore({ findings: [process('a.js')], analyzers: ok, workspaceIncomplete: false, toolSurfaceKnown: true });
    expect(score.verdict).toBe('review');
    expect(score.breakdown[0]?.reason).toContain('not declared by any tool');
  });

  it('cannot tell declared from hidden without a tool surface, so only shows it', () => {
    const score = computeScore({ findings: [process('a.js')], analyzers: ok, workspaceIncomplete: false, toolSurfaceKnown: false });
    expect(score).toMatchObject({ verdict: 'pass', value: 100 - POINTS.capability.medium });
  });
});
