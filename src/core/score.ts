import { z } from 'zod';

export const GRADES = ['A', 'B', 'C', 'D', 'F'] as const;
export const GradeSchema = z.enum(GRADES);
export type Grade = z.infer<typeof GradeSchema>;

export const VERDICTS = ['pass', 'review', 'fail'] as const;
export const VerdictSchema = z.enum(VERDICTS);
export type Verdict = z.infer<typeof VerdictSchema>;

/**
 * One line of the explanation. `points` is what it took off (0 for entries that only cap the value or
 * move the verdict); `findings` lists the fingerprints behind it, `analyzers` the analyzers behind an
 * incomplete-analysis entry.
 */
export const BreakdownEntrySchema = z.object({
  reason: z.string().min(1),
  ruleId: z.string().optional(),
  points: z.number().nonnegative(),
  cap: z.number().int().min(0).max(100).optional(),
  verdict: VerdictSchema.optional(),
  findings: z.array(z.string()),
  analyzers: z.array(z.string()).optional(),
});
export type BreakdownEntry = z.infer<typeof BreakdownEntrySchema>;

export const ScoreSchema = z.object({
  value: z.number().int().min(0).max(100),
  grade: GradeSchema,
  verdict: VerdictSchema,
  /** False when an analyzer failed, timed out or a cap cut the workspace: the score is a lower bound on what is unknown. */
  complete: z.boolean(),
  breakdown: z.array(BreakdownEntrySchema),
});
export type Score = z.infer<typeof ScoreSchema>;

export function verdictRank(verdict: Verdict): number {
  return VERDICTS.indexOf(verdict);
}
