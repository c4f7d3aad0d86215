import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssayError } from '../core/errors.js';
import { buildTestReport } from '../report/test-helpers/report-builder.js';
import { listCatalog } from './catalog.js';
import type { Db } from './db.js';
import { openDatabase } from './db.js';
import { Repo } from './repo.js';

let db: Db;
let repo: Repo;

beforeEach(() => {
  db = openDatabase(':memory:');
  repo = new Repo(db);
});

afterEach(() => {
  db.close();
});

function save(name: string, version: string, scannedAt: string, value: number, verdict: 'pass' | 'review' | 'fail' = 'pass'): number {
  const grade = value >= 90 ? 'A' : value >= 50 ? 'C' : 'F';
  return repo.saveReport(buildTestReport({ name, version, scannedAt, value, grade, verdict })).scanId;
}

describe('listCatalog', () => {
  it('lists each package once, with its newest scan', () => {
    save('alpha', '1.0.0', '2025-01-01T00:00:00Z', 90);
    const newest = save('alpha', '1.1.0', '2025-02-01T00:00:00Z', 40, 'fail');
    save('alpha', '0.9.0', '2024-12-01T00:00:00Z', 100);
    save('beta', '2.0.0', '2025-01-05T00:00:00Z', 70, 'review');
    const page = listCatalog(db);
    expect(page.total).toBe(2);
    expect(page.items).toEqual([
      { name: 'alpha', version: '1.1.0', scanId: newest, scannedAt: '2025-02-01T00:00:00.000Z', value: 40, grade: 'F', verdict: 'fail', complete: true, scans: 3 },
      expect.objectContaining({ name: 'beta', version: '2.0.0', value: 70, scans: 1 }),
    ]);
  });

  it.each([
    [{ sort: 'name' as const }, ['a-mcp', 'b-mcp', 'c-mcp']],
    [{ sort: 'score-asc' as const }, ['b-mcp', 'c-mcp', 'a-mcp']],
    [{ sort: 'score-desc' as const }, ['a-mcp', 'c-mcp', 'b-mcp']],
    [{ sort: 'recent' as const }, ['c-mcp', 'a-mcp', 'b-mcp']],
    [{ verdict: 'fail' as const }, ['b-mcp']],
    [{ q: 'C-M' }, ['c-mcp']],
    [{ q: '   ' }, ['a-mcp', 'b-mcp', 'c-mcp']],
    [{ q: '%' }, []],
    [{ q: "' OR 1=1 --" }, []],
    [{ pageSize: 2, page: 2 }, ['c-mcp']],
    [{ pageSize: 2, page: 5 }, []],
  ])('%j', (query, names) => {
    save('a-mcp', '1.0.0', '2025-01-02T00:00:00Z', 95);
    save('b-mcp', '1.0.0', '2025-01-01T00:00:00Z', 10, 'fail');
    save('c-mcp', '1.0.0', '2025-01-03T00:00:00Z', 60, 'review');
    const page = listCatalog(db, query);
    expect(page.items.map((i) => i.name)).toEqual(names);
  });

  it('reports totals and page counts for paging', () => {
    for (let i = 0; i < 7; i += 1) save(`pkg-${i}`, '1.0.0', '2025-01-01T00:00:00Z', 50 + i);
    expect(listCatalog(db, { pageSize: 3 })).toMatchObject({ total: 7, page: 1, pageSize: 3, pages: 3 });
    expect(listCatalog(db, { pageSize: 3, page: 9 })).toMatchObject({ total: 7, items: [] });
    expect(listCatalog(db, { q: 'nothing' })).toMatchObject({ total: 0, pages: 1, items: [] });
  });

  it('leaves the version out for an unversioned target', () => {
    repo.saveReport(buildTestReport({ dirSpec: '/srv/some-server' }));
    const [entry] = listCatalog(db).items;
    expect(entry?.name).toBe('/srv/some-server');
    expect(entry).not.toHaveProperty('version');
  });

  it.each([
    [{ page: 0 }, /page must be/],
    [{ page: 1.5 }, /page must be/],
    [{ pageSize: 1000 }, /page size must be/],
    [{ q: 'x'.repeat(101) }, /longer than 100/],
    [{ sort: 'evil' as never }, /unknown catalog sort/],
  ])('refuses %j as a usage error', (query, message) => {
    let caught: unknown;
    try {
      listCatalog(db, query);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AssayError);
    expect((caught as AssayError).category).toBe('usage');
    expect((caught as AssayError).message).toMatch(message);
  });
});
