/**
 * SVG badges for READMEs: "mcp-assay | A 92" coloured by verdict. Text widths are estimated from a fixed
 * per-character width, so no font metrics are needed and the output is the same on every machine.
 */
import type { Grade, Verdict } from '../core/score.js';
import { truncateText } from '../core/text.js';

export const BADGE_LABEL = 'mcp-assay';

/** Fill colours with white text at a readable contrast. */
export const BADGE_COLORS: Record<Verdict | 'unknown', string> = {
  pass: '#2e7d32',
  review: '#a15c00',
  fail: '#c62828',
  unknown: '#6b6b6b',
};

export interface BadgeScore {
  value: number;
  grade: Grade;
  verdict: Verdict;
  complete: boolean;
}

export interface Badge {
  label: string;
  message: string;
  color: string;
  /** The accessible title; may hold a package name, so it is escaped like any text. */
  title: string;
}

const CHAR_WIDTH = 7;
const PADDING = 10;
const HEIGHT = 20;
const MAX_TITLE = 200;

// XML 1.0 forbids most C0 controls even as references, and bidi or invisible characters would hide the name.
const NOT_FOR_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufffe\uffff\ud800-\udfff]/gu;
const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Safe in SVG text and attribute values: specials become entities, forbidden characters become `?`. */
export function escapeXml(text: string): string {
  return text.replace(NOT_FOR_XML, '?').replace(/[&<>"']/g, (ch) => XML_ENTITIES[ch] ?? ch);
}

/** Width in pixels of `text` at 11px Verdana, estimated per code point. */
export function textWidth(text: string): number {
  return Array.from(text).length * CHAR_WIDTH + PADDING;
}

export function scoreBadge(name: string, score: BadgeScore): Badge {
  const mark = score.complete ? '' : '?';
  return {
    label: BADGE_LABEL,
    message: `${score.grade} ${score.value}${mark}`,
    color: BADGE_COLORS[score.verdict],
    title: `${truncateText(name, MAX_TITLE)}: mcp-assay grade ${score.grade}, score ${score.value}/100, verdict ${score.verdict}${score.complete ? '' : ' (incomplete analysis)'}`,
  };
}

export function notScannedBadge(name: string): Badge {
  return { label: BADGE_LABEL, message: 'not scanned', color: BADGE_COLORS.unknown, title: `${truncateText(name, MAX_TITLE)}: not scanned by mcp-assay` };
}

/** A self-contained SVG: no script, no external reference, every text escaped. */
export function renderBadge(badge: Badge): string {
  const left = textWidth(badge.label);
  const right = textWidth(badge.message);
  const width = left + right;
  const label = escapeXml(badge.label);
  const message = escapeXml(badge.message);
  const title = escapeXml(badge.title);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" role="img" aria-label="${label}: ${message}">`,
    `<title>${title}</title>`,
    `<rect width="${left}" height="${HEIGHT}" fill="#555"/>`,
    `<rect x="${left}" width="${right}" height="${HEIGHT}" fill="${escapeXml(badge.color)}"/>`,
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">`,
    `<text x="${left / 2}" y="14">${label}</text>`,
    `<text x="${left + right / 2}" y="14">${message}</text>`,
    '</g>',
    '</svg>',
    '',
  ].join('\n');
}
