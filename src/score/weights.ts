import type { CapabilityClass, FindingKind, Severity } from '../core/finding.js';
import type { Grade } from '../core/score.js';

/**
 * Every number the score uses, in one place. docs/scoring.md explains each one; change both together.
 */

/** Points one finding takes off, by kind and severity. Threats cost far more than capabilities. */
export const POINTS: Readonly<Record<FindingKind, Readonly<Record<Severity, number>>>> = {
  capability: { info: 0, low: 1, medium: 3, high: 8, critical: 15 },
  threat: { info: 0, low: 5, medium: 15, high: 35, critical: 60 },
};

/**
 * Repeated hits of one rule are one problem seen several times: the n-th hit costs REPEAT_DECAY^(n-1) of
 * the first, so a rule can never take off more than 1 / (1 - REPEAT_DECAY) times its weight.
 */
export const REPEAT_DECAY = 0.5;

/**
 * Highest value a score can keep when a finding of this kind and severity is present, so that no
 * amount of clean code can hide it. Absent entries cap nothing.
 */
export const VALUE_CAPS: Readonly<Partial<Record<FindingKind, Partial<Record<Severity, number>>>>> = {
  threat: { critical: 10, high: 30, medium: 69 },
};

/** Highest value when the analysis is incomplete (an analyzer failed or timed out, or a cap cut the workspace). */
export const INCOMPLETE_CAP = 79;

/** Lowest value of each grade; anything below the last is F. */
export const GRADE_FLOORS: readonly (readonly [Grade, number])[] = [
  ['A', 90],
  ['B', 80],
  ['C', 65],
  ['D', 50],
];

/** The verdict a finding forces, by kind and severity: threats decide verdicts, capabilities are shown. */
export const VERDICT_FLOORS: Readonly<Partial<Record<FindingKind, Partial<Record<Severity, 'review' | 'fail'>>>>> = {
  threat: { critical: 'fail', high: 'fail', medium: 'review' },
};

/** An incomplete analysis can never pass: what was not seen may be what matters. */
export const INCOMPLETE_VERDICT = 'review';

/**
 * A capability that a tool openly declares (a shell tool that says it runs commands) is shown, not
 * punished: its points are multiplied by this.
 */
export const DECLARED_FACTOR = 0;

/**
 * Power beyond what the server declares: when a server has a known tool surface and none of its tools
 * declares one of these capabilities, a finding of at least this severity moves the verdict to review
 * (a weather server that spawns processes).
 */
export const UNDECLARED_POWER: { readonly classes: ReadonlySet<CapabilityClass>; readonly minSeverity: Severity; readonly verdict: 'review' } = {
  classes: new Set<CapabilityClass>(['process', 'clipboard']),
  minSeverity: 'medium',
  verdict: 'review',
};
