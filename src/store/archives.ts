/**
 * Read-only: the npm versions the store has scanned with a known integrity, i.e. the ones whose archives the
 * integrity-keyed cache can hold. `signatures hunt --store` runs new rules over them.
 */
import { z } from 'zod';
import type { Db } from './db.js';

export interface StoredArchive {
  name: string;
  version: string;
  integrity: string;
}

const RowSchema = z.object({ name: z.string(), version: z.string(), integrity: z.string() });

export function storedArchives(db: Db, limit = 100_000): StoredArchive[] {
  const rows = db.prepare(`
    SELECT p.name AS name, v.version AS version, v.integrity AS integrity
    FROM versions v JOIN packages p ON p.id = v.package_id
    WHERE v.integrity IS NOT NULL AND v.version IS NOT NULL AND v.target_kind = 'npm'
    ORDER BY p.name, v.first_seen
    LIMIT ?`).all(limit);
  return rows.map((r) => RowSchema.parse(r));
}
