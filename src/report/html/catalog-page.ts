import type { Verdict } from '../../core/score.js';
import { VERDICTS } from '../../core/score.js';
import { truncateText } from '../../core/text.js';
import type { CatalogEntry, CatalogPage, CatalogSort } from '../../store/catalog.js';
import { CATALOG_MAX_QUERY } from '../../store/catalog.js';
import type { Html } from './layout.js';
import { badgeHref, html, join, page, serverHref, verdictTag } from './layout.js';

export interface CatalogView {
  q: string;
  sort: CatalogSort;
  verdict?: Verdict;
}

const SORT_LABELS: Record<CatalogSort, string> = {
  name: 'Name',
  'score-asc': 'Score, lowest first',
  'score-desc': 'Score, highest first',
  recent: 'Most recently scanned',
};

/** Query string for a catalog link; only the non-default parts, so links stay short. */
export function catalogHref(view: CatalogView, pageNumber: number): string {
  const params = new URLSearchParams();
  if (view.q !== '') params.set('q', view.q);
  if (view.sort !== 'name') params.set('sort', view.sort);
  if (view.verdict !== undefined) params.set('verdict', view.verdict);
  if (pageNumber > 1) params.set('page', String(pageNumber));
  const query = params.toString();
  return query === '' ? '/' : `/?${query}`;
}

function option(value: string, label: string, selected: boolean): Html {
  return selected ? html`<option value="${value}" selected>${label}</option>` : html`<option value="${value}">${label}</option>`;
}

function searchForm(view: CatalogView): Html {
  const sorts = (Object.keys(SORT_LABELS) as CatalogSort[]).map((s) => option(s, SORT_LABELS[s], s === view.sort));
  const verdicts = [option('', 'any', view.verdict === undefined), ...VERDICTS.map((v) => option(v, v, v === view.verdict))];
  return html`<form class="search" method="get" action="/" role="search">
<label>Search by name<input type="search" name="q" value="${view.q}" maxlength="${CATALOG_MAX_QUERY}" placeholder="package name"></label>
<label>Sort<select name="sort">${sorts}</select></label>
<label>Verdict<select name="verdict">${verdicts}</select></label>
<button type="submit">Search</button>
</form>`;
}

function row(entry: CatalogEntry): Html {
  const incomplete = entry.complete ? '' : ' (incomplete)';
  return html`<tr>
<td class="name"><a href="${serverHref(entry.name)}">${truncateText(entry.name, 200)}</a></td>
<td><code>${truncateText(entry.version ?? '—', 100)}</code></td>
<td class="num">${entry.value}</td>
<td>${entry.grade}</td>
<td>${verdictTag(entry.verdict)}<span class="muted">${incomplete}</span></td>
<td class="muted">${entry.scannedAt.slice(0, 10)}</td>
<td class="num">${entry.scans}</td>
<td><img src="${badgeHref(entry.name)}" alt="badge" loading="lazy" height="20"></td>
</tr>`;
}

function pager(view: CatalogView, result: CatalogPage): Html {
  const prev = result.page > 1 ? html`<a rel="prev" href="${catalogHref(view, Math.min(result.page - 1, result.pages))}">← Previous</a>` : '';
  const next = result.page < result.pages ? html`<a rel="next" href="${catalogHref(view, result.page + 1)}">Next →</a>` : '';
  return html`<nav class="pages" aria-label="pages">${prev}<span>Page ${result.page} of ${result.pages}</span>${next}</nav>`;
}

function table(result: CatalogPage): Html {
  if (result.items.length === 0) {
    return html`<p class="empty">${result.total === 0 ? 'No scanned server matches.' : 'No servers on this page.'}</p>`;
  }
  return html`<table class="catalog">
<thead><tr><th>Server</th><th>Version</th><th class="num">Score</th><th>Grade</th><th>Verdict</th><th>Scanned</th><th class="num">Scans</th><th>Badge</th></tr></thead>
<tbody>${join(result.items.map(row))}</tbody>
</table>`;
}

export function renderCatalogPage(view: CatalogView, result: CatalogPage): string {
  const summary = `${result.total} server${result.total === 1 ? '' : 's'}${view.q === '' ? '' : ` matching “${view.q}”`}`;
  return page(
    'Catalog',
    html`<h1>Scanned MCP servers</h1>${searchForm(view)}<p class="muted" id="summary">${summary}</p>${table(result)}${pager(view, result)}`,
  );
}
