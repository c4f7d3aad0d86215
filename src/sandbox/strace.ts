import { posix } from 'node:path';
import type { SandboxEvent, SandboxPhase } from './events.js';
import { SandboxEventSchema } from './events.js';

/**
 * Parses the output of
 *   strace -f -tt -s 256 -e trace=execve,openat,open,connect,sendto,kill -o FILE
 * (one file for the whole process tree, each line prefixed with the pid) into typed events.
 *
 * The text is written by strace but its strings are chosen by the traced code, so the parser is a single
 * forward scan per line (no backtracking regular expression over the line), every string is bounded, and
 * a line it cannot read is counted, never fatal.
 */

export const STRACE_SYSCALLS = ['execve', 'openat', 'open', 'connect', 'sendto', 'kill'] as const;

/** The strace arguments the harness uses; kept here so the parser and the launcher agree. */
export const STRACE_ARGS = ['-f', '-tt', '-s', '256', '-e', `trace=${STRACE_SYSCALLS.join(',')}`] as const;

export interface StraceParseOptions {
  phase: SandboxPhase;
  /** Stop after this many events and set `truncated`. */
  maxEvents?: number;
  /** Longer lines are cut to this many characters before parsing (and counted in `oversized`). */
  maxLineChars?: number;
  /** Bound on `<unfinished ...>` calls waiting for their `resumed` half. */
  maxPending?: number;
}

export interface StraceParseResult {
  events: SandboxEvent[];
  truncated: boolean;
  /** Lines that were neither a traced call nor strace's own notices. */
  garbage: number;
  oversized: number;
  /** `<unfinished ...>` calls never resumed (the process died) or resumed without a start. */
  unmatched: number;
}

export const STRACE_DEFAULTS = { maxEvents: 10_000, maxLineChars: 16_384, maxPending: 4_096 } as const;

const PATH_MAX = 4096;
const ARG_MAX = 1024;
const ARGV_MAX = 64;
const ADDRESS_MAX = 1024;

interface Call {
  pid: number;
  name: string;
  args: string[];
  ret: string | undefined;
  errno: string | undefined;
}

/** `12345  12:00:00.000001 rest`, `[pid 12345] rest` or just `rest` (a single traced process). */
function splitPrefix(line: string): { pid: number; rest: string } {
  let i = 0;
  let pid = 0;
  if (line.startsWith('[pid')) i = 4;
  while (line[i] === ' ') i++;
  const digitsStart = i;
  while (i < line.length && i - digitsStart < 10 && line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i++;
  if (i > digitsStart && (line[i] === ' ' || line[i] === ']')) {
    pid = Number(line.slice(digitsStart, i));
    if (line[i] === ']') i++;
  } else {
    i = 0;
  }
  while (line[i] === ' ') i++;
  const ts = /^\d{1,2}:\d{2}:\d{2}(?:\.\d{1,9})? +/.exec(line.slice(i, i + 32));
  if (ts) i += ts[0].length;
  return { pid, rest: line.slice(i) };
}

/**
 * Splits `a, "b,c", [d, e], {f=g}) = 0 ...` at top-level commas up to the closing parenthesis.
 * Returns the raw arguments and the text after the parenthesis, or undefined if the call is not closed.
 */
export function splitArgs(text: string, start: number, close = ')'): { args: string[]; after: string; closed: boolean } {
  const args: string[] = [];
  let depth = 0;
  let inString = false;
  let argStart = start;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (depth > 0 && (ch === ')' || ch === ']' || ch === '}')) depth--;
    else if (depth === 0 && ch === close) {
      const last = text.slice(argStart, i).trim();
      if (last !== '' || args.length > 0) args.push(last);
      return { args, after: text.slice(i + 1), closed: true };
    } else if (depth === 0 && ch === ',') {
      args.push(text.slice(argStart, i).trim());
      argStart = i + 1;
    }
  }
  const rest = text.slice(argStart).trim();
  if (rest !== '') args.push(rest);
  return { args, after: '', closed: false };
}

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, e: 27, '\\': 92, '"': 34, "'": 39, '?': 63 };

/**
 * Decodes a C string literal as strace prints it (`"a\x41\101\"..."`), bytes read as UTF-8.
 * Returns undefined when the argument is not a string (a pointer such as `0x7ffd...` or `NULL`).
 */
export function decodeCString(raw: string, max = PATH_MAX): { value: string; truncated: boolean } | undefined {
  let i = raw.startsWith('@"') ? 1 : 0;
  if (raw[i] !== '"') return undefined;
  const bytes: number[] = [];
  const limit = max * 4;
  for (i++; i < raw.length && bytes.length < limit; i++) {
    const ch = raw[i] ?? '';
    if (ch === '"') {
      const value = Buffer.from(bytes).toString('utf8');
      const cut = raw.startsWith('...', i + 1) || value.length > max;
      return { value: value.slice(0, max), truncated: cut };
    }
    if (ch !== '\\') {
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
      continue;
    }
    const next = raw[i + 1] ?? '';
    if (next === 'x') {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(raw.slice(i + 2, i + 4));
      if (!hex) return undefined;
      bytes.push(parseInt(hex[0], 16));
      i += 1 + hex[0].length;
    } else if (next >= '0' && next <= '7') {
      const oct = /^[0-7]{1,3}/.exec(raw.slice(i + 1, i + 4)) ?? ['0'];
      bytes.push(parseInt(oct[0], 8) & 0xff);
      i += oct[0].length;
    } else {
      bytes.push(SIMPLE_ESCAPES[next] ?? next.charCodeAt(0) & 0xff);
      i += 1;
    }
  }
  // No closing quote: the line was cut; keep what was read.
  return { value: Buffer.from(bytes).toString('utf8').slice(0, max), truncated: true };
}

function parseCall(pid: number, text: string, cut: boolean): Call | undefined {
  const name = /^[a-z_][a-z0-9_]{0,31}(?=\()/.exec(text);
  if (!name) return undefined;
  const split = splitArgs(text, name[0].length + 1);
  // An unclosed call is garbage, unless we cut the line ourselves: then its leading arguments still count.
  if (!split.closed && !cut) return undefined;
  const result = /^\s*=\s*(-?\d+|0x[0-9a-f]+|\?)(?:\s+([A-Z][A-Z0-9_]{0,30}))?/.exec(split.after);
  return { pid, name: name[0], args: split.args, ret: result?.[1], errno: result?.[2] };
}

const bound = (s: string, max: number): string => (s.length > max ? s.slice(0, max) : s);

function stringArg(raw: string | undefined, max = PATH_MAX): string | undefined {
  return raw === undefined ? undefined : decodeCString(raw, max)?.value;
}

function arrayArg(raw: string | undefined): string[] {
  if (raw === undefined || !raw.startsWith('[')) return [];
  const split = splitArgs(raw, 1, ']');
  const out: string[] = [];
  for (const item of split.args) {
    if (out.length >= ARGV_MAX) break;
    const value = stringArg(item, ARG_MAX);
    if (value !== undefined) out.push(value);
  }
  return out;
}

const WRITE_FLAGS = /\bO_(?:WRONLY|RDWR|CREAT|TRUNC|APPEND)\b/;

function succeeded(call: Call): boolean {
  return call.ret !== undefined && call.ret !== '?' && !call.ret.startsWith('-');
}

function withErrno<T extends object>(event: T, call: Call): T & { errno?: string } {
  return call.errno !== undefined && !succeeded(call) ? { ...event, errno: call.errno } : event;
}

/** `{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("1.2.3.4")}` and the inet6/unix forms. */
export function parseSockaddr(raw: string | undefined): { family: 'inet' | 'inet6' | 'unix' | 'other'; address: string; port?: number } | undefined {
  if (raw === undefined || !raw.startsWith('{')) return undefined;
  const fields = splitArgs(raw, 1, '}');
  if (!fields.closed) return undefined;
  const get = (key: string): string | undefined => fields.args.find((f) => f.startsWith(`${key}=`))?.slice(key.length + 1);
  const familyRaw = get('sa_family') ?? '';
  const portRaw = /^htons\((\d{1,5})\)$/.exec(get('sin6_port') ?? get('sin_port') ?? '');
  const port = portRaw ? Number(portRaw[1]) : undefined;
  const withPort = (family: 'inet' | 'inet6', address: string) =>
    port !== undefined && port <= 65535 ? { family, address, port } : { family, address };
  if (familyRaw === 'AF_INET') {
    const addr = /^inet_addr\(("[^"]{0,64}")\)$/.exec(get('sin_addr') ?? '');
    return withPort('inet', stringArg(addr?.[1], ADDRESS_MAX) ?? '');
  }
  if (familyRaw === 'AF_INET6') {
    const pton = fields.args.find((f) => f.startsWith('inet_pton(AF_INET6'));
    const addr = pton ? /"([0-9a-fA-F:.]{0,64})"/.exec(pton)?.[1] : undefined;
    return withPort('inet6', addr ?? '');
  }
  if (familyRaw === 'AF_UNIX' || familyRaw === 'AF_LOCAL') {
    const sunRaw = get('sun_path');
    const sun = stringArg(sunRaw, ADDRESS_MAX);
    return { family: 'unix', address: sunRaw?.startsWith('@') ? `@${sun ?? ''}` : sun ?? '' };
  }
  return { family: 'other', address: bound(familyRaw, 64) };
}

function toEvent(call: Call, phase: SandboxPhase): SandboxEvent | undefined {
  const { pid } = call;
  switch (call.name) {
    case 'execve': {
      const path = stringArg(call.args[0]);
      if (path === undefined) return undefined;
      return { type: 'exec', phase, pid, path, argv: arrayArg(call.args[1]) };
    }
    case 'open':
    case 'openat': {
      const offset = call.name === 'openat' ? 1 : 0;
      const rawPath = stringArg(call.args[offset]);
      if (rawPath === undefined) return undefined;
      const write = WRITE_FLAGS.test(bound(call.args[offset + 1] ?? '', 512));
      return withErrno({ type: 'open' as const, phase, pid, path: rawPath, write, ok: succeeded(call) }, call);
    }
    case 'connect':
    case 'sendto': {
      // sendto on a connected socket carries no address: the connect() already produced the event.
      const addr = parseSockaddr(call.name === 'connect' ? call.args[1] : call.args[4]);
      if (!addr) return undefined;
      return withErrno({ type: 'connect' as const, phase, pid, ...addr, address: bound(addr.address, ADDRESS_MAX), ok: succeeded(call) }, call);
    }
    case 'kill': {
      const target = Number(call.args[0]);
      const signal = call.args[1] ?? '';
      if (!Number.isInteger(target) || !/^(?:SIG[A-Z0-9+]{1,16}|\d{1,3})$/.test(signal)) return undefined;
      return { type: 'signal', phase, pid: target, signal };
    }
    default:
      return undefined;
  }
}

type LineKind = { kind: 'call'; call: Call } | { kind: 'event'; event: SandboxEvent } | { kind: 'notice' } | { kind: 'garbage' } | { kind: 'unmatched' };

/** Accumulates lines; one instance per trace file. */
export class StraceParser {
  private readonly pending = new Map<string, string>();
  private readonly opts: Required<StraceParseOptions>;
  readonly result: StraceParseResult = { events: [], truncated: false, garbage: 0, oversized: 0, unmatched: 0 };

  constructor(options: StraceParseOptions) {
    this.opts = { ...STRACE_DEFAULTS, ...options };
  }

  push(rawLine: string): void {
    if (this.result.truncated) return;
    let line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const cut = line.length > this.opts.maxLineChars;
    if (cut) {
      this.result.oversized++;
      line = line.slice(0, this.opts.maxLineChars);
    }
    if (line.trim() === '') return;
    const parsed = this.classify(line, cut);
    if (parsed.kind === 'garbage') this.result.garbage++;
    else if (parsed.kind === 'unmatched') this.result.unmatched++;
    else if (parsed.kind === 'event') this.add(parsed.event);
    else if (parsed.kind === 'call') {
      const event = toEvent(parsed.call, this.opts.phase);
      if (event) this.add(event);
    }
  }

  finish(): StraceParseResult {
    this.result.unmatched += this.pending.size;
    this.pending.clear();
    return this.result;
  }

  private add(event: SandboxEvent): void {
    const checked = SandboxEventSchema.safeParse(event);
    if (!checked.success) {
      this.result.garbage++;
      return;
    }
    if (this.result.events.length >= this.opts.maxEvents) {
      this.result.truncated = true;
      return;
    }
    this.result.events.push(checked.data);
  }

  private classify(line: string, cut: boolean): LineKind {
    const { pid, rest } = splitPrefix(line);
    if (rest.startsWith('--- ')) return { kind: 'notice' };
    if (rest.startsWith('+++ ')) {
      const killed = /^\+\+\+ killed by (SIG[A-Z0-9]{1,16})/.exec(rest);
      return killed?.[1] ? { kind: 'event', event: { type: 'signal', phase: this.opts.phase, pid, signal: killed[1] } } : { kind: 'notice' };
    }
    const resumed = /^<\.\.\. ([a-z_][a-z0-9_]{0,31}) resumed>/.exec(rest);
    if (resumed?.[1]) {
      const key = `${pid}:${resumed[1]}`;
      const head = this.pending.get(key);
      if (head === undefined) return { kind: 'unmatched' };
      this.pending.delete(key);
      const joined = head + rest.slice(resumed[0].length);
      return this.callOrGarbage(pid, joined.slice(0, this.opts.maxLineChars * 2), cut);
    }
    const unfinished = rest.endsWith('<unfinished ...>');
    if (unfinished) {
      const head = rest.slice(0, -'<unfinished ...>'.length).trimEnd();
      const name = /^[a-z_][a-z0-9_]{0,31}(?=\()/.exec(head);
      if (!name) return { kind: 'garbage' };
      if (this.pending.size >= this.opts.maxPending) return { kind: 'unmatched' };
      // A later call by the same pid replaces an abandoned one.
      this.pending.set(`${pid}:${name[0]}`, head);
      return { kind: 'notice' };
    }
    if (/^strace: /.test(rest) || rest.startsWith('???')) return { kind: 'notice' };
    return this.callOrGarbage(pid, rest, cut);
  }

  private callOrGarbage(pid: number, text: string, cut: boolean): LineKind {
    const call = parseCall(pid, text, cut);
    if (!call) return { kind: 'garbage' };
    if (!(STRACE_SYSCALLS as readonly string[]).includes(call.name)) return { kind: 'notice' };
    return { kind: 'call', call };
  }
}

/** Parses a whole trace file's text. */
export function parseStrace(text: string, options: StraceParseOptions): StraceParseResult {
  const parser = new StraceParser(options);
  let start = 0;
  while (start < text.length && !parser.result.truncated) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    parser.push(text.slice(start, end));
    start = end + 1;
  }
  return parser.finish();
}

// ---------------------------------------------------------------------------------------------------
// Sensitive paths

export const SENSITIVE_CATEGORIES = ['ssh', 'cloud-credentials', 'package-token', 'dotenv', 'mcp-config', 'system-secrets', 'browser-profile', 'keychain', 'shell-history', 'git-credentials', 'crypto-wallet'] as const;
export type SensitiveCategory = (typeof SENSITIVE_CATEGORIES)[number];

interface SensitiveRule {
  category: SensitiveCategory;
  /** Matched against the normalised path with the home directory replaced by `~`. */
  test: (p: string) => boolean;
}

const under = (prefix: string) => (p: string) => p === prefix || p.startsWith(`${prefix}/`);
const base = (names: string[]) => (p: string) => names.includes(posix.basename(p));

const SENSITIVE_RULES: SensitiveRule[] = [
  { category: 'ssh', test: (p) => under('~/.ssh')(p) || under('/etc/ssh')(p) && /_key$/.test(p) },
  { category: 'cloud-credentials', test: (p) => ['~/.aws', '~/.azure', '~/.config/gcloud', '~/.kube', '~/.docker/config.json', '~/.config/doctl'].some((x) => under(x)(p)) },
  { category: 'package-token', test: (p) => base(['.npmrc', '.yarnrc', '.yarnrc.yml', '.pypirc'])(p) || under('~/.cargo/credentials')(p) || under('~/.config/gh')(p) },
  { category: 'git-credentials', test: (p) => base(['.git-credentials', '.netrc'])(p) },
  { category: 'dotenv', test: (p) => /^\.env(?:\.[A-Za-z0-9_-]{1,32})?$/.test(posix.basename(p)) },
  {
    category: 'mcp-config',
    test: (p) =>
      ['~/.cursor/mcp.json', '~/.config/Claude/claude_desktop_config.json', '~/Library/Application Support/Claude/claude_desktop_config.json', '~/.codeium/windsurf/mcp_config.json', '~/.claude.json', '~/.vscode/mcp.json', '~/.config/Code/User/mcp.json', '~/.continue/config.json'].includes(p) ||
      posix.basename(p) === 'claude_desktop_config.json' || p.endsWith('/.cursor/mcp.json') || p.endsWith('/.vscode/mcp.json'),
  },
  { category: 'system-secrets', test: (p) => ['/etc/shadow', '/etc/gshadow', '/etc/sudoers', '/etc/master.passwd'].includes(p) || under('/etc/sudoers.d')(p) || /^\/proc\/(?:\d+|self)\/environ$/.test(p) },
  {
    category: 'browser-profile',
    test: (p) => ['~/.mozilla', '~/.config/google-chrome', '~/.config/chromium', '~/.config/BraveSoftware', '~/Library/Application Support/Google/Chrome', '~/Library/Application Support/Firefox'].some((x) => under(x)(p)),
  },
  { category: 'keychain', test: (p) => under('~/Library/Keychains')(p) || under('~/.local/share/keyrings')(p) || under('~/.gnupg')(p) || under('~/.password-store')(p) },
  { category: 'shell-history', test: base(['.bash_history', '.zsh_history', '.python_history', '.node_repl_history']) },
  { category: 'crypto-wallet', test: (p) => ['~/.bitcoin', '~/.ethereum', '~/.config/solana', '~/.electrum'].some((x) => under(x)(p)) },
];

/** Normalises a traced path for matching: resolves `.`/`..`, maps the home directory to `~`. */
export function normaliseTracedPath(p: string, home: string): string {
  const norm = posix.normalize(p);
  const h = posix.normalize(home).replace(/\/$/, '');
  if (norm === h) return '~';
  if (norm.startsWith(`${h}/`)) return `~${norm.slice(h.length)}`;
  return norm;
}

/** Which kind of secret a path holds, or undefined for an ordinary path. */
export function classifySensitivePath(p: string, home: string): SensitiveCategory | undefined {
  const norm = normaliseTracedPath(bound(p, PATH_MAX), home);
  return SENSITIVE_RULES.find((rule) => rule.test(norm))?.category;
}

// ---------------------------------------------------------------------------------------------------
// Events the harness reports itself (DNS names, captured bytes)

export const HARNESS_MARKER_BEGIN = '@@ASSAY-EVENTS-BEGIN';
export const HARNESS_MARKER_END = '@@ASSAY-EVENTS-END';

export interface HarnessEventsResult {
  events: SandboxEvent[];
  garbage: number;
  truncated: boolean;
}

/** Parses `events.jsonl` as the harness writes it; lines that fail the schema are counted and dropped. */
export function parseHarnessEvents(text: string, maxEvents: number = STRACE_DEFAULTS.maxEvents): HarnessEventsResult {
  const result: HarnessEventsResult = { events: [], garbage: 0, truncated: false };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.length > 16_384) {
      result.garbage++;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      result.garbage++;
      continue;
    }
    const checked = SandboxEventSchema.safeParse(value);
    if (!checked.success || (checked.data.type !== 'dns' && checked.data.type !== 'capture')) {
      result.garbage++;
      continue;
    }
    if (result.events.length >= maxEvents) {
      result.truncated = true;
      break;
    }
    result.events.push(checked.data);
  }
  return result;
}

/**
 * Finds the harness's event block in the container's stderr (the fallback when /out could not be read).
 * The server shares that stream and can print fake markers, so only a block whose begin and end carry
 * the same nonce and whose end states the right line count is taken; the last such block wins because
 * the harness prints after the server exited.
 */
export function extractHarnessBlock(stderr: string): string | undefined {
  const lines = stderr.split('\n');
  for (let end = lines.length - 1; end >= 0; end--) {
    const tail = /^@@ASSAY-EVENTS-END ([0-9a-f]{32}) (\d{1,6})$/.exec(lines[end] ?? '');
    if (!tail) continue;
    const count = Number(tail[2]);
    const beginIndex = end - count - 1;
    if (beginIndex < 0) continue;
    if (lines[beginIndex] !== `${HARNESS_MARKER_BEGIN} ${tail[1]}`) continue;
    return lines.slice(beginIndex + 1, end).join('\n');
  }
  return undefined;
}
