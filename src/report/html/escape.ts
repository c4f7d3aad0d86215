/**
 * The one escaper for package-supplied text in HTML, text and attribute contexts alike. Linear time, no
 * backtracking: it runs over attacker text on every page.
 */

/*
 * Characters that hide or reorder text: C0/C1 controls (ESC, so ANSI sequences lose their introducer; tab
 * and newline are kept, CSS shows them), DEL, soft hyphen, bidi marks, embeddings, overrides and isolates,
 * zero-width and other invisible formatting characters, the BOM, interlinear annotations, Unicode tag
 * characters and the variation selectors supplement (both used to smuggle text past readers), and lone
 * surrogates (which a browser would turn into U+FFFD and so hide).
 */
const INVISIBLE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}\ud800-\udfff]/gu;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const SPECIAL = /[&<>"']/g;

/** `⟨U+200B⟩`: the visible stand-in for one invisible character. */
export function invisibleMarker(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return `⟨U+${code.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

function entities(text: string): string {
  return text.replace(SPECIAL, (ch) => ENTITIES[ch] ?? ch);
}

/**
 * Safe in element text and in quoted attribute values: the five HTML specials become entities and every
 * invisible or reordering character becomes a visible `⟨U+XXXX⟩` marker.
 */
export function escapeHtml(text: string): string {
  return entities(text.replace(INVISIBLE, invisibleMarker));
}

/**
 * Like escapeHtml, with each marker wrapped in `<span class="inv">` so the page can make it stand out.
 * For element text only (it returns markup).
 */
export function escapeHtmlMarked(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(INVISIBLE)) {
    const at = match.index;
    out += `${entities(text.slice(last, at))}<span class="inv">${invisibleMarker(match[0])}</span>`;
    last = at + match[0].length;
  }
  return out + entities(text.slice(last));
}

/** How many characters escapeHtml would turn into markers. */
export function countInvisible(text: string): number {
  let n = 0;
  for (const _ of text.matchAll(INVISIBLE)) n += 1;
  return n;
}
