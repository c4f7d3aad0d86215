/** Small helpers for package-supplied values: parsing manifests and showing their text safely. */
import { escapeTerminal, redactSecrets } from '../../core/text.js';

export type ParsedJson<T> = { ok: true; value: T } | { ok: false; error: string };

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** JSON.parse of a manifest, tolerating the BOM npm tolerates; a one-line message on failure. */
export function parseJsonObject(text: string): ParsedJson<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(stripBom(text));
  } catch (error) {
    const detail = error instanceof Error ? (error.message.split('\n')[0] ?? '') : '';
    return { ok: false, error: `not valid JSON (${escapeTerminal(detail.slice(0, 120))})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'not a JSON object' };
  return { ok: true, value: value as Record<string, unknown> };
}

/**
 * Safe for a report line: bounded, no control or bidi characters, no credentials in URLs or known token
 * formats. Messages are not redacted by makeFinding (only evidence is), so everything shown goes through here.
 */
export function show(text: string, max = 200): string {
  const bounded = text.length > max * 4 ? text.slice(0, max * 4) : text;
  return escapeTerminal(redactSecrets(bounded.replace(/(\/\/)[^/@\s]{1,200}@/g, '$1<redacted>@')));
}

const PLACEHOLDER = /[{}<>]|^\$|^x{3,}$|\.\.\.|your[_-]?|changeme|placeholder|example|replace[_-]?me|^(?:none|null|undefined|todo|tbd|true|false|yes|no|on|off|[01])$/i;

/** A literal that is really a value, not empty, a variable, a template or a placeholder such as `<your-api-key>`. */
export function isLiteralSecret(value: string): boolean {
  const trimmed = value.trim();
  return trimmed.length > 0 && !PLACEHOLDER.test(trimmed.slice(0, 500));
}
