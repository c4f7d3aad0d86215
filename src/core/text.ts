/**
 * Text helpers for package-supplied strings. Pure functions, linear time: they run over attacker text.
 */

const SECRET_PATTERNS: readonly RegExp[] = [
  // Private key blocks: keep the armour line, drop the body.
  /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----[\s\S]{0,8000}?(?:-----END [A-Z ]{0,40}PRIVATE KEY-----|$)/g,
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,255}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,255}\b/g,
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,200}\b/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,200}\b/g,
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /\beyJ[A-Za-z0-9_-]{10,2000}\.[A-Za-z0-9_-]{10,4000}\.[A-Za-z0-9_-]{10,2000}\b/g,
];

// `KEY=value` / `"token": "value"` where the name says secret: keep the name, hide the value.
const NAMED_SECRET = /\b([A-Za-z0-9_.-]{0,40}(?:secret|token|passw(?:or)?d|api[_-]?key|private[_-]?key|credential)[A-Za-z0-9_.-]{0,40})(["']?\s{0,4}[:=]\s{0,4}["']?)([^\s"'`,;]{6,400})/gi;

export const REDACTED = '[REDACTED]';

export function redactSecrets(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, REDACTED);
  return out.replace(NAMED_SECRET, (_m, name: string, sep: string, value: string) =>
    value.startsWith('$') || value === REDACTED ? `${name}${sep}${value}` : `${name}${sep}${REDACTED}`,
  );
}

/** Truncates on a code-point boundary and marks the cut. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = Array.from(text.slice(0, max + 1));
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

// C0/C1 controls (ESC included, so ANSI sequences lose their introducer), DEL, bidi embeddings,
// overrides and isolates, zero-width characters, line/paragraph separators and the BOM.
const UNSAFE_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

function codeOf(ch: string): string {
  return `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`;
}

/**
 * Makes package-supplied text safe for a terminal: every control, bidi and invisible character becomes
 * a visible `\u{…}` escape. Newlines and tabs are kept only when `multiline` is set.
 */
export function escapeTerminal(text: string, multiline = false): string {
  const escaped = text.replace(UNSAFE_CHARS, codeOf);
  return multiline ? escaped : escaped.replace(/[\n\r\t]/g, codeOf);
}

/** True when the text holds characters that `escapeTerminal` would make visible. */
export function hasHiddenCharacters(text: string): boolean {
  UNSAFE_CHARS.lastIndex = 0;
  return /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/.test(text);
}

/**
 * Index of the segment of a text that holds `offset`, given where each segment starts (ascending, the first at
 * 0): the last start at or before it. Binary search, so a bundle of many lines or a batch of many files is cheap.
 */
export function segmentAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
