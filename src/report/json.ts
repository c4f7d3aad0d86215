import type { Report } from '../core/report.js';

/**
 * JSON.stringify escapes control characters, and non-ASCII is escaped here too, so output piped to a
 * terminal cannot carry bidi or invisible characters that change how it reads.
 */
export function asciiJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function formatJson(report: Report): string {
  return `${asciiJson(report, 2)}\n`;
}
