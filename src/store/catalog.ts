/**
 * Read-only catalog queries: every package with its newest scan, searched, filtered, sorted and paged.
 * Nothing here writes; every value is bound, and the ORDER BY comes from a fixed table, never from input.
 */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { AssayError } from '../core/errors.js';
import type { Grade, Verdict } from '../core/score.js';
import { GradeSchema, VerdictSchema } from '../core/score.js';
import type { Db } from './db.js';

export const CATALOG_SORTS = ['name', 'score-asc', 'score-desc', 'recent'] as const;
export type CatalogSort = (typeof CATALOG_SORTS)[number];

/** Longest search text accepted; longer is a caller error, not a silent cut. */
export const CATALOG_MAX_QUERY = 100;
export const CATALOG_MAX_PAGE_SIZE = 200;
export const CATALOG_MAX_PAGE = 100_000;

export interface CatalogQuery {
  /** Case-insensitive substring of the package name (ASCII case folding, as SQLite's lower()). */
  q?: string;
  verdict?: Verdict;
  sort?: CatalogSort;
  /** 1-based. */
  page?: number;
  pageSize?: number;
}

export interface CatalogEntry {
  name: string;
  version?: string;
  scanId: number;
  scannedAt: string;
  value: number;
  grade: Grade;
  verdict: Verdict;
  complete: boolean;
  /** Scans of this package in the store, every version. */
  scans: number;
}

export interface CatalogPage {
  items: CatalogEntry[];
  /** Packages matching the search and filter, over all pages. */
  total: number;
  page: number;
  pageSize: number;
  pages: number;
}

// Ties always fall back to the name, then the scan id, so paging never shows a row twice or skips one.
const ORDER: Record<CatalogSort, string> = {
  name: 'name ASC, scanId ASC',
  'score-asc': 'value ASC, name ASC, scanId ASC',
  'score-desc': 'value DESC, name ASC, scanId ASC',
  recent: 'scannedAt DESC, name ASC, scanId ASC',
};

/*
 * The newest scan per package, chosen the way Repo.latestScan chooses it (time, then id). `@x IS NULL OR …`
 * lets one statement serve every combination of filters.
 */
const LATEST = `
  WITH ranked AS (
    SELECT p.name AS name, v.version AS version, s.id AS scanId, s.scanned_at AS scannedAt,
           s.score_value AS value, s.grade AS grade, s.verdict AS verdict, s.complete AS complete,
           ROW_NUMBER() OVER (PARTITION BY p.id ORDER BY s.scanned_at DESC, s.id DESC) AS rn,
           COUNT(*) OVER (PARTITION BY p.id) AS scans
    FROM packages p
    JOIN versions v ON v.package_id = p.id
    JOIN scans s ON s.version_id = v.id
  )
  SELECT name, version, scanId, scannedAt, value, grade, verdict, complete, scans
  FROM ranked
  WHERE rn = 1
    AND (@q IS NULL OR instr(lower(name), lower(@q)) > 0)
    AND (@verdict IS NULL OR verdict = @verdict)`;

const RowSchema = z.object({
  name: z.string(),
  version: z.string().nullable(),
  scanId: z.number().int(),
  scannedAt: z.string(),
  value: z.number().int().min(0).max(100),
  grade: GradeSchema,
  verdict: VerdictSchema,
  complete: z.union([z.literal(0), z.literal(1)]),
  scans: z.number().int().positive(),
});

interface Filter {
  q: string | null;
  verdict: string | null;
}

interface Paged extends Filter {
  limit: number;
  offset: number;
}

/** Statements are cached per connection: the catalog page is the hot path of `serve`. */
const prepared = new WeakMap<Db, ReturnType<typeof prepareCatalog>>();

function prepareCatalog(db: Db) {
  const list = Object.fromEntries(
    CATALOG_SORTS.map((sort) => [sort, db.prepare<[Paged], unknown>(`${LATEST} ORDER BY ${ORDER[sort]} LIMIT @limit OFFSET @offset`)]),
  ) as Record<CatalogSort, Database.Statement<[Paged], unknown>>;
  const count = db.prepare<[Filter], { total: number }>(`SELECT COUNT(*) AS total FROM (${LATEST})`);
  return { list, count };
}

function statements(db: Db): ReturnType<typeof prepareCatalog> {
  const known = prepared.get(db);
  if (known !== undefined) return known;
  const made = prepareCatalog(db);
  prepared.set(db, made);
  return made;
}

function wholeNumber(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new AssayError('usage', `catalog ${name} must be a whole number from 1 to ${max}, got ${value}`);
  }
  return value;
}

function searchText(q: string | undefined): string | null {
  if (q === undefined) return null;
  if (q.length > CATALOG_MAX_QUERY) throw new AssayError('usage', `catalog search is longer than ${CATALOG_MAX_QUERY} characters`);
  const trimmed = q.trim();
  return trimmed === '' ? null : trimmed;
}

function entryOf(raw: unknown): CatalogEntry {
  const parsed = RowSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AssayError('store', `a catalog row is damaged: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  const { version, complete, ...rest } = parsed.data;
  const entry: CatalogEntry = { ...rest, complete: complete === 1 };
  if (version !== null) entry.version = version;
  return entry;
}

/**
 * One page of the catalog. Bad paging or an over-long search is AssayError('usage'); a page past the end
 * is an empty page with the true total, so a client can tell "no more" from "nothing matches".
 */
export function listCatalog(db: Db, query: CatalogQuery = {}): CatalogPage {
  const pageSize = wholeNumber('page size', query.pageSize, 50, CATALOG_MAX_PAGE_SIZE);
  const page = wholeNumber('page', query.page, 1, CATALOG_MAX_PAGE);
  const sort = query.sort ?? 'name';
  if (!(CATALOG_SORTS as readonly string[]).includes(sort)) throw new AssayError('usage', `unknown catalog sort "${sort}"`);
  const filter: Filter = { q: searchText(query.q), verdict: query.verdict ?? null };
  const stmt = statements(db);
  const total = stmt.count.get(filter)?.total ?? 0;
  const items = stmt.list[sort].all({ ...filter, limit: pageSize, offset: (page - 1) * pageSize }).map(entryOf);
  return { items, total, page, pageSize, pages: Math.max(1, Math.ceil(total / pageSize)) };
}
