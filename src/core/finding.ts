import { createHash } from 'node:crypto';
import { z } from 'zod';
import { redactSecrets, truncateText } from './text.js';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

export const FINDING_KINDS = ['capability', 'threat'] as const;
export const FindingKindSchema = z.enum(FINDING_KINDS);
export type FindingKind = z.infer<typeof FindingKindSchema>;

/**
 * What power a capability finding shows, so it can be matched against what the server's tools say they
 * do: a declared capability is shown, an undeclared one is power beyond what the server admits to.
 */
export const CAPABILITY_CLASSES = ['process', 'code-execution', 'filesystem', 'network', 'credentials', 'clipboard', 'environment'] as const;
export const CapabilityClassSchema = z.enum(CAPABILITY_CLASSES);
export type CapabilityClass = z.infer<typeof CapabilityClassSchema>;

/** File positions are 1-based. A sandbox hit names an event instead of a file. */
export const LocationSchema = z.object({
  file: z.string().optional(),
  line: z.number().int().positive().optional(),
  column: z.number().int().positive().optional(),
  event: z.string().optional(),
});
export type Location = z.infer<typeof LocationSchema>;

export const FindingSchema = z.object({
  ruleId: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/),
  analyzer: z.string().min(1),
  severity: SeveritySchema,
  kind: FindingKindSchema,
  title: z.string().min(1),
  message: z.string().optional(),
  location: LocationSchema.optional(),
  evidence: z.string().optional(),
  fingerprint: z.string().regex(/^[0-9a-f]{32}$/),
  capability: CapabilityClassSchema.optional(),
  /** Name of the tool whose description openly declares this capability. */
  declaredBy: z.string().optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

/** What every rule declares, whichever analyzer owns it. */
export const RuleMetaSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/),
  title: z.string().min(1),
  severity: SeveritySchema,
  kind: FindingKindSchema,
  description: z.string().min(1),
  recommendation: z.string().min(1),
  reference: z.string().optional(),
  capability: CapabilityClassSchema.optional(),
});
export type RuleMeta = z.infer<typeof RuleMetaSchema>;

/** A rule's metadata, frozen so no analyzer can change a rule another reads. */
export function defineRule(meta: RuleMeta): RuleMeta {
  return Object.freeze(meta);
}

export const EVIDENCE_MAX_CHARS = 200;

export interface FindingInput {
  message?: string | undefined;
  location?: Location | undefined;
  evidence?: string | undefined;
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Whitespace differences (reformatting, CRLF) must not split one hit into two rows across runs. */
function normaliseEvidence(evidence: string): string {
  return evidence.replace(/\s+/g, ' ').trim();
}

export function fingerprintOf(ruleId: string, file: string | undefined, evidence: string | undefined): string {
  return createHash('sha256')
    .update(`${ruleId}\0${file ?? ''}\0${normaliseEvidence(evidence ?? '')}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * Builds a finding from a rule's metadata. Evidence is redacted before it is truncated or hashed, so a
 * secret never reaches the report, the store or a fingerprint.
 */
export function makeFinding(rule: RuleMeta, analyzer: string, input: FindingInput = {}): Finding {
  // Bound the text before redaction so the redaction patterns only ever see a short string.
  const evidence =
    input.evidence === undefined
      ? undefined
      : truncateText(redactSecrets(truncateText(input.evidence, 4 * EVIDENCE_MAX_CHARS)), EVIDENCE_MAX_CHARS);
  const finding: Finding = {
    ruleId: rule.id,
    analyzer,
    severity: rule.severity,
    kind: rule.kind,
    title: rule.title,
    fingerprint: fingerprintOf(rule.id, input.location?.file ?? input.location?.event, evidence),
  };
  if (rule.capability !== undefined) finding.capability = rule.capability;
  if (input.message !== undefined) finding.message = truncateText(input.message, 500);
  if (input.location !== undefined) finding.location = input.location;
  if (evidence !== undefined) finding.evidence = evidence;
  return finding;
}
