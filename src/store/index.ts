export type { AppliedMigration } from './db.js';
export { BUSY_TIMEOUT_MS } from './db.js';
export type { Migration } from './migrations.js';
export { MIGRATIONS, latestSchemaVersion } from './migrations.js';
export type { ScanHistoryEntry, StoredScan } from './repo.js';
export { packageNameOf } from './repo.js';
export type { Store } from './store.js';
export { openStore } from './store.js';
