/**
 * Text helpers for tool descriptions: finding invisible and control characters, making them visible,
 * and a normalised form for phrase matching. Every function is linear in its (capped) input.
 */
import { MAX_TOOL_TEXT } from './model.js';

/** Longest text any rule looks at. */
export const MAX_CHECK_TEXT = MAX_TOOL_TEXT;

const ZWNJ = 0x200c;
const ZWJ = 0x200d;

/** Invisible or format code points that have no business in tool text (ZWJ/ZWNJ are judged by context). */
export function isInvisible(code: number): boolean {
  return (
    code === 0x00ad ||
    code === 0x034f ||
    code === 0x061c ||
    code === 0x115f ||
    code === 0x1160 ||
    code === 0x17b4 ||
    code === 0x17b5 ||
    code === 0x180e ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x206f) ||
    code === 0x3164 ||
    code === 0xfeff ||
    code === 0xffa0 ||
    (code >= 0xfff9 && code <= 0xfffb) ||
    (code >= 0x1d173 && code <= 0x1d17a) ||
    (code >= 0xe0000 && code <= 0xe007f)
  );
}

/** C0/C1 controls other than tab and newline (ESC is judged separately as an escape sequence). */
export function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d && code !== 0x1b) || (code >= 0x7f && code <= 0x9f && code !== 0x9b && code !== 0x9d);
}

export function isEscapeIntroducer(code: number): boolean {
  return code === 0x1b || code === 0x9b || code === 0x9d;
}

const BIDI = (code: number): boolean => (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
const TAG = (code: number): boolean => code >= 0xe0000 && code <= 0xe007f;

const PICTOGRAPHIC = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\u{fe0f}\u{20e3}]/u;
const NON_LATIN_LETTER = /[\p{L}\p{M}]/u;
const LATIN = /\p{Script=Latin}/u;

/** ZWJ inside an emoji sequence and ZWJ/ZWNJ between letters of scripts that need them are ordinary text. */
function joinerIsLegitimate(chars: readonly string[], i: number): boolean {
  const before = chars[i - 1] ?? '';
  const after = chars[i + 1] ?? '';
  const code = chars[i]?.codePointAt(0);
  if (code === ZWJ && PICTOGRAPHIC.test(before) && PICTOGRAPHIC.test(after)) return true;
  const scriptLetter = (ch: string): boolean => NON_LATIN_LETTER.test(ch) && !LATIN.test(ch) && ch.charCodeAt(0) > 0x7f;
  return scriptLetter(before) && scriptLetter(after);
}

export interface HiddenScan {
  /** Invisible, bidi, tag and control characters found (joiners in legitimate use excluded). */
  count: number;
  /** Index (in code points of the scanned text) of the first one. */
  first: number;
  bidi: number;
  tags: number;
  controls: number;
  /** ASCII spelled by Unicode tag characters. */
  decodedTags: string;
}

export function scanHidden(text: string): HiddenScan {
  const chars = Array.from(text.length > MAX_CHECK_TEXT ? text.slice(0, MAX_CHECK_TEXT) : text);
  const scan: HiddenScan = { count: 0, first: -1, bidi: 0, tags: 0, controls: 0, decodedTags: '' };
  chars.forEach((ch, i) => {
    const code = ch.codePointAt(0) ?? 0;
    const control = isControl(code) || (code === 0x0d && chars[i + 1] !== '\n');
    const invisible = isInvisible(code) && !((code === ZWJ || code === ZWNJ) && joinerIsLegitimate(chars, i));
    if (!control && !invisible) return;
    scan.count += 1;
    if (scan.first < 0) scan.first = i;
    if (control) scan.controls += 1;
    if (BIDI(code)) scan.bidi += 1;
    if (TAG(code)) {
      scan.tags += 1;
      if (code >= 0xe0020 && code <= 0xe007e && scan.decodedTags.length < 500) scan.decodedTags += String.fromCharCode(code - 0xe0000);
    }
  });
  return scan;
}

/** Every invisible, control, bidi and tag character as a visible `\u{…}` escape; newlines as `\n`. */
export function makeVisible(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\n') out += '\\n';
    else if (isInvisible(code) || isControl(code) || isEscapeIntroducer(code) || code === 0x0d || code === 0x2028 || code === 0x2029) out += `\\u{${code.toString(16)}}`;
    else out += ch;
  }
  return out;
}

/** A window of `text` around code-point index `at`, made visible. */
export function visibleWindow(text: string, at: number, radius = 60): string {
  const chars = Array.from(text.length > MAX_CHECK_TEXT ? text.slice(0, MAX_CHECK_TEXT) : text);
  const start = Math.max(0, at - radius);
  const end = Math.min(chars.length, at + radius);
  return `${start > 0 ? '…' : ''}${makeVisible(chars.slice(start, end).join(''))}${end < chars.length ? '…' : ''}`;
}

/** Index of the first escape introducer (ESC, CSI, OSC), or -1. */
export function firstEscape(text: string): number {
  const chars = Array.from(text.length > MAX_CHECK_TEXT ? text.slice(0, MAX_CHECK_TEXT) : text);
  return chars.findIndex((ch) => isEscapeIntroducer(ch.codePointAt(0) ?? 0));
}

// CSI … final byte, OSC … BEL/ST, and two-byte escapes: removed before phrase matching.
const ANSI_SEQUENCE = /\u001b\[[0-9;:?<=>]{0,40}[ -/]{0,4}[@-~]|\u009b[0-9;:?<=>]{0,40}[ -/]{0,4}[@-~]|(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]{0,1000}(?:\u0007|\u001b\\|\u009c)?|\u001b[@-_]/g;

/**
 * The form phrase rules match against: compatibility-folded (full-width letters, ligatures), escape
 * sequences and invisible characters removed (they can split a keyword), typographic quotes made plain,
 * runs of spaces collapsed. Newlines are kept: they separate sentences.
 */
export function normalizeForMatching(text: string): string {
  const capped = text.length > MAX_CHECK_TEXT ? text.slice(0, MAX_CHECK_TEXT) : text;
  let out = '';
  for (const ch of capped.normalize('NFKC').replace(ANSI_SEQUENCE, ' ')) {
    const code = ch.codePointAt(0) ?? 0;
    if (isInvisible(code) || isControl(code) || isEscapeIntroducer(code)) continue;
    if (code === 0x2018 || code === 0x2019 || code === 0x2032) out += "'";
    else if (code === 0x201c || code === 0x201d || code === 0x2033) out += '"';
    else if (ch === '\r') out += '\n';
    else out += ch;
  }
  return out.replace(/[ \t\u00a0]+/g, ' ');
}

/** Sentences (or lines) of normalised text, each at most `max` characters (longer ones are cut in overlapping chunks). */
export function sentences(text: string, max = 600): string[] {
  const out: string[] = [];
  for (const piece of text.split(/\n+|(?<=[.!?])\s+/)) {
    const sentence = piece.trim();
    if (sentence.length === 0) continue;
    if (sentence.length <= max) {
      out.push(sentence);
      continue;
    }
    for (let start = 0; start < sentence.length; start += max - 100) {
      out.push(sentence.slice(start, start + max));
      if (start + max >= sentence.length) break;
    }
  }
  return out;
}

/** Shannon entropy in bits per character. */
export function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
