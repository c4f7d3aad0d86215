/**
 * Release alerts for catalog maintainers: one JSON line when a new scan of a package looks like a turn
 * for the worse. Due when the verdict got worse or a tool's model-visible description changed (a rug pull
 * keeps the tool name and changes what it tells the model); added tools and install scripts ride along as
 * context but do not raise an alert on their own.
 */
import { z } from 'zod';
import type { Report } from '../core/report.js';
import { VerdictSchema } from '../core/score.js';
import { truncateText } from '../core/text.js';
import type { ReleaseDiff } from '../report/diff.js';
import { diffReports, redescribedTools } from '../report/diff.js';
import { asciiJson } from '../report/json.js';

export const ALERT_REASONS = ['verdict-worse', 'tool-description-changed', 'tools-added', 'install-script-added'] as const;
export const AlertReasonSchema = z.enum(ALERT_REASONS);
export type AlertReason = z.infer<typeof AlertReasonSchema>;

const MAX_NAME = 200;
const MAX_NAMES = 20;
const names = z.array(z.string().max(2 * MAX_NAME)).max(MAX_NAMES);

export const AlertSchema = z.object({
  package: z.string().min(1).max(2 * MAX_NAME),
  /** Versions as stored; null for a target without one (a directory). */
  from: z.string().max(2 * MAX_NAME).nullable(),
  to: z.string().max(2 * MAX_NAME).nullable(),
  verdict: z.object({ from: VerdictSchema, to: VerdictSchema }),
  score: z.object({ from: z.number().int().min(0).max(100), to: z.number().int().min(0).max(100) }),
  reasons: z.array(AlertReasonSchema).min(1).max(ALERT_REASONS.length),
  /** Names behind the reasons, at most MAX_NAMES each. */
  tools: z.object({ redescribed: names, added: names }),
  installScripts: names,
  /** When the newer scan was made: the alert is about that scan, whenever it is sent. */
  at: z.string().datetime(),
});
export type Alert = z.infer<typeof AlertSchema>;

const short = (value: string): string => truncateText(value, MAX_NAME);

function reasonsOf(diff: ReleaseDiff): AlertReason[] {
  const reasons: AlertReason[] = [];
  if (diff.score.verdictWorse) reasons.push('verdict-worse');
  if (redescribedTools(diff).length > 0) reasons.push('tool-description-changed');
  if (diff.counts.toolsAdded > 0) reasons.push('tools-added');
  if (diff.installScripts.added.length > 0) reasons.push('install-script-added');
  return reasons;
}

/**
 * The alert for `current` against the scan before it, or undefined when none is due (no earlier scan,
 * or nothing worse). Pass `diff` when it is already computed.
 */
export function alertFor(previous: Report | undefined, current: Report, diff?: ReleaseDiff): Alert | undefined {
  if (previous === undefined) return undefined;
  const d = diff ?? diffReports(previous, current);
  const reasons = reasonsOf(d);
  if (!reasons.includes('verdict-worse') && !reasons.includes('tool-description-changed')) return undefined;
  const alert: Alert = {
    package: short(d.package),
    from: previous.target.version === undefined ? null : short(previous.target.version),
    to: current.target.version === undefined ? null : short(current.target.version),
    verdict: { from: previous.score.verdict, to: current.score.verdict },
    score: { from: previous.score.value, to: current.score.value },
    reasons,
    tools: {
      redescribed: redescribedTools(d).slice(0, MAX_NAMES).map((t) => short(t.name)),
      added: d.tools.added.slice(0, MAX_NAMES).map((t) => short(t.name)),
    },
    installScripts: d.installScripts.added.slice(0, MAX_NAMES).map((s) => short(s.name)),
    at: new Date(current.scannedAt).toISOString(),
  };
  return AlertSchema.parse(alert);
}

/** One line of JSON, no newline at the end, every non-ASCII character escaped: safe to append to a log. */
export function formatAlertLine(alert: Alert): string {
  return asciiJson(alert);
}
