import semver from 'semver';
import { z } from 'zod';
import { errorMessage } from '../core/errors.js';
import { escapeTerminal, truncateText } from '../core/text.js';
import { endStatusFor, failureReason, fetchJson, isHttpUrl, joinUrl, type HttpFailure, type HttpRequestOptions, type RetryPolicy } from './http.js';
import type { HarvestItem, HarvestSource, NpmVersionMeta, SourceEnd, SourceOptions } from './source.js';
import { parseNpmSpec } from './spec.js';

export const DEFAULT_NPM_KEYWORDS: readonly string[] = Object.freeze(['mcp', 'modelcontextprotocol', 'mcp-server']);
export const NPM_SEARCH_MAX_BYTES = 4 * 1024 * 1024;
export const NPM_PACKUMENT_MAX_BYTES = 16 * 1024 * 1024;
export const DEFAULT_NPM_PAGE_SIZE = 100;
export const DEFAULT_MAX_PAGES = 1000;
/**
 * Packument requests in flight while listing names. Over HTTP/2 they are streams of one connection; a registry that speaks only
 * HTTP/1.1 gets at most 16 of them at a time (http2.ts), as more connections than about 20 stalled for seconds.
 */
export const DEFAULT_NPM_LOOKUP_CONCURRENCY = 64;
/** Longest name npm has ever allowed; anything longer is not worth a request. */
const MAX_NAME_LENGTH = 214;

export interface NpmSourceConfig {
  /** Registry base URL, from flags or npm config; never hard-coded. */
  registry: string;
  /** Search keywords; omitted means the defaults, an empty list means no search. */
  keywords?: readonly string[];
  /** Explicit package names, looked up before any search. */
  names?: readonly string[];
  pageSize?: number;
  /** Search pages over all keywords; the listing ends `truncated` here. */
  maxPages?: number;
  versions?: 'latest';
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  searchMaxBytes?: number;
  packumentMaxBytes?: number;
  /** Packument requests in flight at once (1–64). */
  lookupConcurrency?: number;
}

const SearchObjectSchema = z.object({
  package: z.object({
    name: z.string().max(1024),
    version: z.string().max(256).optional(),
    date: z.string().max(64).optional(),
  }),
});
const SearchPageSchema = z.object({
  objects: z.array(z.unknown()).max(10_000),
  total: z.number().int().nonnegative().optional(),
});

const PackumentSchema = z.object({
  name: z.string().max(1024).optional(),
  'dist-tags': z.record(z.string(), z.unknown()).optional(),
  versions: z.record(z.string(), z.unknown()).optional(),
  time: z.record(z.string(), z.unknown()).optional(),
  maintainers: z.unknown().optional(),
});
const VersionSchema = z.object({
  dist: z.object({ integrity: z.unknown().optional(), tarball: z.unknown().optional() }).optional(),
  deprecated: z.unknown().optional(),
  maintainers: z.unknown().optional(),
});
const MaintainerSchema = z.union([z.string(), z.object({ name: z.string() })]);

interface Candidate {
  name: string;
  /** The search result's publish date of the latest version, when it came from a search. */
  date?: string;
}

interface Counters {
  pages: number;
  items: number;
}

type ListingEnd = Pick<SourceEnd, 'status' | 'reason'>;

type Lookup = { kind: 'item'; item: HarvestItem } | { kind: 'skip'; message: string } | { kind: 'stop'; end: ListingEnd };

interface PendingLookup {
  lookup: Promise<Lookup>;
  /** Answered, waiting for its turn in listing order. */
  settled: boolean;
}

/** Answers kept waiting behind a slow one, in windows of `lookupConcurrency`: bounds memory and wasted requests after a stop. */
const LOOKAHEAD_WINDOWS = 4;

function pendingLookup(lookup: Promise<Lookup>): PendingLookup {
  const entry: PendingLookup = { lookup, settled: false };
  void lookup.then(() => {
    entry.settled = true;
  });
  return entry;
}

/** npm packages found by keyword search and/or named explicitly; latest version of each. */
export function npmSource(config: NpmSourceConfig): HarvestSource {
  return { id: 'npm', list: (options) => listNpm(config, options) };
}

/** Whether `name` is a bare npm package name (no version, no other spec type); the reason when not. */
export function npmNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return `package name length ${name.length} is out of range`;
  try {
    const spec = parseNpmSpec(name);
    if (spec.name !== name || spec.type !== 'tag' || spec.fetchSpec !== 'latest') return 'not a bare package name';
    return undefined;
  } catch (error) {
    return escapeTerminal(truncateText(errorMessage(error).split('\n', 1)[0] ?? 'invalid package name', 300));
  }
}

/** The packument path segment as the npm client writes it: the scope's slash escaped. */
export function escapePackageName(name: string): string {
  return name.startsWith('@') ? name.replace('/', '%2f') : name;
}

async function* listNpm(config: NpmSourceConfig, options: SourceOptions): AsyncGenerator<HarvestItem, SourceEnd, undefined> {
  const counters: Counters = { pages: 0, items: 0 };
  const end = (e: ListingEnd): SourceEnd => ({ ...e, pages: counters.pages, items: counters.items });
  const names = candidates(config, options, counters);
  const window = clampInt(config.lookupConcurrency ?? DEFAULT_NPM_LOOKUP_CONCURRENCY, 1, 64);
  // Packuments are pure I/O: `window` requests are in flight while items are yielded in listing order. A slow
  // head does not hold the window: answers behind it wait (up to LOOKAHEAD_WINDOWS windows) while new requests go out.
  const pending: PendingLookup[] = [];
  const inFlight = (): PendingLookup[] => pending.filter((p) => !p.settled);
  let listed: ListingEnd | undefined;
  const mayList = (): boolean =>
    listed === undefined && pending.length < window * LOOKAHEAD_WINDOWS && (options.limit === undefined || counters.items + pending.length < options.limit);
  const refill = async (): Promise<void> => {
    while (mayList() && inFlight().length < window) {
      const next = await names.next();
      if (next.done === true) {
        listed = next.value;
        return;
      }
      if (isBefore(next.value.date, options.since)) continue;
      const { name } = next.value;
      pending.push(pendingLookup(lookUp(name, config, options).catch((error: unknown): Lookup => ({ kind: 'skip', message: `npm: skipped ${show(name)}: ${errorMessage(error)}` }))));
    }
  };
  try {
    for (;;) {
      if (options.limit !== undefined && counters.items >= options.limit) return end({ status: 'limit', reason: `stopped after ${options.limit} items` });
      if (options.signal.aborted) return end({ status: 'aborted', reason: 'listing aborted' });
      const head = pending[0];
      // An answered head is dealt with before anything new is requested: a stop must not be looked past.
      if (head?.settled === true) {
        pending.shift();
        const found = await head.lookup;
        if (found.kind === 'stop') return end(found.end);
        if (found.kind === 'skip') {
          options.onWarning?.(found.message);
          continue;
        }
        counters.items++;
        await refill();
        yield found.item;
        continue;
      }
      await refill();
      if (pending.length === 0) return end(listed ?? { status: 'complete' });
      // Whichever answers first frees a place in the window; the head keeps its turn. Everything may have been
      // answered while the listing was read (a search page), and a race of nothing would never end.
      const waiting = inFlight();
      if (waiting.length > 0) await Promise.race(waiting.map((p) => p.lookup));
    }
  } finally {
    await names.return({ status: 'aborted' });
  }
}

function isBefore(date: string | undefined, since: Date | undefined): boolean {
  if (date === undefined || since === undefined) return false;
  const time = Date.parse(date);
  return !Number.isNaN(time) && time < since.getTime();
}

function requestOptions(config: NpmSourceConfig, options: SourceOptions, maxBytes: number): HttpRequestOptions {
  const request: HttpRequestOptions = { signal: options.signal, maxBytes };
  if (options.fetch !== undefined) request.fetch = options.fetch;
  if (options.onWarning !== undefined) request.onWarning = options.onWarning;
  if (config.timeoutMs !== undefined) request.timeoutMs = config.timeoutMs;
  if (config.retry !== undefined) request.retry = config.retry;
  return request;
}

/** Explicit names first, then each keyword's search pages; every name once. */
async function* candidates(config: NpmSourceConfig, options: SourceOptions, counters: Counters): AsyncGenerator<Candidate, ListingEnd, undefined> {
  const seen = new Set<string>();
  for (const name of config.names ?? []) {
    if (seen.has(name)) continue;
    seen.add(name);
    const problem = npmNameProblem(name);
    if (problem !== undefined) {
      options.onWarning?.(`npm: skipped ${show(name)}: ${problem}`);
      continue;
    }
    yield { name };
  }
  const pageSize = clampInt(config.pageSize ?? DEFAULT_NPM_PAGE_SIZE, 1, 250);
  const maxPages = Math.max(1, config.maxPages ?? DEFAULT_MAX_PAGES);
  for (const keyword of config.keywords ?? DEFAULT_NPM_KEYWORDS) {
    for (let from = 0; ; ) {
      if (counters.pages >= maxPages) return { status: 'truncated', reason: `search stopped at the page cap (${maxPages} pages)` };
      const page = await searchPage(config, options, keyword, from, pageSize);
      if (!page.ok) return page.end;
      counters.pages++;
      for (const entry of page.entries) {
        if (seen.has(entry.name)) continue;
        seen.add(entry.name);
        yield entry;
      }
      from += page.count;
      if (page.count === 0 || page.count < pageSize || (page.total !== undefined && from >= page.total)) break;
    }
  }
  return { status: 'complete' };
}

function clampInt(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(value)));
}

type SearchPage = { ok: true; entries: Candidate[]; count: number; total?: number } | { ok: false; end: ListingEnd };

async function searchPage(config: NpmSourceConfig, options: SourceOptions, keyword: string, from: number, size: number): Promise<SearchPage> {
  const query = `?text=${encodeURIComponent(`keywords:${keyword}`)}&size=${size}&from=${from}`;
  const url = joinUrl(config.registry, `/-/v1/search${query}`);
  const result = await fetchJson(url, requestOptions(config, options, config.searchMaxBytes ?? NPM_SEARCH_MAX_BYTES));
  if (!result.ok) return { ok: false, end: listingFailure(result.failure) };
  const parsed = SearchPageSchema.safeParse(result.value);
  // A page we cannot read means we do not know what the rest of the listing holds: failing says so.
  if (!parsed.success) return { ok: false, end: { status: 'failed', reason: `${url}: not an npm search result` } };
  const entries: Candidate[] = [];
  for (const raw of parsed.data.objects) {
    const entry = SearchObjectSchema.safeParse(raw);
    if (!entry.success) {
      options.onWarning?.(`npm search: skipped a malformed result on the page at ${from}`);
      continue;
    }
    const { name, date } = entry.data.package;
    const problem = npmNameProblem(name);
    if (problem !== undefined) {
      options.onWarning?.(`npm search: skipped ${show(name)}: ${problem}`);
      continue;
    }
    entries.push(date === undefined ? { name } : { name, date });
  }
  const page: SearchPage = { ok: true, entries, count: parsed.data.objects.length };
  if (parsed.data.total !== undefined) page.total = parsed.data.total;
  return page;
}

function listingFailure(failure: HttpFailure): ListingEnd {
  return { status: endStatusFor(failure), reason: failureReason(failure) };
}

async function lookUp(name: string, config: NpmSourceConfig, options: SourceOptions): Promise<Lookup> {
  const url = joinUrl(config.registry, `/${escapePackageName(name)}`);
  const result = await fetchJson(url, requestOptions(config, options, config.packumentMaxBytes ?? NPM_PACKUMENT_MAX_BYTES));
  if (!result.ok) {
    const { failure } = result;
    if (failure.kind === 'aborted') return { kind: 'stop', end: { status: 'aborted', reason: failure.message } };
    // The registry is unreachable or overloaded for good: later packuments would fail the same way.
    if (failure.transient) return { kind: 'stop', end: { status: 'failed', reason: failureReason(failure) } };
    return { kind: 'skip', message: `npm: skipped ${name}: ${failure.message}` };
  }
  return fromPackument(name, result.value, options);
}

function fromPackument(name: string, body: unknown, options: SourceOptions): Lookup {
  const parsed = PackumentSchema.safeParse(body);
  if (!parsed.success) return { kind: 'skip', message: `npm: skipped ${name}: not a packument` };
  const doc = parsed.data;
  if (doc.name !== undefined && doc.name !== name) return { kind: 'skip', message: `npm: skipped ${name}: the packument is for another package` };
  const latest = doc['dist-tags']?.latest;
  if (typeof latest !== 'string' || semver.valid(latest) === null) return { kind: 'skip', message: `npm: skipped ${name}: no valid latest version` };
  const version = VersionSchema.safeParse(doc.versions?.[latest]);
  if (!version.success || doc.versions?.[latest] === undefined) return { kind: 'skip', message: `npm: skipped ${name}: latest version ${latest} is not in the packument` };
  const meta = versionMeta(version.data, doc.time?.[latest], doc.maintainers);
  if (options.since !== undefined && meta.publishedAt !== undefined && isBefore(meta.publishedAt, options.since)) {
    return { kind: 'skip', message: `npm: ${name}@${latest} was published before --since` };
  }
  const spec = `npm:${name}@${latest}`;
  return { kind: 'item', item: { key: spec, target: { kind: 'npm', spec, name, version: latest }, origin: 'npm', npm: meta } };
}

function versionMeta(version: z.infer<typeof VersionSchema>, time: unknown, topMaintainers: unknown): NpmVersionMeta {
  const meta: NpmVersionMeta = {};
  const integrity = version.dist?.integrity;
  if (typeof integrity === 'string' && integrity.length <= 512) meta.integrity = integrity;
  const tarball = version.dist?.tarball;
  if (typeof tarball === 'string' && tarball.length <= 2048 && isHttpUrl(tarball)) meta.tarball = tarball;
  if (typeof time === 'string' && time.length <= 64 && !Number.isNaN(Date.parse(time))) meta.publishedAt = time;
  const maintainers = maintainerNames(version.maintainers ?? topMaintainers);
  if (maintainers.length > 0) meta.maintainers = maintainers;
  // npm marks a deprecated version with the message string; an empty string means un-deprecated.
  const deprecated = version.deprecated;
  meta.deprecated = deprecated === true || (typeof deprecated === 'string' && deprecated.length > 0);
  return meta;
}

function maintainerNames(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  const names: string[] = [];
  for (const entry of raw.slice(0, 64)) {
    const parsed = MaintainerSchema.safeParse(entry);
    if (!parsed.success) continue;
    const name = typeof parsed.data === 'string' ? parsed.data : parsed.data.name;
    // Kept as data (a catalog escapes it for display) but bounded.
    if (name.length > 0) names.push(truncateText(name, 256));
  }
  return names;
}

/** Quoted, escaped and cut, so a hostile name cannot flood or restyle a log line. */
export function show(text: string): string {
  return JSON.stringify(escapeTerminal(truncateText(text, 120)));
}

const AbbreviatedPackumentSchema = z.object({
  versions: z.record(z.string().max(256), z.object({ dist: z.object({ integrity: z.unknown().optional() }).optional() })).optional(),
});

export const INTEGRITY_CACHE_NAMES = 512;
const MAX_VERSIONS_KEPT = 10_000;

export interface IntegrityResolverOptions {
  registry: string;
  timeoutMs?: number;
  maxBytes?: number;
  /** Names whose version → integrity maps are kept (least recently used goes first). */
  cacheNames?: number;
  fetch?: typeof fetch;
}

export interface IntegrityResolver {
  /** The registry's integrity for name@version; undefined when it cannot be known (the caller fetches). */
  integrity(name: string, version: string, signal: AbortSignal): Promise<string | undefined>;
}

/**
 * Looks up published integrities from the abbreviated packument, one request per name per run: a list of
 * exact versions can then skip an unchanged one without downloading it. Only the integrities are kept.
 */
export function createIntegrityResolver(options: IntegrityResolverOptions): IntegrityResolver {
  const cache = new Map<string, Promise<Map<string, string> | undefined>>();
  const capacity = Math.max(1, options.cacheNames ?? INTEGRITY_CACHE_NAMES);
  const load = async (name: string, signal: AbortSignal): Promise<Map<string, string> | undefined> => {
    const request: HttpRequestOptions = {
      signal,
      maxBytes: options.maxBytes ?? NPM_PACKUMENT_MAX_BYTES,
      headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' },
      retry: { maxAttempts: 1 },
    };
    if (options.timeoutMs !== undefined) request.timeoutMs = options.timeoutMs;
    if (options.fetch !== undefined) request.fetch = options.fetch;
    const result = await fetchJson(joinUrl(options.registry, `/${escapePackageName(name)}`), request);
    if (!result.ok) return undefined;
    const parsed = AbbreviatedPackumentSchema.safeParse(result.value);
    if (!parsed.success) return undefined;
    const integrities = new Map<string, string>();
    for (const [version, meta] of Object.entries(parsed.data.versions ?? {}).slice(0, MAX_VERSIONS_KEPT)) {
      const integrity = meta.dist?.integrity;
      if (typeof integrity === 'string' && integrity.length <= 512) integrities.set(version, integrity);
    }
    return integrities;
  };
  return {
    integrity: async (name, version, signal) => {
      if (npmNameProblem(name) !== undefined) return undefined;
      let entry = cache.get(name);
      if (entry === undefined) {
        entry = load(name, signal).catch(() => undefined);
        cache.set(name, entry);
        const oldest = cache.size > capacity ? cache.keys().next().value : undefined;
        if (oldest !== undefined) cache.delete(oldest);
      } else {
        // Touched: a Map keeps insertion order, so re-inserting makes it the most recent.
        cache.delete(name);
        cache.set(name, entry);
      }
      const integrities = await entry;
      // A failed lookup is not remembered: the next job for this name may try again.
      if (integrities === undefined) cache.delete(name);
      return integrities?.get(version);
    },
  };
}
