import { escapeHtml } from './escape.js';
import { STYLESHEET_PATH } from './style.js';

/** Markup that has already been escaped. Only this module's helpers and the page builders make it. */
export interface Html {
  readonly html: string;
}

export function raw(html: string): Html {
  return { html };
}

type Part = Html | string | number | undefined | null | false | readonly Part[];

function render(part: Part): string {
  if (part === undefined || part === null || part === false) return '';
  if (typeof part === 'string') return escapeHtml(part);
  if (typeof part === 'number') return String(part);
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('');
  return (part as Html).html;
}

/**
 * Tagged template for markup: every interpolated string goes through escapeHtml, whatever its context;
 * only Html values (already escaped) pass through unchanged. Attribute values must be quoted.
 */
export function html(strings: TemplateStringsArray, ...values: readonly Part[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return raw(out);
}

export function join(parts: readonly Part[]): Html {
  return raw(render(parts));
}

/** A whole document. The title is package text on server pages, so it is escaped like everything else. */
export function page(title: string, body: Html): string {
  return `<!doctype html>${
    html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><title>${title} · mcp-assay</title><link rel="stylesheet" href="${STYLESHEET_PATH}"></head><body><header class="site"><a href="/">mcp-assay catalog</a></header><main>${body}</main></body></html>`.html
  }\n`;
}

/** The path of a server's page; names may hold `/`, `@`, `?`, `#`, so they are always URL-encoded. */
export function serverHref(name: string, version?: string): string {
  const base = `/server/${encodeURIComponent(name)}`;
  return version === undefined ? base : `${base}?version=${encodeURIComponent(version)}`;
}

export function badgeHref(name: string): string {
  return `/badge/${encodeURIComponent(name)}.svg`;
}

export function verdictTag(verdict: string): Html {
  return html`<span class="verdict verdict-${verdict}">${verdict}</span>`;
}

export function errorPage(status: number, title: string, message: string): string {
  return page(title, html`<h1>${status} ${title}</h1><p>${message}</p><p><a href="/">Back to the catalog</a></p>`);
}
