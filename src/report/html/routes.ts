/**
 * The request handler behind `mcp-assay serve`: catalog and server pages, the JSON API, badges and the
 * stylesheet. It only reads the store. Every input (path, query) is bounded and checked before use, and
 * every response carries the same strict security headers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { distinctVersions } from '../diff.js';
import { AssayError, errorMessage } from '../../core/errors.js';
import type { Verdict } from '../../core/score.js';
import { VERDICTS } from '../../core/score.js';
import { truncateText } from '../../core/text.js';
import type { CatalogPage, CatalogQuery, CatalogSort } from '../../store/catalog.js';
import { CATALOG_MAX_PAGE, CATALOG_MAX_QUERY, CATALOG_SORTS } from '../../store/catalog.js';
import type { ScanHistoryEntry, StoredScan } from '../../store/index.js';
import { notScannedBadge, renderBadge, scoreBadge } from '../badge.js';
import { diffReports } from '../diff.js';
import { asciiJson } from '../json.js';
import type { CatalogView } from './catalog-page.js';
import { renderCatalogPage } from './catalog-page.js';
import { badgeHref, errorPage, serverHref } from './layout.js';
import type { ReleaseChange } from './server-page.js';
import { renderServerPage } from './server-page.js';
import { STYLESHEET, STYLESHEET_PATH } from './style.js';

/** What the handler reads. A Store with a `catalog` method satisfies it. */
export interface ServeSource {
  catalog(query: CatalogQuery): CatalogPage;
  latestScan(name: string, version?: string): StoredScan | undefined;
  scanHistory(name: string): ScanHistoryEntry[];
}

export interface HandlerOptions {
  /** Scheme, host and port the server is reached at, for absolute links in the badge snippet and API. */
  origin: string;
  /** Where unexpected failures are logged; the client only ever sees a generic message. */
  log?: (line: string) => void;
  pageSize?: number;
}

export const API_VERSION = 1;
export const MAX_URL_LENGTH = 4096;
export const MAX_NAME_LENGTH = 300;
const MAX_VERSION_LENGTH = 200;
/** Neighbouring releases compared on a server page (each pair loads two stored reports). */
export const MAX_COMPARED_RELEASES = 10;

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

const HTML = 'text/html; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const SVG = 'image/svg+xml; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

const TITLES: Record<number, string> = { 400: 'Bad request', 404: 'Not found', 405: 'Method not allowed', 414: 'URI too long', 500: 'Server error' };

function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  const body = Buffer.from(reply.body, 'utf8');
  res.statusCode = reply.status;
  for (const [key, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(key, value);
  res.setHeader('Content-Type', reply.type);
  res.setHeader('Content-Length', String(body.length));
  res.setHeader('Cache-Control', 'no-cache');
  for (const [key, value] of Object.entries(reply.headers ?? {})) res.setHeader(key, value);
  res.end(req.method === 'HEAD' ? undefined : body);
}

function failure(status: number, message: string, api: boolean): Reply {
  const title = TITLES[status] ?? 'Error';
  if (api) return { status, type: JSON_TYPE, body: `${asciiJson({ error: { status, message } }, 2)}\n` };
  return { status, type: HTML, body: errorPage(status, title, message) };
}

/** One value per parameter: a repeated one is ambiguous, so it is refused rather than guessed. */
function single(params: URLSearchParams, key: string): string | undefined {
  const all = params.getAll(key);
  if (all.length > 1) throw new HttpError(400, `give "${key}" at most once`);
  return all[0];
}

function parseSort(value: string | undefined): CatalogSort {
  if (value === undefined || value === '') return 'name';
  if ((CATALOG_SORTS as readonly string[]).includes(value)) return value as CatalogSort;
  throw new HttpError(400, `unknown sort: use one of ${CATALOG_SORTS.join(', ')}`);
}

function parseVerdict(value: string | undefined): Verdict | undefined {
  if (value === undefined || value === '') return undefined;
  if ((VERDICTS as readonly string[]).includes(value)) return value as Verdict;
  throw new HttpError(400, `unknown verdict: use one of ${VERDICTS.join(', ')}`);
}

function parsePage(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  if (!/^[0-9]{1,6}$/.test(value)) throw new HttpError(400, `page must be a whole number from 1 to ${CATALOG_MAX_PAGE}`);
  const page = Number(value);
  if (page < 1 || page > CATALOG_MAX_PAGE) throw new HttpError(400, `page must be a whole number from 1 to ${CATALOG_MAX_PAGE}`);
  return page;
}

function parseQuery(value: string | undefined): string {
  const q = value ?? '';
  if (q.length > CATALOG_MAX_QUERY) throw new HttpError(400, `search text is longer than ${CATALOG_MAX_QUERY} characters`);
  return q.trim();
}

export function parseCatalogParams(params: URLSearchParams): CatalogView & { page: number } {
  const view: CatalogView & { page: number } = {
    q: parseQuery(single(params, 'q')),
    sort: parseSort(single(params, 'sort')),
    page: parsePage(single(params, 'page')),
  };
  const verdict = parseVerdict(single(params, 'verdict'));
  if (verdict !== undefined) view.verdict = verdict;
  return view;
}

function catalogQuery(view: CatalogView & { page: number }, pageSize: number): CatalogQuery {
  const query: CatalogQuery = { sort: view.sort, page: view.page, pageSize };
  if (view.q !== '') query.q = view.q;
  if (view.verdict !== undefined) query.verdict = view.verdict;
  return query;
}

/** The package name from the rest of a path: URL-decoded, so `@scope%2Fname` and `@scope/name` both work. */
export function nameFromPath(rest: string): string {
  let name: string;
  try {
    name = decodeURIComponent(rest);
  } catch {
    throw new HttpError(400, 'the package name in the path is not valid URL encoding');
  }
  if (name === '') throw new HttpError(404, 'no package name given');
  if (name.length > MAX_NAME_LENGTH) throw new HttpError(400, `package names are at most ${MAX_NAME_LENGTH} characters`);
  return name;
}

function versionParam(params: URLSearchParams): string | undefined {
  const version = single(params, 'version');
  if (version === undefined || version === '') return undefined;
  if (version.length > MAX_VERSION_LENGTH) throw new HttpError(400, `versions are at most ${MAX_VERSION_LENGTH} characters`);
  return version;
}

/**
 * Each pair of neighbouring stored releases, newest first. A report that cannot be read becomes a
 * change with its reason: one damaged scan must not take the whole page down.
 */
export function releaseChanges(source: ServeSource, name: string, history: readonly ScanHistoryEntry[]): ReleaseChange[] {
  const versions = distinctVersions(history).slice(0, MAX_COMPARED_RELEASES + 1);
  const loaded = new Map<string, StoredScan | Error>();
  const load = (version: string): StoredScan | Error => {
    let scan = loaded.get(version);
    if (scan === undefined) {
      try {
        scan = source.latestScan(name, version) ?? new Error(`no stored scan of ${version}`);
      } catch (error) {
        scan = new Error(errorMessage(error));
      }
      loaded.set(version, scan);
    }
    return scan;
  };
  const out: ReleaseChange[] = [];
  for (let i = 0; i + 1 < versions.length; i += 1) {
    const to = versions[i] as string;
    const from = versions[i + 1] as string;
    const older = load(from);
    const newer = load(to);
    if (older instanceof Error || newer instanceof Error) {
      out.push({ from, to, error: truncateText((older instanceof Error ? older : (newer as Error)).message, 500) });
      continue;
    }
    out.push({ from, to, diff: diffReports(older.report, newer.report) });
  }
  return out;
}

interface Ctx {
  source: ServeSource;
  origin: string;
  pageSize: number;
}

function catalogJson(ctx: Ctx, params: URLSearchParams): Reply {
  const result = ctx.source.catalog(catalogQuery(parseCatalogParams(params), ctx.pageSize));
  const items = result.items.map((entry) => ({
    name: entry.name,
    ...(entry.version === undefined ? {} : { version: entry.version }),
    scannedAt: entry.scannedAt,
    scans: entry.scans,
    score: { value: entry.value, grade: entry.grade, verdict: entry.verdict, complete: entry.complete },
    links: { page: `${ctx.origin}${serverHref(entry.name)}`, api: `${ctx.origin}/api/servers/${encodeURIComponent(entry.name)}`, badge: `${ctx.origin}${badgeHref(entry.name)}` },
  }));
  const body = { apiVersion: API_VERSION, total: result.total, page: result.page, pageSize: result.pageSize, pages: result.pages, items };
  return { status: 200, type: JSON_TYPE, body: `${asciiJson(body, 2)}\n` };
}

function findServer(ctx: Ctx, name: string, version: string | undefined): { scan: StoredScan; history: ScanHistoryEntry[] } {
  const scan = ctx.source.latestScan(name, version);
  if (scan === undefined) {
    throw new HttpError(404, version === undefined ? `no stored scan of ${name}` : `no stored scan of ${name} version ${version}`);
  }
  return { scan, history: ctx.source.scanHistory(name) };
}

function serverJson(ctx: Ctx, name: string, params: URLSearchParams): Reply {
  const { scan, history } = findServer(ctx, name, versionParam(params));
  const body = {
    apiVersion: API_VERSION,
    name,
    scanId: scan.scanId,
    report: scan.report,
    history,
    changes: releaseChanges(ctx.source, name, history),
  };
  return { status: 200, type: JSON_TYPE, body: `${asciiJson(body, 2)}\n` };
}

function serverHtml(ctx: Ctx, name: string, params: URLSearchParams): Reply {
  const { scan, history } = findServer(ctx, name, versionParam(params));
  const body = renderServerPage({ name, scan, history, changes: releaseChanges(ctx.source, name, history), origin: ctx.origin });
  return { status: 200, type: HTML, body };
}

function badge(ctx: Ctx, rest: string): Reply {
  const name = nameFromPath(rest);
  const scan = ctx.source.latestScan(name);
  // Badges are embedded on other sites, so they may be loaded cross-origin; a short cache keeps them fresh.
  const headers = { 'Cache-Control': 'max-age=300', 'Cross-Origin-Resource-Policy': 'cross-origin' };
  if (scan === undefined) return { status: 404, type: SVG, body: renderBadge(notScannedBadge(name)), headers };
  return { status: 200, type: SVG, body: renderBadge(scoreBadge(name, scan.report.score)), headers };
}

function route(ctx: Ctx, url: URL): Reply {
  const path = url.pathname;
  const params = url.searchParams;
  if (path === '/') {
    const view = parseCatalogParams(params);
    return { status: 200, type: HTML, body: renderCatalogPage(view, ctx.source.catalog(catalogQuery(view, ctx.pageSize))) };
  }
  if (path === STYLESHEET_PATH) return { status: 200, type: CSS, body: STYLESHEET, headers: { 'Cache-Control': 'max-age=3600' } };
  if (path === '/api/servers') return catalogJson(ctx, params);
  if (path.startsWith('/api/servers/')) return serverJson(ctx, nameFromPath(path.slice('/api/servers/'.length)), params);
  if (path.startsWith('/server/')) return serverHtml(ctx, nameFromPath(path.slice('/server/'.length)), params);
  if (path.startsWith('/badge/') && path.endsWith('.svg')) return badge(ctx, path.slice('/badge/'.length, -'.svg'.length));
  throw new HttpError(404, 'no such page');
}

function isApi(rawUrl: string): boolean {
  return rawUrl.startsWith('/api/');
}

/** The node:http request listener. It never throws: every failure becomes a status page. */
export function createHandler(source: ServeSource, options: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const ctx: Ctx = { source, origin: options.origin, pageSize: options.pageSize ?? 50 };
  return (req, res) => {
    const rawUrl = req.url ?? '/';
    const api = isApi(rawUrl);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(req, res, { ...failure(405, 'only GET and HEAD are served', api), headers: { Allow: 'GET, HEAD' } });
      return;
    }
    if (rawUrl.length > MAX_URL_LENGTH) {
      send(req, res, failure(414, `URLs are at most ${MAX_URL_LENGTH} characters`, api));
      return;
    }
    try {
      // Only the path and query are used; the base is a placeholder, the Host header is never trusted.
      const url = new URL(rawUrl.startsWith('/') ? rawUrl : `/${rawUrl}`, 'http://serve.invalid');
      send(req, res, route(ctx, url));
    } catch (error) {
      send(req, res, replyForError(error, api, options.log));
    }
  };
}

function replyForError(error: unknown, api: boolean, log: ((line: string) => void) | undefined): Reply {
  if (error instanceof HttpError) return failure(error.status, error.message, api);
  if (error instanceof AssayError && error.category === 'usage') return failure(400, error.message, api);
  log?.(`serve: ${error instanceof AssayError ? error.message : `internal error: ${errorMessage(error)}`}`);
  return failure(500, 'the store could not answer this request; see the server log', api);
}
