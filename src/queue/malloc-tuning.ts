/**
 * glibc allocator settings for a harvest (docs/adr/0003-harvest-malloc-tuning.md). A harvest allocates and
 * frees buffers of every size from five threads for an hour; with glibc's dynamic mmap threshold their freed
 * space stays resident in per-thread arenas (about 180 MiB of a 1.1 GiB peak on the bench). The settings are
 * process-wide and must be made before the worker threads start, so the harvest makes them first.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../core/errors.js';

/** Blocks from this size up get their own mapping, returned to the system when freed. */
export const MMAP_THRESHOLD_BYTES = 256 * 1024;
/** Arenas shared by all threads (glibc's default is eight per core). */
export const ARENA_MAX = 2;

export type MallocTuning =
  | { status: 'tuned'; mmapThresholdBytes: number; arenaMax: number }
  /** Not glibc (macOS, musl): nothing to tune. */
  | { status: 'not-applicable'; reason: string }
  /** glibc, but the addon is missing or refused: the harvest runs, with a higher peak. */
  | { status: 'unavailable'; reason: string };

interface Addon {
  tune(mmapThresholdBytes: number, arenaMax: number): boolean;
  probe(bigBytes: number, smallBytes: number): boolean;
}

export const ADDON_PATH = fileURLToPath(new URL('../../native/malloc-tuning/build/Release/malloc_tuning.node', import.meta.url));

function isAddon(value: unknown): value is Addon {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record['tune'] === 'function' && typeof record['probe'] === 'function';
}

/** The glibc version this process runs on, or undefined on another C library. */
export function glibcVersion(): string | undefined {
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: unknown } }).header;
  const version = header?.glibcVersionRuntime;
  return typeof version === 'string' ? version : undefined;
}

/** Loads the addon built by `npm install`; a reason instead when it is not there or not one. */
export function loadAddon(path = ADDON_PATH): Addon | string {
  if (!existsSync(path)) return `${path} is not built (run npm install with a C compiler available)`;
  try {
    const loaded: unknown = createRequire(import.meta.url)(path);
    return isAddon(loaded) ? loaded : `${path} does not export tune and probe`;
  } catch (error) {
    return `${path} did not load: ${errorMessage(error)}`;
  }
}

let applied: MallocTuning | undefined;

/** Applies the settings once per process; later calls return the first outcome. */
export function tuneMalloc(): MallocTuning {
  applied ??= applyTuning(ADDON_PATH);
  return applied;
}

/** tuneMalloc without the memo, from a given addon file. */
export function applyTuning(addonPath: string): MallocTuning {
  if (process.platform !== 'linux' || glibcVersion() === undefined) return { status: 'not-applicable', reason: 'the C library is not glibc' };
  const addon = loadAddon(addonPath);
  if (typeof addon === 'string') return { status: 'unavailable', reason: addon };
  if (!addon.tune(MMAP_THRESHOLD_BYTES, ARENA_MAX)) return { status: 'unavailable', reason: 'glibc refused the settings' };
  return { status: 'tuned', mmapThresholdBytes: MMAP_THRESHOLD_BYTES, arenaMax: ARENA_MAX };
}
