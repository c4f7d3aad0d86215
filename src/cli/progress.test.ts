import { describe, expect, it } from 'vitest';
import { createProgress, progressLine } from './progress.js';

function fakeStream(isTTY: boolean): { write(text: string): void; isTTY: boolean; out: string[] } {
  const out: string[] = [];
  return { isTTY, out, write: (text) => out.push(text) };
}

describe('progressLine', () => {
  it.each([
    { counts: { listed: 0, started: 0, done: 0, skipped: 0, failed: 0 }, ms: 0, bar: false, want: 'harvest: 0/0, 0 scanned, 0 unchanged, 0 failed, 0s' },
    { counts: { listed: 10, started: 5, done: 3, skipped: 1, failed: 1 }, ms: 60_000, bar: false, want: 'harvest: 5/10, 3 scanned, 1 unchanged, 1 failed, 5.0/min, ETA 1m00s, 1m00s' },
    { counts: { listed: 4, started: 4, done: 2, skipped: 0, failed: 0 }, ms: 30_000, bar: true, want: '[##########----------] 2/4 · 2 scanned · 0 unchanged · 0 failed · 4.0/min · ETA 30s · 30s' },
  ])('$want', ({ counts, ms, bar, want }) => {
    expect(progressLine(counts, ms, bar)).toBe(want);
  });
});

describe('createProgress', () => {
  it('writes a plain line only every interval without a terminal', () => {
    let t = 0;
    const stream = fakeStream(false);
    const progress = createProgress({ stream, now: () => t, intervalMs: 1000 });
    progress.onEvent({ type: 'item-listed', key: 'a', origin: 'list', added: true });
    t = 500;
    progress.onEvent({ type: 'job-done', key: 'a', scanId: 1, verdict: 'pass', ms: 5 });
    expect(stream.out).toHaveLength(0);
    t = 1200;
    progress.tick();
    expect(stream.out).toEqual(['harvest: 1/1, 1 scanned, 0 unchanged, 0 failed, 50.0/min, 1s\n']);
    progress.finish();
    expect(stream.out).toHaveLength(2);
    expect(stream.out.every((line) => !line.includes('\r'))).toBe(true);
  });

  it('redraws one line in place on a terminal and ends it with a newline', () => {
    let t = 0;
    const stream = fakeStream(true);
    const progress = createProgress({ stream, now: () => t, redrawMs: 100 });
    progress.onEvent({ type: 'item-listed', key: 'a', origin: 'list', added: true });
    progress.onEvent({ type: 'item-listed', key: 'b', origin: 'list', added: false });
    t = 150;
    progress.onEvent({ type: 'job-failed', key: 'a', reason: 'timeout' });
    expect(stream.out).toHaveLength(2);
    expect(stream.out[1]).toMatch(/^\r\u001b\[2K\[#+-*\] 1\/1 · 0 scanned · 0 unchanged · 1 failed/);
    progress.finish();
    expect(stream.out.at(-1)).toBe('\n');
    expect(progress.counts).toMatchObject({ listed: 1, failed: 1 });
  });
});
