import type { DiffFindingRef, ToolChange } from '../diff.js';
import type { Html } from './layout.js';
import { html, join, raw, verdictTag } from './layout.js';
import { locationText, shown } from './parts.js';
import type { ReleaseChange } from './server-page.js';

const MAX_ITEMS = 50;
const MAX_TEXT = 4000;

function more(listed: number, total: number): Html {
  return total > listed ? html`<li class="muted">… and ${total - listed} more</li>` : raw('');
}

function toolChange(change: ToolChange): Html {
  const what = [change.description && 'description', change.title && 'title', change.parameters.length > 0 && 'parameters', change.annotations.length > 0 && 'annotations']
    .filter(Boolean)
    .join(', ');
  const rug = change.possibleRugPull ? html` <strong class="removed">possible rug pull</strong>` : '';
  const description = change.description;
  return html`<li><code>${shown(change.name)}</code>: ${what} changed${rug}${change.why === undefined ? '' : html`<br><span class="muted">${shown(change.why, 1000)}</span>`}
${description === undefined ? '' : html`${description.inserted === '' ? '' : html`<div>added text: <span class="text added">${shown(description.inserted, MAX_TEXT)}</span></div>`}${
    description.deleted === '' ? '' : html`<div>removed text: <span class="text removed">${shown(description.deleted, MAX_TEXT)}</span></div>`
  }`}
${join(change.parameters.slice(0, MAX_ITEMS).map((p) => html`<div>parameter <code>${shown(p.name)}</code> ${p.change}${p.to?.description === undefined ? '' : html`: <span class="text">${shown(p.to.description, MAX_TEXT)}</span>`}</div>`))}
</li>`;
}

function findingRef(sign: string, ref: DiffFindingRef): Html {
  const location = locationText(ref.location);
  return html`<li>${sign} <span class="sev-${ref.severity}">${ref.severity}</span> <span class="kind-${ref.kind}">${ref.kind}</span> <code>${ref.ruleId}</code> ${shown(ref.title)}${
    location === '' ? '' : html` <code>${shown(location, 500)}</code>`
  }${ref.evidence === undefined ? '' : html` <code>${shown(ref.evidence, 400)}</code>`}</li>`;
}

function section(title: string, items: readonly Html[]): Html {
  if (items.length === 0) return raw('');
  return html`<h4>${title}</h4><ul>${join(items)}</ul>`;
}

function oneChange(change: ReleaseChange): Html {
  const heading = html`<h3>${shown(change.from, 100)} → ${shown(change.to, 100)}</h3>`;
  const diff = change.diff;
  if (diff === undefined) return html`${heading}<p class="warn">Cannot compare these releases: ${shown(change.error ?? 'unknown reason', 500)}</p>`;
  const { counts } = diff;
  const delta = diff.score.delta > 0 ? `+${diff.score.delta}` : String(diff.score.delta);
  const scoreLine = html`<p>Score ${diff.from.score.value} ${verdictTag(diff.from.score.verdict)} → ${diff.to.score.value} ${verdictTag(diff.to.score.verdict)} (${delta}${
    diff.score.verdictWorse ? ', verdict worse' : diff.score.verdict === 'better' ? ', verdict better' : ''
  })</p>`;
  const tools = [
    ...diff.tools.changed.slice(0, MAX_ITEMS).map(toolChange),
    more(Math.min(diff.tools.changed.length, MAX_ITEMS), counts.toolsChanged),
    ...diff.tools.added.slice(0, MAX_ITEMS).map((t) => html`<li class="added">+ <code>${shown(t.name)}</code> <span class="text">${shown(t.description, MAX_TEXT)}</span></li>`),
    more(Math.min(diff.tools.added.length, MAX_ITEMS), counts.toolsAdded),
    ...diff.tools.removed.slice(0, MAX_ITEMS).map((t) => html`<li class="removed">− <code>${shown(t.name)}</code></li>`),
    more(Math.min(diff.tools.removed.length, MAX_ITEMS), counts.toolsRemoved),
  ];
  const scripts = [
    ...diff.installScripts.added.map((s) => html`<li class="removed">+ <code>${shown(s.name)}</code>: <code>${shown(s.command, MAX_TEXT)}</code></li>`),
    ...diff.installScripts.changed.map((s) => html`<li>~ <code>${shown(s.name)}</code>: <code>${shown(s.from, MAX_TEXT)}</code> → <code>${shown(s.to, MAX_TEXT)}</code></li>`),
    ...diff.installScripts.removed.map((s) => html`<li>− <code>${shown(s.name)}</code>: <code>${shown(s.command, MAX_TEXT)}</code></li>`),
  ].slice(0, MAX_ITEMS);
  const endpoints = [
    ...diff.endpoints.added.slice(0, MAX_ITEMS).map((e) => html`<li>+ <code>${shown(e.host)}</code> <span class="muted">${e.ruleIds.join(', ')}</span></li>`),
    ...diff.endpoints.removed.slice(0, MAX_ITEMS).map((e) => html`<li>− <code>${shown(e.host)}</code></li>`),
  ];
  const findings = [
    ...diff.findings.added.slice(0, MAX_ITEMS).map((f) => findingRef('+', f)),
    more(Math.min(diff.findings.added.length, MAX_ITEMS), counts.findingsAdded),
    ...diff.findings.resolved.slice(0, MAX_ITEMS).map((f) => findingRef('−', f)),
    more(Math.min(diff.findings.resolved.length, MAX_ITEMS), counts.findingsResolved),
  ];
  const nothing =
    counts.toolsAdded + counts.toolsRemoved + counts.toolsChanged + counts.endpointsAdded + counts.endpointsRemoved + counts.findingsAdded + counts.findingsResolved === 0 &&
    scripts.length === 0;
  return html`<section class="change">${heading}${scoreLine}${nothing ? html`<p class="muted">No change in tools, install scripts, endpoints or findings.</p>` : ''}
${section(`Tools (+${counts.toolsAdded} −${counts.toolsRemoved} ~${counts.toolsChanged})`, counts.toolsAdded + counts.toolsRemoved + counts.toolsChanged === 0 ? [] : tools)}
${section('Install scripts', scripts)}
${section(`Endpoints (+${counts.endpointsAdded} −${counts.endpointsRemoved})`, endpoints)}
${section(`Findings (+${counts.findingsAdded} −${counts.findingsResolved})`, counts.findingsAdded + counts.findingsResolved === 0 ? [] : findings)}
${diff.caveats.length === 0 ? '' : html`<p class="warn">${join(diff.caveats.map((c) => html`${shown(c, 1000)}<br>`))}</p>`}
</section>`;
}

/** What changed between each pair of neighbouring releases, newest first. */
export function renderChanges(changes: readonly ReleaseChange[]): Html {
  if (changes.length === 0) return html`<h2>What changed between releases</h2><p class="muted">Only one release is stored, so there is nothing to compare yet.</p>`;
  return html`<h2>What changed between releases</h2>${join(changes.map(oneChange))}`;
}
