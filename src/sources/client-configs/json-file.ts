import type { JsonValue } from './jsonc.js';
import { parseJsonc } from './jsonc.js';
import { invalid, isObject } from './types.js';

/** A config file's top-level object; JSONC throughout because every client tolerates comments somewhere. */
export function parseTopObject(text: string, file: string): { [key: string]: JsonValue } {
  const value = parseJsonc(text, { file });
  if (!isObject(value)) throw invalid(file, 'expected a JSON object at the top level');
  return value;
}
