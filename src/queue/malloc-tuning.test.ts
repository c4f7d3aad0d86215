import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { inCi } from '../sandbox/test-helpers/docker-available.js';
import { ADDON_PATH, ARENA_MAX, MMAP_THRESHOLD_BYTES, applyTuning, glibcVersion, loadAddon } from './malloc-tuning.js';

const glibc = process.platform === 'linux' && glibcVersion() !== undefined;
const addon = loadAddon();
const built = typeof addon !== 'string';

/** In a fresh process (the settings are process-wide and sticky): tune or not, then probe. */
function probeInChild(tune: boolean): string {
  const script = [
    `const addon = require(${JSON.stringify(ADDON_PATH)});`,
    tune ? `if (!addon.tune(${MMAP_THRESHOLD_BYTES}, ${ARENA_MAX})) throw new Error('tune refused');` : '',
    // A 16 MiB block right after a 24 MiB one was freed: untuned glibc has raised its threshold past it.
    `process.stdout.write(String(addon.probe(24 << 20, 16 << 20)));`,
  ].join('\n');
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`probe child failed: ${result.stderr}`);
  return result.stdout;
}

describe('malloc tuning', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'assay-malloc-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('is built wherever glibc is (npm install builds it; CI must have it), and without glibc there is nothing to tune', () => {
    if (!glibc) {
      expect(applyTuning(ADDON_PATH).status).toBe('not-applicable');
      return;
    }
    if (!built && !inCi()) {
      console.warn(`malloc tuning addon not built (${addon}); the harvest warns and runs without it`);
      return;
    }
    expect(addon).not.toBeTypeOf('string');
  });

  it.skipIf(!glibc || !built).each([
    { tune: false, mapped: 'false' },
    { tune: true, mapped: 'true' },
  ])('tune=$tune: a large block after a larger one was freed gets its own mapping: $mapped', ({ tune, mapped }) => {
    expect(probeInChild(tune)).toBe(mapped);
  });

  it.skipIf(!glibc || !built).each([
    { threshold: 0, arenas: ARENA_MAX },
    { threshold: -1, arenas: ARENA_MAX },
    { threshold: 2 ** 31, arenas: ARENA_MAX },
    { threshold: MMAP_THRESHOLD_BYTES, arenas: 0 },
    { threshold: MMAP_THRESHOLD_BYTES, arenas: 5000 },
  ])('refuses threshold $threshold with $arenas arenas', ({ threshold, arenas }) => {
    if (typeof addon === 'string') return;
    expect(addon.tune(threshold, arenas)).toBe(false);
  });

  it.skipIf(!glibc || !built)('refuses arguments that are not numbers', () => {
    if (typeof addon === 'string') return;
    const loose = addon as unknown as { tune(...args: unknown[]): boolean; probe(...args: unknown[]): boolean };
    expect(loose.tune('262144', {})).toBe(false);
    expect(loose.tune()).toBe(false);
    expect(loose.probe(1 << 30, 1)).toBe(false);
  });

  it.skipIf(!glibc || !built)('applies the settings from the built addon', () => {
    expect(applyTuning(ADDON_PATH)).toEqual({ status: 'tuned', mmapThresholdBytes: MMAP_THRESHOLD_BYTES, arenaMax: ARENA_MAX });
  });

  it.skipIf(!glibc).each([
    { name: 'missing', write: undefined, reason: /is not built/ },
    { name: 'not a shared object', write: 'not an ELF file\n', reason: /did not load/ },
  ])('an addon that is $name leaves the harvest untuned, with the reason', ({ name, write, reason }) => {
    const file = path.join(scratch, `${name.replaceAll(' ', '-')}.node`);
    if (write !== undefined) writeFileSync(file, write);
    const outcome = applyTuning(file);
    expect(outcome.status).toBe('unavailable');
    expect(outcome.status === 'unavailable' ? outcome.reason : '').toMatch(reason);
  });

  it.skipIf(!glibc)('an addon that is some other addon is refused', () => {
    const other = fileURLToPath(new URL('../../node_modules/better-sqlite3/build/Release/better_sqlite3.node', import.meta.url));
    const outcome = applyTuning(other);
    expect(outcome.status === 'unavailable' ? outcome.reason : '').toMatch(/does not export tune and probe/);
  });

});
