import type { Location } from '../../core/finding.js';
import { truncateText } from '../../core/text.js';
import { escapeHtmlMarked } from './escape.js';
import type { Html } from './layout.js';
import { raw } from './layout.js';

const MAX_SHORT = 300;

/** Package text as element content: cut, escaped, invisible characters shown as highlighted markers. */
export function shown(text: string, max = MAX_SHORT): Html {
  return raw(escapeHtmlMarked(truncateText(text, max)));
}

export function locationText(location: Location | undefined): string {
  if (location === undefined) return '';
  if (location.file === undefined) return location.event ?? '';
  return [location.file, location.line, location.column].filter((p) => p !== undefined).join(':');
}

