import type { Finding } from '../../core/finding.js';
import type { Report, ReportAnalyzer, ReportTool } from '../../core/report.js';
import type { BreakdownEntry } from '../../core/score.js';
import type { ScanHistoryEntry, StoredScan } from '../../store/index.js';
import type { ReleaseDiff } from '../diff.js';
import { countInvisible } from './escape.js';
import type { Html } from './layout.js';
import { badgeHref, html, join, page, raw, serverHref, verdictTag } from './layout.js';
import { renderChanges } from './changes.js';
import { locationText, shown } from './parts.js';

/** What changed between two neighbouring releases; `error` when one side could not be read. */
export interface ReleaseChange {
  from: string;
  to: string;
  diff?: ReleaseDiff;
  error?: string;
}

export interface ServerView {
  name: string;
  scan: StoredScan;
  history: readonly ScanHistoryEntry[];
  changes: readonly ReleaseChange[];
  /** Where this server is reached, for the badge snippet, e.g. `http://127.0.0.1:8080`. */
  origin: string;
}

const MAX_TEXT = 10_000;
const MAX_SHORT = 300;
export const MAX_LISTED = 500;

function hiddenNote(text: string, what: string): Html {
  const n = countInvisible(text);
  if (n === 0) return raw('');
  return html`<p class="alert">${what} holds ${n} invisible or control character${n === 1 ? '' : 's'}, shown here as ⟨U+…⟩ markers.</p>`;
}

function more(shownCount: number, total: number, what: string): Html {
  return total > shownCount ? html`<p class="muted">… and ${total - shownCount} more ${what} (see the JSON API).</p>` : raw('');
}

function header(view: ServerView): Html {
  const { report } = view.scan;
  const { score, target } = report;
  const incomplete = score.complete
    ? ''
    : html`<p class="warn">The analysis was incomplete (an analyzer failed, timed out, or a size cap cut the files): what was not seen is not scored.</p>`;
  return html`<h1>${shown(view.name)}</h1>
<p><span class="score">${score.value}</span><span class="grade">Grade ${score.grade}</span>${verdictTag(score.verdict)}</p>
${incomplete}
<table class="facts"><tbody>
<tr><th>Version</th><td><code>${shown(target.version ?? '—', MAX_SHORT)}</code></td></tr>
<tr><th>Target</th><td><code>${shown(target.spec, MAX_SHORT)}</code> <span class="muted">(${target.kind})</span></td></tr>
${target.integrity === undefined ? '' : html`<tr><th>Integrity</th><td><code>${shown(target.integrity)}</code></td></tr>`}
${target.commit === undefined ? '' : html`<tr><th>Commit</th><td><code>${shown(target.commit)}</code></td></tr>`}
<tr><th>Scanned</th><td>${report.scannedAt} <span class="muted">by mcp-assay ${shown(report.tool.version, 50)}</span></td></tr>
<tr><th>Files</th><td>${report.files.count} files, ${report.files.bytes} bytes${report.files.incomplete ? ' (cut by a size cap)' : ''}${report.files.binaries.length > 0 ? `, ${report.files.binaries.length} binaries` : ''}</td></tr>
</tbody></table>`;
}

function badge(view: ServerView): Html {
  const image = `${view.origin}${badgeHref(view.name)}`;
  const link = `${view.origin}${serverHref(view.name)}`;
  return html`<h2>Badge</h2><p><img src="${badgeHref(view.name)}" alt="mcp-assay badge" height="20"></p>
<pre><code>[![mcp-assay](${image})](${link})</code></pre>`;
}

function breakdownRow(entry: BreakdownEntry): Html {
  const findings = entry.findings.slice(0, 50).map((fp, i) => html`${i > 0 ? ', ' : ''}<a href="#f-${fp}"><code>${fp.slice(0, 8)}</code></a>`);
  const analyzers = (entry.analyzers ?? []).join(', ');
  return html`<tr><td>${shown(entry.reason, 1000)}</td><td><code>${entry.ruleId ?? ''}</code></td><td class="num">${entry.points > 0 ? `−${entry.points}` : '0'}</td>
<td class="num">${entry.cap ?? ''}</td><td>${entry.verdict ?? ''}</td><td>${findings}${analyzers === '' ? '' : html`<span class="muted">${analyzers}</span>`}</td></tr>`;
}

function breakdown(report: Report): Html {
  if (report.score.breakdown.length === 0) return html`<h2>Score breakdown</h2><p>Nothing took points off: no finding counted against this server.</p>`;
  return html`<h2>Score breakdown</h2><table class="breakdown"><thead><tr><th>Reason</th><th>Rule</th><th class="num">Points</th><th class="num">Cap</th><th>Verdict</th><th>Findings</th></tr></thead>
<tbody>${join(report.score.breakdown.slice(0, MAX_LISTED).map(breakdownRow))}</tbody></table>`;
}

function findingBlock(finding: Finding, index: number): Html {
  const location = locationText(finding.location);
  return html`<tr id="${index === 0 ? `f-${finding.fingerprint}` : `f-${finding.fingerprint}-${index}`}">
<td class="sev-${finding.severity}">${finding.severity}</td><td class="kind-${finding.kind}">${finding.kind}</td>
<td><code>${finding.ruleId}</code><br><strong>${shown(finding.title)}</strong>${finding.message === undefined ? '' : html`<br>${shown(finding.message, 1000)}`}${
    finding.declaredBy === undefined ? '' : html`<br><span class="muted">declared by tool ${shown(finding.declaredBy)}</span>`
  }</td>
<td>${location === '' ? html`<span class="muted">—</span>` : html`<code>${shown(location, 500)}</code>`}</td>
<td>${finding.evidence === undefined ? '' : html`<code class="text">${shown(finding.evidence, 1000)}</code>`}</td>
</tr>`;
}

function findings(report: Report): Html {
  const list = report.findings;
  if (list.length === 0) return html`<h2>Findings</h2><p>No findings.</p>`;
  const seen = new Map<string, number>();
  const rows = list.slice(0, MAX_LISTED).map((f) => {
    const n = seen.get(f.fingerprint) ?? 0;
    seen.set(f.fingerprint, n + 1);
    return findingBlock(f, n);
  });
  return html`<h2>Findings (${list.length})</h2><table class="findings"><thead><tr><th>Severity</th><th>Kind</th><th>Rule and title</th><th>Location</th><th>Evidence</th></tr></thead>
<tbody>${join(rows)}</tbody></table>${more(MAX_LISTED, list.length, 'findings')}`;
}

function parameters(tool: ReportTool): Html {
  const list = tool.parameters ?? [];
  if (list.length === 0) return raw('');
  const rows = list.slice(0, 100).map(
    (p) => html`<tr><td><code>${shown(p.name)}</code></td><td>${shown(p.type ?? '')}</td><td>${p.required === true ? 'required' : ''}</td><td>${
      p.description === undefined ? '' : html`<span class="text">${shown(p.description, MAX_TEXT)}</span>`
    }</td></tr>`,
  );
  return html`<table class="params"><thead><tr><th>Parameter</th><th>Type</th><th></th><th>Description</th></tr></thead><tbody>${join(rows)}</tbody></table>${more(100, list.length, 'parameters')}`;
}

function toolBlock(tool: ReportTool): Html {
  const paramText = (tool.parameters ?? []).map((p) => `${p.name}${p.description ?? ''}`).join('');
  const annotations = Object.entries(tool.annotations ?? {}).slice(0, 50);
  return html`<div class="tool"><h3><code>${shown(tool.name)}</code>${tool.title === undefined ? '' : html` <span class="muted">${shown(tool.title)}</span>`}</h3>
<p class="muted">from ${tool.source === 'sandbox' ? 'tools/list in the sandbox' : 'the code (static)'}${tool.location === undefined ? '' : html`, <code>${shown(locationText(tool.location), 500)}</code>`}</p>
${hiddenNote(`${tool.name}${tool.description}${paramText}`, 'This tool’s text')}
<div class="text description">${shown(tool.description, MAX_TEXT)}</div>
${parameters(tool)}
${annotations.length === 0 ? '' : html`<p class="muted">annotations: ${annotations.map(([k, v]) => html`<code>${shown(k)}=${shown(String(v))}</code> `)}</p>`}
</div>`;
}

function tools(report: Report): Html {
  const list = report.tools;
  if (list.length === 0) return html`<h2>Tool surface</h2><p>No tools were found.</p>`;
  return html`<h2>Tool surface (${list.length})</h2><p class="muted">Exactly what the model reads. Invisible, control and bidi characters are shown as ⟨U+…⟩ markers.</p>
${join(list.slice(0, MAX_LISTED).map(toolBlock))}${more(MAX_LISTED, list.length, 'tools')}`;
}

function analyzerRow(run: ReportAnalyzer): Html {
  return html`<tr><td><code>${run.id}</code> v${run.version}</td><td>${run.status}</td><td>${shown(run.reason ?? '', 1000)}</td><td class="num">${Math.round(run.durationMs)} ms</td><td class="num">${run.errors.length}</td></tr>`;
}

function analyzers(report: Report): Html {
  return html`<h2>Analyzers</h2><table><thead><tr><th>Analyzer</th><th>Status</th><th>Reason</th><th class="num">Time</th><th class="num">Errors</th></tr></thead>
<tbody>${join(report.analyzers.slice(0, 100).map(analyzerRow))}</tbody></table>`;
}

function historyRow(name: string, entry: ScanHistoryEntry, current: number): Html {
  const version = entry.version === undefined ? html`<span class="muted">—</span>` : html`<a href="${serverHref(name, entry.version)}"><code>${shown(entry.version, 100)}</code></a>`;
  return html`<tr${entry.scanId === current ? raw(' class="current"') : ''}><td>${version}</td><td>${entry.scannedAt}</td><td class="num">${entry.value}</td><td>${entry.grade}</td><td>${verdictTag(entry.verdict)}</td></tr>`;
}

function history(view: ServerView): Html {
  const rows = view.history.slice(0, 100).map((h) => historyRow(view.name, h, view.scan.scanId));
  return html`<h2>Version history</h2><table class="history"><thead><tr><th>Version</th><th>Scanned</th><th class="num">Score</th><th>Grade</th><th>Verdict</th></tr></thead>
<tbody>${join(rows)}</tbody></table>${more(100, view.history.length, 'scans')}${renderChanges(view.changes)}`;
}

export function renderServerPage(view: ServerView): string {
  const { report } = view.scan;
  return page(view.name, join([header(view), breakdown(report), findings(report), tools(report), analyzers(report), history(view), badge(view)]));
}
