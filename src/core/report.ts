import { z } from 'zod';
import { AnalyzerErrorSchema, AnalyzerStatusSchema } from './analyzer.js';
import { FindingSchema } from './finding.js';
import { ScoreSchema } from './score.js';
import { TargetKindSchema } from './target.js';
import { ToolInfoSchema } from './tool.js';
import { FileTypeSchema } from './workspace.js';

export const REPORT_SCHEMA_VERSION = 1;

export const ReportTargetSchema = z.object({
  kind: TargetKindSchema,
  spec: z.string(),
  name: z.string().optional(),
  version: z.string().optional(),
  integrity: z.string().optional(),
  commit: z.string().optional(),
});

export const ReportAnalyzerSchema = z.object({
  id: z.string(),
  version: z.number().int().positive(),
  status: AnalyzerStatusSchema,
  reason: z.string().optional(),
  durationMs: z.number().nonnegative(),
  errors: z.array(AnalyzerErrorSchema),
});

export const ReportToolSchema = ToolInfoSchema;

export const ReportBinarySchema = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  type: FileTypeSchema,
  /** Absent only for a binary left out of the workspace (over the single-file cap). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});

export const ReportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('mcp-assay'), version: z.string() }),
  scannedAt: z.string().datetime(),
  target: ReportTargetSchema,
  score: ScoreSchema,
  findings: z.array(FindingSchema),
  analyzers: z.array(ReportAnalyzerSchema),
  tools: z.array(ReportToolSchema),
  files: z.object({
    count: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    incomplete: z.boolean(),
    binaries: z.array(ReportBinarySchema),
  }),
  timings: z.object({
    fetchMs: z.number().nonnegative(),
    analyzeMs: z.number().nonnegative(),
    scoreMs: z.number().nonnegative(),
    totalMs: z.number().nonnegative(),
  }),
});
export type Report = z.infer<typeof ReportSchema>;
export type ReportAnalyzer = z.infer<typeof ReportAnalyzerSchema>;
export type ReportTool = z.infer<typeof ReportToolSchema>;
