import { z } from 'zod';
import type { Finding, RuleMeta } from './finding.js';
import { FindingSchema } from './finding.js';
import type { AnalyzerLimits } from './limits.js';
import type { ToolInfo } from './tool.js';
import { ToolInfoSchema } from './tool.js';
import type { Workspace, WorkspaceFile } from './workspace.js';

export const ANALYZER_STATUSES = ['succeeded', 'partial', 'failed', 'skipped', 'timeout'] as const;
export const AnalyzerStatusSchema = z.enum(ANALYZER_STATUSES);
export type AnalyzerStatus = z.infer<typeof AnalyzerStatusSchema>;

export const AnalyzerErrorSchema = z.object({
  file: z.string().optional(),
  message: z.string(),
});
export type AnalyzerError = z.infer<typeof AnalyzerErrorSchema>;

export const AnalyzerResultSchema = z.object({
  analyzer: z.string().min(1),
  version: z.number().int().positive(),
  status: AnalyzerStatusSchema,
  reason: z.string().optional(),
  findings: z.array(FindingSchema),
  errors: z.array(AnalyzerErrorSchema),
  durationMs: z.number().nonnegative(),
  /** The tool surface, from analyzers that extract it. */
  tools: z.array(ToolInfoSchema).optional(),
});
export type AnalyzerResult = z.infer<typeof AnalyzerResultSchema>;

export interface AnalyzerRequirements {
  network?: boolean;
  docker?: boolean;
}

/**
 * The reason an analyzer is skipped for when the run lacks one of its requirements. It is stored with the
 * scan, so that a later harvest that has the capability can tell such a skip from the analyzer's own.
 */
export const MISSING_REQUIREMENT = {
  docker: 'needs a Docker engine, which is not available',
  network: 'needs network access, which is turned off',
} as const;

/** The requirement a run with these capabilities lacks, as its skip reason; undefined when it has them all. */
export function missingRequirement(requirements: AnalyzerRequirements, capabilities: Readonly<Record<keyof AnalyzerRequirements, boolean>>): string | undefined {
  if (requirements.docker === true && !capabilities.docker) return MISSING_REQUIREMENT.docker;
  if (requirements.network === true && !capabilities.network) return MISSING_REQUIREMENT.network;
  return undefined;
}

/** True for a skip reason that said only that a requirement was missing. */
export function skippedForRequirement(reason: string | null | undefined): boolean {
  return reason === MISSING_REQUIREMENT.docker || reason === MISSING_REQUIREMENT.network;
}

/** What an analyzer may read. Paths come from `workspace.files`; reads are capped and never follow links. */
export interface WorkspaceReader {
  readText(file: WorkspaceFile): Promise<string>;
  readBytes(file: WorkspaceFile, maxBytes?: number): Promise<Buffer>;
}

export interface AnalyzerContext {
  workspace: Workspace;
  reader: WorkspaceReader;
  signal: AbortSignal;
  limits: AnalyzerLimits;
  /** Tools the analyzers before this one found (the runner fills it in; the sandbox compares with it). */
  priorTools?: readonly ToolInfo[];
}

/**
 * What `analyze` returns. `partial` with a reason when some files could not be analysed; a thrown error
 * or an abort is turned into `failed` / `timeout` by the runner, never into an empty result.
 */
export interface AnalyzerOutput {
  findings: Finding[];
  errors?: { file?: string; message: string }[];
  status?: 'succeeded' | 'partial' | 'skipped';
  reason?: string;
  /** Tools this analyzer found (the tools analyzer); they become the report's `tools[]`. */
  tools?: ToolInfo[];
}

export interface Analyzer {
  readonly id: string;
  readonly version: number;
  readonly description: string;
  readonly requirements: AnalyzerRequirements;
  readonly rules: readonly RuleMeta[];
  analyze(ctx: AnalyzerContext): Promise<AnalyzerOutput>;
}
