import type { Verdict } from '../core/score.js';
import { escapeTerminal, truncateText } from '../core/text.js';
import type { DiffFindingRef, ReleaseDiff, ToolChange } from './diff.js';
import { asciiJson } from './json.js';

export interface DiffTableOptions {
  color: boolean;
  /** Most entries listed per section; the rest are counted. */
  maxItems?: number;
  /** Most characters of one description or command shown before it is cut. */
  maxText?: number;
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
type Style = keyof typeof CODES;
type Paint = (style: Style, text: string) => string;

function styler(color: boolean): Paint {
  return (style, text) => (color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text);
}

const VERDICT_STYLE: Record<Verdict, Style> = { pass: 'green', review: 'yellow', fail: 'red' };

/**
 * Every string that came from a package is cut, then escaped: cutting first keeps a 100 KB description
 * to a few lines, escaping last makes sure nothing it holds reaches the terminal raw.
 */
function safe(text: string, max: number): string {
  return escapeTerminal(truncateText(text, max));
}

interface Ctx {
  paint: Paint;
  maxItems: number;
  maxText: number;
}

function more(shown: number, total: number): string[] {
  return total > shown ? [`  … and ${total - shown} more (use --format json for the list)`] : [];
}

function location(ref: DiffFindingRef): string {
  const loc = ref.location;
  if (loc === undefined) return '';
  if (loc.file === undefined) return safe(loc.event ?? '', 200);
  return safe([loc.file, loc.line, loc.column].filter((p) => p !== undefined).join(':'), 300);
}

function scoreLines(diff: ReleaseDiff, ctx: Ctx): string[] {
  const { paint } = ctx;
  const side = (s: ReleaseDiff['from']['score']): string =>
    `${s.value}/100 ${s.grade} ${paint(VERDICT_STYLE[s.verdict], s.verdict)}${s.complete ? '' : ' (incomplete)'}`;
  const delta = diff.score.delta > 0 ? `+${diff.score.delta}` : String(diff.score.delta);
  const verdict =
    diff.score.verdict === 'worse' ? paint('red', paint('bold', 'verdict worse')) : diff.score.verdict === 'better' ? paint('green', 'verdict better') : 'verdict unchanged';
  return [`Score     ${side(diff.from.score)}  →  ${side(diff.to.score)}   (${delta}, ${verdict})`];
}

function textChangeLines(change: NonNullable<ToolChange['description']>, ctx: Ctx): string[] {
  const out: string[] = [];
  if (change.inserted.length > 0) out.push(`      added text:   ${ctx.paint('yellow', safe(change.inserted, ctx.maxText))}`);
  if (change.deleted.length > 0) out.push(`      removed text: ${safe(change.deleted, ctx.maxText)}`);
  out.push(`      new description: ${ctx.paint('dim', safe(change.to, ctx.maxText))}`);
  return out;
}

function toolChangeLines(change: ToolChange, ctx: Ctx): string[] {
  const { paint } = ctx;
  const what: string[] = [];
  if (change.description) what.push('description');
  if (change.title) what.push('title');
  if (change.parameters.length > 0) what.push('parameters');
  if (change.annotations.length > 0) what.push('annotations');
  const flag = change.possibleRugPull ? `  ${paint('red', paint('bold', 'POSSIBLE RUG PULL'))}` : '';
  const out = [`  ~ ${safe(change.name, 200)}  ${what.join(', ')} changed${flag}`];
  if (change.why) out.push(`      why: ${safe(change.why, 1000)}`);
  if (change.description) out.push(...textChangeLines(change.description, ctx));
  if (change.title) out.push(`      title: ${safe(change.title.from ?? '(none)', 200)} → ${safe(change.title.to ?? '(none)', 200)}`);
  for (const p of change.parameters.slice(0, ctx.maxItems)) {
    const desc = p.to?.description ?? p.from?.description;
    const type = p.to?.type ?? p.from?.type;
    out.push(`      param ${p.change.padEnd(7)} ${safe(p.name, 200)}${type ? ` (${safe(type, 100)})` : ''}${desc ? `: ${safe(desc, ctx.maxText)}` : ''}`);
    const was = p.change === 'changed' ? p.from?.description : undefined;
    if (was !== undefined && was !== desc) out.push(`        was: ${ctx.paint('dim', safe(was, ctx.maxText))}`);
  }
  for (const a of change.annotations.slice(0, ctx.maxItems)) {
    out.push(`      annotation ${safe(a.key, 200)}: ${safe(String(a.from ?? '(none)'), 200)} → ${safe(String(a.to ?? '(none)'), 200)}`);
  }
  return out;
}

function toolLines(diff: ReleaseDiff, ctx: Ctx): string[] {
  const { tools, counts } = diff;
  const rug = tools.changed.filter((t) => t.possibleRugPull).length;
  const head = `Tools (+${counts.toolsAdded} added, -${counts.toolsRemoved} removed, ${counts.toolsChanged} changed${rug > 0 ? `, ${rug} re-described` : ''})`;
  const out = ['', head];
  if (counts.toolsAdded + counts.toolsRemoved + counts.toolsChanged === 0) return [...out, '  no change'];
  for (const change of tools.changed.slice(0, ctx.maxItems)) out.push(...toolChangeLines(change, ctx));
  out.push(...more(Math.min(tools.changed.length, ctx.maxItems), counts.toolsChanged));
  for (const tool of tools.added.slice(0, ctx.maxItems)) {
    out.push(`  + ${safe(tool.name, 200)}  ${ctx.paint('dim', safe(tool.description, ctx.maxText))}`);
  }
  out.push(...more(Math.min(tools.added.length, ctx.maxItems), counts.toolsAdded));
  for (const tool of tools.removed.slice(0, ctx.maxItems)) out.push(`  - ${safe(tool.name, 200)}`);
  out.push(...more(Math.min(tools.removed.length, ctx.maxItems), counts.toolsRemoved));
  return out;
}

function scriptLines(diff: ReleaseDiff, ctx: Ctx): string[] {
  const { added, removed, changed } = diff.installScripts;
  if (added.length + removed.length + changed.length === 0) return ['', 'Install scripts', '  no change'];
  const out = ['', 'Install scripts'];
  for (const s of added) out.push(`  + ${ctx.paint('red', safe(s.name, 200))}: ${safe(s.command, ctx.maxText)}`);
  for (const s of changed) out.push(`  ~ ${ctx.paint('yellow', safe(s.name, 200))}: ${safe(s.from, ctx.maxText)}`, `      now: ${safe(s.to, ctx.maxText)}`);
  for (const s of removed) out.push(`  - ${safe(s.name, 200)}: ${safe(s.command, ctx.maxText)}`);
  return out;
}

function endpointLines(diff: ReleaseDiff, ctx: Ctx): string[] {
  const { endpoints, counts } = diff;
  if (counts.endpointsAdded + counts.endpointsRemoved === 0) return ['', 'Endpoints', '  no change'];
  const out = ['', `Endpoints (+${counts.endpointsAdded} new, -${counts.endpointsRemoved} gone)`];
  const line = (sign: string, e: (typeof endpoints.added)[number]): string =>
    `  ${sign} ${safe(e.host, 300)}  ${ctx.paint('dim', `${e.ruleIds.join(', ')}${e.file ? `  ${safe(e.file, 200)}` : ''}`)}`;
  for (const e of endpoints.added.slice(0, ctx.maxItems)) out.push(line('+', e));
  out.push(...more(Math.min(endpoints.added.length, ctx.maxItems), counts.endpointsAdded));
  for (const e of endpoints.removed.slice(0, ctx.maxItems)) out.push(line('-', e));
  out.push(...more(Math.min(endpoints.removed.length, ctx.maxItems), counts.endpointsRemoved));
  return out;
}

function findingLine(sign: string, ref: DiffFindingRef, ctx: Ctx): string[] {
  const severity = ctx.paint(ref.kind === 'threat' ? 'red' : 'dim', ref.severity.toUpperCase().padEnd(8));
  const lines = [`  ${sign} ${severity} ${ref.kind.padEnd(10)} ${ref.ruleId}  ${location(ref)}`, `             ${safe(ref.title, 200)}`];
  if (ref.evidence) lines.push(`             ${ctx.paint('dim', `evidence: ${safe(ref.evidence, 400)}`)}`);
  return lines;
}

function findingLines(diff: ReleaseDiff, ctx: Ctx): string[] {
  const { findings, counts } = diff;
  const out = ['', `Findings (+${counts.findingsAdded} new, -${counts.findingsResolved} resolved)`];
  if (counts.findingsAdded + counts.findingsResolved === 0) return [...out, '  no change'];
  for (const f of findings.added.slice(0, ctx.maxItems)) out.push(...findingLine('+', f, ctx));
  out.push(...more(Math.min(findings.added.length, ctx.maxItems), counts.findingsAdded));
  for (const f of findings.resolved.slice(0, ctx.maxItems)) out.push(...findingLine('-', f, ctx));
  out.push(...more(Math.min(findings.resolved.length, ctx.maxItems), counts.findingsResolved));
  return out;
}

/** The human-readable diff. Every package-supplied string is cut and escaped (ANSI, control, bidi). */
export function formatDiffTable(diff: ReleaseDiff, options: DiffTableOptions): string {
  const ctx: Ctx = { paint: styler(options.color), maxItems: options.maxItems ?? 30, maxText: options.maxText ?? 400 };
  const version = (v: string | undefined, spec: string): string => safe(v ?? spec, 200);
  const out = [`Package   ${safe(diff.package, 200)}  ${version(diff.from.version, diff.from.spec)} → ${version(diff.to.version, diff.to.spec)}`];
  out.push(...scoreLines(diff, ctx));
  out.push(...toolLines(diff, ctx), ...scriptLines(diff, ctx), ...endpointLines(diff, ctx), ...findingLines(diff, ctx));
  if (diff.caveats.length > 0) {
    out.push('', 'Notes');
    for (const caveat of diff.caveats) out.push(`  ${ctx.paint('yellow', safe(caveat, 1000))}`);
  }
  return `${out.join('\n')}\n`;
}

export function formatDiffJson(diff: ReleaseDiff): string {
  return `${asciiJson(diff, 2)}\n`;
}
