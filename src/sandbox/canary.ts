import { createHash, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { CanarySet, SandboxEvent } from './events.js';
import { SANDBOX_PATHS } from './image.js';

/**
 * Canary credentials: values shaped like real keys so that code hunting for secrets takes them, random per
 * run so that seeing one in outbound bytes cannot be a coincidence. None of them is valid anywhere.
 */

const UPPER32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64ISH = `${ALNUM}+/`;

/** A byte source: crypto-random, or a SHA-256 counter stream when a seed makes a run reproducible. */
function byteSource(seed: string | undefined): (n: number) => Buffer {
  if (seed === undefined) return (n) => randomBytes(n);
  let counter = 0;
  return (n) => {
    const chunks: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const block = createHash('sha256').update(`${seed}\0${counter++}`).digest();
      chunks.push(block);
      have += block.length;
    }
    return Buffer.concat(chunks).subarray(0, n);
  };
}

function randomString(bytes: (n: number) => Buffer, alphabet: string, length: number): string {
  // Rejection sampling keeps every character equally likely whatever the alphabet's size.
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const b of bytes(length * 2)) {
      if (b >= limit) continue;
      out += alphabet[b % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

export interface MakeCanariesOptions {
  /** Home directory inside the container (inside the tmpfs). */
  home?: string;
}

/** Plants one fresh set of canaries: env vars and files under the sandbox home. */
export function makeCanaries(seed?: string, options: MakeCanariesOptions = {}): CanarySet {
  const home = options.home ?? SANDBOX_PATHS.home;
  const bytes = byteSource(seed);
  const s = (alphabet: string, n: number) => randomString(bytes, alphabet, n);
  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: `AKIA${s(UPPER32, 16)}`,
    AWS_SECRET_ACCESS_KEY: s(B64ISH, 40),
    GITHUB_TOKEN: `ghp_${s(ALNUM, 36)}`,
    OPENAI_API_KEY: `sk-proj-${s(ALNUM, 48)}`,
    NPM_TOKEN: `npm_${s(ALNUM, 36)}`,
  };
  const fileAwsId = `AKIA${s(UPPER32, 16)}`;
  const fileAwsSecret = s(B64ISH, 40);
  const fileNpm = `npm_${s(ALNUM, 36)}`;
  const fileGithub = `ghp_${s(ALNUM, 36)}`;
  const keyBody = Buffer.from(`openssh-key-v1\0canary-${s(ALNUM, 48)}`).toString('base64');
  const pem = ['-----BEGIN OPENSSH PRIVATE KEY-----', ...(keyBody.match(/.{1,70}/g) ?? []), '-----END OPENSSH PRIVATE KEY-----', ''].join('\n');
  const mcpConfig = JSON.stringify(
    { mcpServers: { github: { command: 'github-mcp-server', args: ['stdio'], env: { GITHUB_PERSONAL_ACCESS_TOKEN: fileGithub } } } },
    null,
    2,
  );
  const files: Record<string, string> = {
    [posix.join(home, '.ssh/id_rsa')]: pem,
    [posix.join(home, '.aws/credentials')]: `[default]\naws_access_key_id = ${fileAwsId}\naws_secret_access_key = ${fileAwsSecret}\n`,
    // A loopback registry: the value matters, not the address.
    [posix.join(home, '.npmrc')]: `//127.0.0.1:4873/:_authToken=${fileNpm}\n`,
    [posix.join(home, '.cursor/mcp.json')]: `${mcpConfig}\n`,
    [posix.join(home, '.config/Claude/claude_desktop_config.json')]: `${mcpConfig}\n`,
  };
  return { env, files };
}

export interface CanaryNeedle {
  /** Env var name, or `file:<path>` for a value found in a planted file. */
  label: string;
  value: string;
}

const TOKEN_IN_FILE = /[A-Za-z0-9_+/-]{20,200}/g;
/** snake_case and kebab-case names (`aws_secret_access_key`) are the same in every run: not secrets. */
const IDENTIFIER = /^[A-Za-z]+(?:[_-][A-Za-z]+)+$/;

/** The secret values to look for: every env value and every key-like token inside the planted files. */
export function canaryNeedles(canaries: CanarySet): CanaryNeedle[] {
  const needles: CanaryNeedle[] = Object.entries(canaries.env)
    .filter(([, value]) => value.length >= 12)
    .map(([label, value]) => ({ label, value }));
  const seen = new Set(needles.map((n) => n.value));
  for (const [path, content] of Object.entries(canaries.files)) {
    for (const match of content.slice(0, 65_536).matchAll(TOKEN_IN_FILE)) {
      const value = match[0];
      if (seen.has(value) || IDENTIFIER.test(value) || /^-+$/.test(value)) continue;
      seen.add(value);
      needles.push({ label: `file:${path}`, value });
    }
  }
  return needles;
}

export type LeakEncoding = 'plain' | 'base64' | 'hex' | 'url';

/**
 * The forms a value can take in transit. Base64 of a value embedded in a longer payload depends on its
 * offset modulo 3, so each of the three alignments is encoded and the characters that mix in
 * neighbouring bytes are dropped from both ends.
 */
export function encodedForms(value: string): { encoding: LeakEncoding; text: string; caseInsensitive: boolean }[] {
  const buf = Buffer.from(value, 'utf8');
  const forms: { encoding: LeakEncoding; text: string; caseInsensitive: boolean }[] = [{ encoding: 'plain', text: value, caseInsensitive: false }];
  for (let pad = 0; pad < 3; pad++) {
    const encoded = Buffer.concat([Buffer.alloc(pad), buf]).toString('base64').replace(/=+$/, '');
    const startCut = pad === 0 ? 0 : Math.ceil((pad * 4) / 3);
    const core = encoded.slice(startCut, encoded.length - 2);
    if (core.length >= 12) {
      forms.push({ encoding: 'base64', text: core, caseInsensitive: false });
      const urlSafe = core.replace(/\+/g, '-').replace(/\//g, '_');
      if (urlSafe !== core) forms.push({ encoding: 'base64', text: urlSafe, caseInsensitive: false });
    }
  }
  forms.push({ encoding: 'hex', text: buf.toString('hex'), caseInsensitive: true });
  const url = encodeURIComponent(value);
  if (url !== value) forms.push({ encoding: 'url', text: url, caseInsensitive: true });
  return forms;
}

export interface CanaryLeak {
  label: string;
  encoding: LeakEncoding;
  /** Where it was seen: a captured connection or a DNS name. */
  via: 'capture' | 'dns';
  event: SandboxEvent;
}

export interface CanaryFileRead {
  path: string;
  event: SandboxEvent;
}

export interface CanaryLeakReport {
  exfiltrated: CanaryLeak[];
  filesRead: CanaryFileRead[];
}

function outboundText(event: SandboxEvent): string | undefined {
  if (event.type === 'capture') return [event.host, event.sni, event.path, event.excerpt].filter((x) => x !== undefined).join('\n');
  if (event.type === 'dns') return event.name;
  return undefined;
}

/** Which canary values left in outbound bytes (in any common encoding), and which canary files were opened. */
export function findCanaryLeaks(canaries: CanarySet, events: readonly SandboxEvent[]): CanaryLeakReport {
  const needles = canaryNeedles(canaries).map((n) => ({ ...n, forms: encodedForms(n.value) }));
  const exfiltrated: CanaryLeak[] = [];
  const leaked = new Set<string>();
  const filePaths = new Set(Object.keys(canaries.files).map((p) => posix.normalize(p)));
  const filesRead: CanaryFileRead[] = [];
  const readSeen = new Set<string>();
  for (const event of events) {
    if (event.type === 'open' && event.ok && !event.write) {
      const p = posix.normalize(event.path);
      if (filePaths.has(p) && !readSeen.has(p)) {
        readSeen.add(p);
        filesRead.push({ path: p, event });
      }
      continue;
    }
    const text = outboundText(event);
    if (text === undefined) continue;
    const lower = text.toLowerCase();
    for (const needle of needles) {
      const hit = needle.forms.find((f) => (f.caseInsensitive ? lower.includes(f.text.toLowerCase()) : text.includes(f.text)));
      const key = `${needle.label}\0${event.type}`;
      if (!hit || leaked.has(key)) continue;
      leaked.add(key);
      exfiltrated.push({ label: needle.label, encoding: hit.encoding, via: event.type === 'dns' ? 'dns' : 'capture', event });
    }
  }
  return { exfiltrated, filesRead };
}
