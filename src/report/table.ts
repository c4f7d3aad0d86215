import type { Finding } from '../core/finding.js';
import { formatBytes } from '../core/limits.js';
import type { Report } from '../core/report.js';
import type { Verdict } from '../core/score.js';
import { escapeTerminal } from '../core/text.js';

export interface TableOptions {
  color: boolean;
  /** Most findings to list; the rest are counted. */
  maxFindings?: number;
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
type Style = keyof typeof CODES;

function styler(color: boolean): (style: Style, text: string) => string {
  return (style, text) => (color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text);
}

const VERDICT_STYLE: Record<Verdict, Style> = { pass: 'green', review: 'yellow', fail: 'red' };

/** Everything from the package goes through here before it reaches the terminal. */
const safe = (text: string): string => escapeTerminal(text);

function locationText(finding: Finding): string {
  const loc = finding.location;
  if (!loc) return '';
  if (loc.file === undefined) return safe(loc.event ?? '');
  return safe([loc.file, loc.line, loc.column].filter((part) => part !== undefined).join(':'));
}

function targetLine(report: Report): string {
  const t = report.target;
  const id = t.name !== undefined ? `${t.name}${t.version !== undefined ? `@${t.version}` : ''}` : t.spec;
  const pin = t.integrity ?? (t.commit !== undefined ? `commit ${t.commit}` : '');
  return `Target    ${t.kind}  ${safe(id)}${pin ? `  ${safe(pin)}` : ''}`;
}

function findingLines(finding: Finding, paint: ReturnType<typeof styler>): string[] {
  const severity = finding.severity.toUpperCase().padEnd(8);
  const head = `  ${paint(finding.kind === 'threat' ? 'red' : 'dim', severity)} ${finding.kind.padEnd(10)} ${finding.ruleId}  ${locationText(finding)}`;
  const lines = [head, `           ${safe(finding.title)}`];
  if (finding.message) lines.push(`           ${safe(finding.message)}`);
  if (finding.evidence) lines.push(`           ${paint('dim', `evidence: ${safe(finding.evidence)}`)}`);
  return lines;
}

/** The human-readable report. Every package-supplied string is escaped (ANSI, control, bidi). */
export function formatTable(report: Report, options: TableOptions): string {
  const paint = styler(options.color);
  const { score } = report;
  const out: string[] = [];
  out.push(targetLine(report));
  const verdict = paint(VERDICT_STYLE[score.verdict], paint('bold', score.verdict.toUpperCase()));
  out.push(`Score     ${score.value}/100  grade ${score.grade}  verdict ${verdict}${score.complete ? '' : '  (analysis incomplete)'}`);
  out.push(`Files     ${report.files.count} (${formatBytes(report.files.bytes)})${report.files.incomplete ? ', cut short by a cap' : ''}`);
  if (score.breakdown.length > 0) {
    out.push('', 'Why this score');
    for (const entry of score.breakdown) {
      const points = entry.points > 0 ? `-${entry.points}`.padStart(7) : '       ';
      const extras = [entry.cap !== undefined ? `caps at ${entry.cap}` : '', entry.verdict ? `→ ${entry.verdict}` : ''].filter(Boolean).join(', ');
      out.push(`${points}  ${safe(entry.reason)}${extras ? paint('dim', `  (${extras})`) : ''}`);
    }
  }
  const max = options.maxFindings ?? 50;
  out.push('', `Findings (${report.findings.length})`);
  if (report.findings.length === 0) out.push('  none');
  for (const finding of report.findings.slice(0, max)) out.push(...findingLines(finding, paint));
  if (report.findings.length > max) out.push(`  … and ${report.findings.length - max} more (use --format json for all)`);
  out.push('', 'Analyzers');
  for (const a of report.analyzers) {
    const status = a.status === 'succeeded' ? a.status : paint('yellow', a.status);
    out.push(`  ${a.id} v${a.version}  ${status}  ${Math.round(a.durationMs)} ms${a.reason ? `  ${safe(a.reason)}` : ''}${a.errors.length ? `  (${a.errors.length} errors)` : ''}`);
  }
  return `${out.join('\n')}\n`;
}
