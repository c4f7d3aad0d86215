import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../core/errors.js';
import { truncateText } from '../core/text.js';
import { keyFor } from './git-list.js';
import { show } from './npm.js';
import type { HarvestItem, HarvestSource, SourceEnd, SourceOptions } from './source.js';
import { parseTargetSpec } from './spec.js';

export const LIST_FILE_MAX_BYTES = 8 * 1024 * 1024;
export const LIST_FILE_MAX_LINES = 100_000;
export const LIST_LINE_MAX_CHARS = 4096;

export interface ListFileSourceConfig {
  path: string;
  maxBytes?: number;
  maxLines?: number;
}

/**
 * Targets from a file, one per line, in any form `scan` accepts; `#` starts a comment line. Relative paths
 * resolve against the list file's directory, so a list means the same thing wherever it is run from.
 */
export function listFileSource(config: ListFileSourceConfig): HarvestSource {
  return { id: 'list', list: (options) => listFile(config, options) };
}

async function* listFile(config: ListFileSourceConfig, options: SourceOptions): AsyncGenerator<HarvestItem, SourceEnd, undefined> {
  const file = path.resolve(config.path);
  const maxBytes = config.maxBytes ?? LIST_FILE_MAX_BYTES;
  const maxLines = config.maxLines ?? LIST_FILE_MAX_LINES;
  let lines = 0;
  let items = 0;
  const end = (status: SourceEnd['status'], reason?: string): SourceEnd => (reason === undefined ? { status, pages: lines, items } : { status, reason, pages: lines, items });
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) return end('failed', `${file} is not a regular file`);
    size = info.size;
  } catch (error) {
    return end('failed', `cannot read list ${file}: ${errorMessage(error)}`);
  }
  const seen = new Set<string>();
  const cwd = path.dirname(file);
  for await (const line of readLines(file, maxBytes, size > maxBytes, options.signal)) {
    if (line.kind === 'error') return end(options.signal.aborted ? 'aborted' : 'failed', line.reason);
    if (lines >= maxLines) return end('truncated', `list ${file} has more than ${maxLines} lines`);
    lines++;
    if (options.signal.aborted) return end('aborted', 'listing aborted');
    if (options.limit !== undefined && items >= options.limit) return end('limit', `stopped after ${options.limit} items`);
    const item = await itemFor(line.text, lines, cwd, options);
    if (item === undefined || seen.has(item.key)) continue;
    seen.add(item.key);
    items++;
    yield item;
  }
  if (size > maxBytes) return end('truncated', `list ${file} is larger than ${maxBytes} bytes; read the first ${maxBytes}`);
  return end('complete');
}

async function itemFor(raw: string, lineNo: number, cwd: string, options: SourceOptions): Promise<HarvestItem | undefined> {
  const text = raw.trim();
  if (text.length === 0 || text.startsWith('#')) return undefined;
  if (text.length > LIST_LINE_MAX_CHARS) {
    options.onWarning?.(`list line ${lineNo}: skipped, longer than ${LIST_LINE_MAX_CHARS} characters`);
    return undefined;
  }
  try {
    const target = await parseTargetSpec(text, { cwd });
    return { key: keyFor(target), target, origin: 'list' };
  } catch (error) {
    options.onWarning?.(`list line ${lineNo}: skipped ${show(text)}: ${show(truncateText(errorMessage(error), 300))}`);
    return undefined;
  }
}

type Line = { kind: 'line'; text: string } | { kind: 'error'; reason: string };

/**
 * Lines from the first `maxBytes` of the file. A partial last line (cut by the cap) is dropped rather than
 * read as a shorter, different target; an overlong line is kept only as a marker so it can be reported.
 */
async function* readLines(file: string, maxBytes: number, cut: boolean, signal: AbortSignal): AsyncGenerator<Line, void, undefined> {
  const stream = createReadStream(file, { start: 0, end: Math.max(0, maxBytes - 1), signal, encoding: 'utf8', highWaterMark: 64 * 1024 });
  let pending = '';
  let overlong = false;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const parts = (pending + chunk).split(/\r?\n/);
      pending = parts.pop() ?? '';
      for (const part of parts) {
        yield { kind: 'line', text: overlong ? 'x'.repeat(LIST_LINE_MAX_CHARS + 1) : part };
        overlong = false;
      }
      if (pending.length > LIST_LINE_MAX_CHARS) {
        overlong = true;
        pending = '';
      }
    }
  } catch (error) {
    yield { kind: 'error', reason: `cannot read list ${file}: ${errorMessage(error)}` };
    return;
  }
  if (cut) return;
  if (overlong || pending.length > 0) yield { kind: 'line', text: overlong ? 'x'.repeat(LIST_LINE_MAX_CHARS + 1) : pending };
}
