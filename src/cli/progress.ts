/**
 * Harvest progress on stderr. On a terminal: one line redrawn in place (bar, counts, rate, ETA). Otherwise
 * (a log file, CI): a plain line every `intervalMs`, so logs stay readable. Clock and stream are injected
 * so tests need no timers.
 */
import type { HarvestEvent } from '../queue/harvest.js';

export interface ProgressStream {
  write(text: string): void;
  isTTY?: boolean | undefined;
}

export interface ProgressOptions {
  stream: ProgressStream;
  now?: () => number;
  /** Plain-line period without a terminal. */
  intervalMs?: number;
  /** Shortest gap between redraws on a terminal. */
  redrawMs?: number;
  width?: number;
}

export interface ProgressCounts {
  listed: number;
  started: number;
  done: number;
  skipped: number;
  failed: number;
}

export interface Progress {
  readonly counts: Readonly<ProgressCounts>;
  onEvent(event: HarvestEvent): void;
  /** Called by a timer, so a quiet spell still shows the clock moving. */
  tick(): void;
  /** Final line (and a newline on a terminal). */
  finish(): void;
}

const DEFAULT_INTERVAL_MS = 10_000;
const DEFAULT_REDRAW_MS = 100;
const BAR = 20;

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** One status line from the counts; rate and ETA once something finished. */
export function progressLine(counts: ProgressCounts, elapsedMs: number, bar: boolean): string {
  const finished = counts.done + counts.skipped + counts.failed;
  const total = Math.max(counts.listed, finished);
  const parts = [`${finished}/${total}`, `${counts.done} scanned`, `${counts.skipped} unchanged`, `${counts.failed} failed`];
  const minutes = elapsedMs / 60_000;
  if (finished > 0 && minutes > 0) {
    const rate = finished / minutes;
    parts.push(`${rate.toFixed(1)}/min`);
    const left = total - finished;
    if (left > 0) parts.push(`ETA ${duration((left / rate) * 60_000)}`);
  }
  parts.push(duration(elapsedMs));
  if (!bar) return `harvest: ${parts.join(', ')}`;
  const filled = total === 0 ? 0 : Math.round((finished / total) * BAR);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${parts.join(' · ')}`;
}

export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? (() => Date.now());
  const tty = options.stream.isTTY === true;
  const interval = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const redraw = options.redrawMs ?? DEFAULT_REDRAW_MS;
  const start = now();
  let last = tty ? -Infinity : start;
  const counts: ProgressCounts = { listed: 0, started: 0, done: 0, skipped: 0, failed: 0 };

  const draw = (force: boolean): void => {
    const t = now();
    if (!force && t - last < (tty ? redraw : interval)) return;
    last = t;
    const line = progressLine(counts, t - start, tty);
    const width = options.width ?? 120;
    options.stream.write(tty ? `\r\u001b[2K${line.slice(0, width - 1)}` : `${line}\n`);
  };

  return {
    counts,
    onEvent(event) {
      if (event.type === 'item-listed' && event.added) counts.listed += 1;
      else if (event.type === 'job-started') counts.started += 1;
      else if (event.type === 'job-done') counts.done += 1;
      else if (event.type === 'job-skipped') counts.skipped += 1;
      else if (event.type === 'job-failed') counts.failed += 1;
      draw(false);
    },
    tick: () => draw(false),
    finish() {
      draw(true);
      if (tty) options.stream.write('\n');
    },
  };
}
