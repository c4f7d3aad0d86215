import type { Report } from '../core/report.js';

/**
 * JSON.stringify escapes control characters, and non-ASCII is escaped here too, so a report piped to a
 * terminal cannot carry bidi or invisible characters that change how it reads.
 */
export function formatJson(report: Report): string {
  const text = JSON.stringify(report, null, 2).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `${text}\n`;
}
