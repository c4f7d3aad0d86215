import type { AnalyzerStatus } from '../core/analyzer.js';
import type { Finding } from '../core/finding.js';
import { severityRank } from '../core/finding.js';
import type { BreakdownEntry, Grade, Score, Verdict } from '../core/score.js';
import { verdictRank } from '../core/score.js';
import { DECLARED_FACTOR, GRADE_FLOORS, INCOMPLETE_CAP, INCOMPLETE_VERDICT, POINTS, REPEAT_DECAY, UNDECLARED_POWER, VALUE_CAPS, VERDICT_FLOORS } from './weights.js';

export interface ScoreInput {
  findings: readonly Finding[];
  analyzers: readonly { id: string; status: AnalyzerStatus; reason?: string | undefined }[];
  /** Part of the package that matters was not seen (see workspaceIsIncomplete). */
  workspaceIncomplete: boolean;
  /** The server's tools are known, so what it declares can be told from what it hides. */
  toolSurfaceKnown?: boolean;
}

const CAP_RULE = /^workspace\/(?:.*-limit|file-too-large)$/;

const INCOMPLETE_STATUSES: ReadonlySet<AnalyzerStatus> = new Set(['failed', 'timeout', 'partial']);

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function groupByRule(findings: readonly Finding[]): Map<string, Finding[]> {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const group = groups.get(finding.ruleId);
    if (group) group.push(finding);
    else groups.set(finding.ruleId, [finding]);
  }
  return groups;
}

function isUndeclaredPower(finding: Finding, toolSurfaceKnown: boolean): boolean {
  return (
    toolSurfaceKnown &&
    finding.kind === 'capability' &&
    finding.declaredBy === undefined &&
    finding.capability !== undefined &&
    UNDECLARED_POWER.classes.has(finding.capability) &&
    severityRank(finding.severity) >= severityRank(UNDECLARED_POWER.minSeverity)
  );
}

function describeHits(worst: Finding, hits: readonly Finding[], undeclaredPower: boolean): string {
  const parts: string[] = [worst.kind, worst.severity];
  if (hits.length > 1) parts.push(`${hits.length} hits`);
  const declared = hits.find((f) => f.declaredBy !== undefined)?.declaredBy;
  if (declared !== undefined) parts.push(`declared by tool ${declared}`);
  if (undeclaredPower) parts.push('not declared by any tool');
  return `${worst.title} (${parts.join(', ')})`;
}

function ruleEntry(ruleId: string, hits: Finding[], toolSurfaceKnown: boolean): BreakdownEntry {
  // One rule has one kind and severity; take the strongest in case analyzers disagree.
  const worst = hits.reduce((a, b) => (severityRank(b.severity) > severityRank(a.severity) ? b : a));
  const weight = POINTS[worst.kind][worst.severity];
  // Undeclared hits pay full price first; declared ones are shown at DECLARED_FACTOR.
  const costs = hits.map((f) => (f.declaredBy === undefined ? weight : weight * DECLARED_FACTOR)).sort((a, b) => b - a);
  const points = costs.reduce((sum, cost, i) => sum + cost * REPEAT_DECAY ** i, 0);
  const undeclaredPower = hits.some((f) => isUndeclaredPower(f, toolSurfaceKnown));
  const entry: BreakdownEntry = {
    reason: describeHits(worst, hits, undeclaredPower),
    ruleId,
    points: round(points),
    findings: hits.map((f) => f.fingerprint),
  };
  const cap = VALUE_CAPS[worst.kind]?.[worst.severity];
  if (cap !== undefined) entry.cap = cap;
  const verdict = VERDICT_FLOORS[worst.kind]?.[worst.severity] ?? (undeclaredPower ? UNDECLARED_POWER.verdict : undefined);
  if (verdict !== undefined) entry.verdict = verdict;
  return entry;
}

function incompleteEntry(input: ScoreInput): BreakdownEntry | undefined {
  const cut = input.analyzers.filter((a) => INCOMPLETE_STATUSES.has(a.status));
  if (cut.length === 0 && !input.workspaceIncomplete) return undefined;
  const parts = cut.map((a) => `${a.id} ${a.status}${a.reason ? `: ${a.reason}` : ''}`);
  if (input.workspaceIncomplete) parts.push('part of the package was left out by a workspace cap');
  const limitFindings = input.findings.filter((f) => f.analyzer === 'workspace' && CAP_RULE.test(f.ruleId));
  return {
    reason: `Analysis incomplete (${parts.join('; ')})`,
    points: 0,
    cap: INCOMPLETE_CAP,
    verdict: INCOMPLETE_VERDICT,
    findings: limitFindings.map((f) => f.fingerprint),
    analyzers: cut.map((a) => a.id),
  };
}

export function gradeOf(value: number): Grade {
  for (const [grade, floor] of GRADE_FLOORS) if (value >= floor) return grade;
  return 'F';
}

/**
 * Findings in, score out: no I/O, no clock, same input same output, so any stored score can be
 * recomputed. Points come off 100; caps and verdict floors then apply, each named in the breakdown.
 */
export function computeScore(input: ScoreInput): Score {
  const breakdown = [...groupByRule(input.findings)].map(([ruleId, hits]) => ruleEntry(ruleId, hits, input.toolSurfaceKnown === true));
  breakdown.sort((a, b) => b.points - a.points || (a.ruleId ?? '').localeCompare(b.ruleId ?? ''));
  const incomplete = incompleteEntry(input);
  if (incomplete) breakdown.unshift(incomplete);

  const deducted = breakdown.reduce((sum, entry) => sum + entry.points, 0);
  const cap = Math.min(100, ...breakdown.map((entry) => entry.cap ?? 100));
  const value = Math.max(0, Math.min(cap, Math.round(100 - deducted)));
  const verdict = breakdown.reduce<Verdict>(
    (worst, entry) => (entry.verdict && verdictRank(entry.verdict) > verdictRank(worst) ? entry.verdict : worst),
    'pass',
  );
  return { value, grade: gradeOf(value), verdict, complete: incomplete === undefined, breakdown };
}
