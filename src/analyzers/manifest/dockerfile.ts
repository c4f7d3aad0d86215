/**
 * Dockerfile and Containerfile red flags: downloads piped into a shell, ADD of a URL, and credentials
 * set with ENV or ARG. The parser joins continuation lines and heredocs with bounded loops and never
 * uses a regular expression over a whole instruction that could backtrack.
 */
import path from 'node:path';
import type { Hit } from './rules.js';
import { RULES } from './rules.js';
import { analyzeCommand, excerptAround, splitWords } from './shell.js';
import { REDACTED } from '../../core/text.js';
import { isLiteralSecret, show } from './values.js';

export interface Instruction {
  /** Upper-cased keyword: RUN, ENV, ADD… */
  keyword: string;
  args: string;
  /** 1-based line where the instruction starts. */
  line: number;
}

const MAX_LINES = 100_000;
const MAX_INSTRUCTION_CHARS = 64 * 1024;
const MAX_HEREDOC_LINES = 10_000;
const DIRECTIVE = /^#\s{0,10}([a-z]{1,20})\s{0,10}=\s{0,10}(\S{1,100})\s{0,10}$/i;
const HEREDOC = /<<-?\s{0,4}["']?([A-Za-z_][A-Za-z0-9_]{0,30})["']?/;

/** Dockerfile, Containerfile, Dockerfile.dev, app.dockerfile — anywhere except inside node_modules. */
export function isDockerfilePath(file: string): boolean {
  if (file.split('/').includes('node_modules')) return false;
  const base = path.posix.basename(file);
  return /^(?:dockerfile|containerfile)(?:[._-][A-Za-z0-9._-]{1,60})?$/i.test(base) || /\.(?:dockerfile|containerfile)$/i.test(base);
}

function escapeCharOf(lines: readonly string[]): string {
  // Parser directives must come first, before any instruction or ordinary comment.
  for (const line of lines.slice(0, 10)) {
    const m = DIRECTIVE.exec(line.trim());
    if (!m) return '\\';
    if (m[1]?.toLowerCase() === 'escape' && (m[2] === '`' || m[2] === '\\')) return m[2];
  }
  return '\\';
}

function endsWithEscape(line: string, escape: string): boolean {
  return line.trimEnd().endsWith(escape);
}

/** Splits a Dockerfile into instructions, joining `\` continuations and `<<EOF` heredocs. */
export function parseDockerfile(text: string): Instruction[] {
  const lines = text.split('\n', MAX_LINES).map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const escape = escapeCharOf(lines);
  const instructions: Instruction[] = [];
  let i = 0;
  while (i < lines.length) {
    const first = (lines[i] ?? '').trim();
    const startLine = i + 1;
    i += 1;
    if (first.length === 0 || first.startsWith('#')) continue;
    let body = first;
    while (endsWithEscape(body, escape) && i < lines.length && body.length < MAX_INSTRUCTION_CHARS) {
      body = body.trimEnd().slice(0, -escape.length).trimEnd();
      const next = (lines[i] ?? '').trim();
      i += 1;
      // Comment and empty lines inside a continuation are dropped by Docker, not ended on.
      if (next.startsWith('#') || next.length === 0) {
        body += escape;
        continue;
      }
      body += ` ${next}`;
    }
    if (endsWithEscape(body, escape)) body = body.trimEnd().slice(0, -escape.length);
    const space = body.search(/\s/);
    const keyword = (space < 0 ? body : body.slice(0, space)).toUpperCase();
    let args = space < 0 ? '' : body.slice(space + 1).trim();
    const heredoc = keyword === 'RUN' ? HEREDOC.exec(args.slice(0, 2000)) : null;
    if (heredoc?.[1]) {
      const terminator = heredoc[1];
      const collected: string[] = [];
      while (i < lines.length && collected.length < MAX_HEREDOC_LINES && (lines[i] ?? '').trim() !== terminator) {
        collected.push(lines[i] ?? '');
        i += 1;
      }
      i += 1;
      args = `${args}\n${collected.join('\n')}`.slice(0, MAX_INSTRUCTION_CHARS);
    }
    instructions.push({ keyword, args: args.slice(0, MAX_INSTRUCTION_CHARS), line: startLine });
  }
  return instructions;
}

/** Exec form `["sh", "-c", "…"]` as a shell line with each word quoted, so the splitter reads it right. */
function execFormAsShell(args: string): string | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const words: unknown = JSON.parse(args);
    if (!Array.isArray(words) || !words.every((w) => typeof w === 'string')) return undefined;
    return words.map((w: string) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  } catch {
    return undefined;
  }
}

const SECRET_WORDS = new Set(['KEY', 'APIKEY', 'TOKEN', 'SECRET', 'SECRETS', 'PASSWORD', 'PASSWD', 'PASS', 'PASSPHRASE', 'CREDENTIAL', 'CREDENTIALS', 'PRIVATEKEY', 'ACCESSKEY', 'AUTHTOKEN']);
const NOT_SECRET_WORDS = new Set(['PUBLIC', 'GPG', 'PGP', 'FINGERPRINT']);
// Names ending like these hold where a secret is, or what kind it is, not the secret.
const NOT_SECRET_SUFFIXES = new Set(['FILE', 'PATH', 'DIR', 'URL', 'URI', 'ENDPOINT', 'HOST', 'PORT', 'NAME', 'ID', 'TYPE', 'LENGTH', 'SIZE', 'ALGORITHM', 'FORMAT', 'REGION', 'HEADER', 'VERSION', 'ENABLED', 'MODE', 'EXPIRY', 'TTL']);

/** Whether an ENV/ARG name says it holds a credential (API_KEY, GITHUB_TOKEN, dbPassword). */
export function isSecretName(name: string): boolean {
  const words = name
    .slice(0, 200)
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((w) => w.length > 0);
  if (words.length === 0 || words.some((w) => NOT_SECRET_WORDS.has(w))) return false;
  if (NOT_SECRET_SUFFIXES.has(words[words.length - 1] ?? '')) return false;
  return words.some((w) => SECRET_WORDS.has(w));
}

/** NAME=value pairs of ENV (both forms) and ARG. */
export function assignments(keyword: string, args: string): { name: string; value: string | undefined }[] {
  const words = splitWords(args);
  const first = words[0];
  if (first === undefined) return [];
  if (keyword === 'ENV' && !first.includes('=')) {
    // Legacy `ENV NAME value with spaces`.
    return [{ name: first, value: words.slice(1).join(' ') }];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    return eq < 0 ? { name: word, value: undefined } : { name: word.slice(0, eq), value: word.slice(eq + 1) };
  });
}

function runHits(file: string, ins: Instruction): Hit[] {
  const command = execFormAsShell(ins.args) ?? ins.args;
  const found = analyzeCommand(command).downloadExec;
  if (!found || (found.via !== 'pipe' && found.via !== 'substitution' && found.via !== 'powershell')) return [];
  return [
    {
      rule: RULES.dockerPipeShell,
      file,
      line: ins.line,
      evidence: `RUN ${show(excerptAround(command, found.at))}`,
      message: `RUN: ${found.reason}`,
    },
  ];
}

function addHits(file: string, ins: Instruction): Hit[] {
  const exec = execFormAsShell(ins.args);
  const words = splitWords(exec ?? ins.args);
  if (words.some((w) => w.startsWith('--checksum='))) return [];
  const sources = words.filter((w) => !w.startsWith('--')).slice(0, -1);
  const remote = sources.find((w) => /^https?:\/\//i.test(w));
  if (remote === undefined) return [];
  return [{ rule: RULES.dockerAddUrl, file, line: ins.line, evidence: `ADD ${show(remote, 150)}`, message: `ADD fetches ${show(remote, 150)} at build time without a checksum` }];
}

function secretHits(file: string, ins: Instruction): Hit[] {
  const hits: Hit[] = [];
  for (const { name, value } of assignments(ins.keyword, ins.args)) {
    if (value === undefined || !isSecretName(name) || !isLiteralSecret(value)) continue;
    hits.push({
      rule: RULES.dockerSecret,
      file,
      line: ins.line,
      // Never the value: not in evidence, not in the message, not in the fingerprint.
      evidence: `${ins.keyword} ${show(name, 80)}=${REDACTED}`,
      message: `${ins.keyword} sets ${show(name, 80)} to a literal value that stays in the image`,
    });
  }
  return hits;
}

export function checkDockerfile(file: string, text: string): Hit[] {
  const hits: Hit[] = [];
  for (const ins of parseDockerfile(text)) {
    if (ins.keyword === 'RUN') hits.push(...runHits(file, ins));
    else if (ins.keyword === 'ADD') hits.push(...addHits(file, ins));
    else if (ins.keyword === 'ENV' || ins.keyword === 'ARG') hits.push(...secretHits(file, ins));
  }
  return hits;
}
