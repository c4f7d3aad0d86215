/**
 * Long encoded string literals: base64 or hex blobs with high entropy that are not images, fonts or
 * source maps. Linear work over at most SAMPLE characters of each literal.
 */

const MIN_LENGTH = 1024;
const SAMPLE = 64 * 1024;
const MIN_BASE64_ENTROPY = 5.0;
const MIN_HEX_ENTROPY = 3.0;

/** Data-URI types that are assets, not payloads. */
const ASSET_DATA_URI = /^data:(?:image\/|font\/|audio\/|video\/|application\/(?:font|x-font|json|vnd\.ms-fontobject|octet-stream;\s{0,4}name=)|text\/css)/i;

/** Leading base64 of well-known binary formats, to say what a blob probably is. */
const MAGIC: readonly [string, string][] = [
  ['AGFzbQ', 'a WebAssembly module'],
  ['H4sI', 'gzip data'],
  ['UEsDB', 'a zip archive'],
  ['TVqQ', 'a Windows executable'],
  ['TVpQ', 'a Windows executable'],
  ['f0VMR', 'an ELF executable'],
  ['z/rt/', 'a Mach-O executable'],
  ['iVBORw0KGgo', 'a PNG image'],
  ['/9j/', 'a JPEG image'],
  ['d09G', 'a web font'],
];

export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

function isCharset(text: string, hex: boolean): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    const digit = c >= 48 && c <= 57;
    const lowerHex = c >= 97 && c <= 102;
    const upperHex = c >= 65 && c <= 70;
    if (hex) {
      if (!digit && !lowerHex && !upperHex) return false;
      continue;
    }
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    // + / = (base64), - _ (base64url), and line breaks some encoders insert.
    if (!digit && !letter && c !== 43 && c !== 47 && c !== 61 && c !== 45 && c !== 95 && c !== 10 && c !== 13) return false;
  }
  return true;
}

export interface Blob {
  encoding: 'base64' | 'hex';
  length: number;
  entropy: number;
  message: string;
}

export function encodedBlob(value: string): Blob | undefined {
  if (value.length < MIN_LENGTH) return undefined;
  let body = value;
  if (value.startsWith('data:')) {
    if (ASSET_DATA_URI.test(value.slice(0, 100))) return undefined;
    const comma = value.indexOf(',');
    if (comma === -1 || comma > 200) return undefined;
    body = value.slice(comma + 1);
    if (body.length < MIN_LENGTH) return undefined;
  }
  const sample = body.slice(0, SAMPLE);
  const hex = isCharset(sample, true);
  if (!hex && !isCharset(sample, false)) return undefined;
  const entropy = shannonEntropy(sample);
  if (entropy < (hex ? MIN_HEX_ENTROPY : MIN_BASE64_ENTROPY)) return undefined;
  const encoding = hex ? 'hex' : 'base64';
  const kind = hex ? undefined : MAGIC.find(([prefix]) => sample.startsWith(prefix))?.[1];
  if (kind === 'a PNG image' || kind === 'a JPEG image' || kind === 'a web font') return undefined;
  const message = `a ${body.length}-character ${encoding} string (entropy ${entropy.toFixed(1)} bits/char)${kind ? `, probably ${kind}` : ''}`;
  return { encoding, length: body.length, entropy, message };
}
