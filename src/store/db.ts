import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AssayError, errorMessage } from '../core/errors.js';
import type { Migration } from './migrations.js';
import { MIGRATIONS, latestSchemaVersion } from './migrations.js';

export type Db = Database.Database;

export const BUSY_TIMEOUT_MS = 5000;

export interface AppliedMigration {
  version: number;
  name: string;
  appliedAt: string;
}

const IN_MEMORY = ':memory:';

/**
 * Opens (creating if needed) a database, configures it and brings its schema up to date. Every failure is an
 * AssayError('store') with one line: a garbage file, a foreign SQLite file or a schema from a newer release.
 */
export function openDatabase(path: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  assertMigrationsOrdered(migrations);
  if (path !== IN_MEMORY) makeParentDir(path);
  let db: Db;
  try {
    db = new Database(path);
  } catch (error) {
    throw storeError(path, `cannot open database ${path}`, error);
  }
  try {
    configure(db);
    migrate(db, path, migrations);
    return db;
  } catch (error) {
    db.close();
    throw storeError(path, `cannot prepare database ${path}`, error);
  }
}

/**
 * Turns a driver error into a one-line AssayError('store'). Anything else (an AssayError, a bug) is returned
 * unchanged so that a bug still surfaces as one.
 */
export function storeError(path: string, context: string, error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  if (isNotADatabase(error)) {
    return new AssayError('store', `${path} is not an SQLite database (or it is damaged)`, { cause: error });
  }
  const message = errorMessage(error).split('\n', 1)[0] ?? '';
  return new AssayError('store', `${context}: ${message}`, { cause: error });
}

export function appliedMigrations(db: Db): AppliedMigration[] {
  return db
    .prepare<[], AppliedMigration>(
      'SELECT version, name, applied_at AS appliedAt FROM schema_migrations ORDER BY version',
    )
    .all();
}

function makeParentDir(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw new AssayError('store', `cannot create the folder for database ${path}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

function configure(db: Db): void {
  // The timeout first, so that switching to WAL waits for another process instead of failing at once.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
}

function isNotADatabase(error: InstanceType<typeof Database.SqliteError>): boolean {
  return error.code === 'SQLITE_NOTADB' || error.code.startsWith('SQLITE_CORRUPT');
}

function assertMigrationsOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, index) => {
    if (m.version !== index + 1) {
      throw new AssayError('internal', `migration ${m.name} has version ${m.version}, expected ${index + 1}`);
    }
  });
}

interface SchemaState {
  /** False for a fresh file; a file with other tables but no bookkeeping belongs to someone else. */
  tracked: boolean;
  applied: Set<number>;
  max: number;
}

function readState(db: Db, path: string): SchemaState {
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'")
    .all()
    .map((row) => row.name);
  if (!tables.includes('schema_migrations')) {
    if (tables.length > 0) {
      throw new AssayError('store', `${path} is an SQLite database but not an mcp-assay one (no schema_migrations table)`);
    }
    return { tracked: false, applied: new Set(), max: 0 };
  }
  const versions = db
    .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
    .all()
    .map((row) => row.version);
  return { tracked: true, applied: new Set(versions), max: Math.max(0, ...versions) };
}

function assertNotNewer(state: SchemaState, path: string, known: number): void {
  if (state.max <= known) return;
  throw new AssayError('store', `database ${path} was written by a newer mcp-assay (schema ${state.max} > ${known})`);
}

/**
 * Reads first without a write lock, so opening an up-to-date database never blocks other writers. Each
 * pending migration then runs in its own IMMEDIATE transaction and re-checks, because another process may
 * have migrated the file in between.
 */
function migrate(db: Db, path: string, migrations: readonly Migration[]): void {
  const known = latestSchemaVersion(migrations);
  const state = readState(db, path);
  assertNotNewer(state, path, known);
  const pending = migrations.filter((m) => !state.applied.has(m.version));
  for (const migration of pending) {
    db.transaction(() => applyOne(db, path, migration, known)).immediate();
  }
}

function applyOne(db: Db, path: string, migration: Migration, known: number): void {
  const state = readState(db, path);
  assertNotNewer(state, path, known);
  if (state.applied.has(migration.version)) return;
  if (!state.tracked) {
    db.exec(`CREATE TABLE schema_migrations (
      version     INTEGER PRIMARY KEY,
      name        TEXT NOT NULL,
      applied_at  TEXT NOT NULL
    ) STRICT`);
  }
  try {
    db.exec(migration.sql);
  } catch (error) {
    throw storeError(path, `migration ${migration.version} (${migration.name}) failed on ${path}`, error);
  }
  db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
    migration.version,
    migration.name,
    new Date().toISOString(),
  );
}
