/**
 * Reads shell command lines from package scripts and Dockerfile RUN steps without running them. A small
 * quote-aware splitter, not a full shell: enough to tell "curl … | sh" from "curl -o x", and linear in
 * the input so hostile scripts cannot make it slow.
 */
import { hasHiddenCharacters } from '../../core/text.js';

/** Commands longer than this are read at the start and the end only. */
export const MAX_COMMAND_CHARS = 64 * 1024;
// Generous: a cap that dropped later segments would let padding hide a payload. The text cap bounds the work.
const MAX_SEGMENTS = 50_000;
const MAX_WORDS = 256;
const MAX_NESTING = 3;
const MIN_BLOB_CHARS = 200;
const MIN_HEX_ESCAPES = 40;

export interface Segment {
  text: string;
  /** Offset of the segment in the analysed text, for excerpts. */
  start: number;
}

/** How a download reaches execution: piped or substituted into a shell, a package runner, inline code, a saved file. */
export type DownloadVia = 'pipe' | 'substitution' | 'powershell' | 'package' | 'inline' | 'file';

export interface Signal {
  reason: string;
  /** Offset in the top-level command where the sign was seen. */
  at: number;
  via?: DownloadVia;
}

export interface RunFile {
  /** The file as written in the script (quotes removed). */
  path: string;
  runner: string;
  at: number;
  /**
   * An earlier step of the same script builds files (tsc, npm run build…) or changes directory, so
   * whether the file exists cannot be told from the package alone.
   */
  uncertain: boolean;
}

export interface CommandAnalysis {
  downloadExec?: Signal;
  obfuscated?: Signal;
  network?: Signal;
  runsFiles: RunFile[];
}

export interface CommandContext {
  /** Package names the manifest declares; npx of one of them runs the local copy. */
  declared: ReadonlySet<string>;
}

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'fish', 'csh', 'tcsh', 'busybox']);
const JS_RUNTIMES = new Set(['node', 'nodejs', 'bun', 'deno']);
const SCRIPT_RUNTIMES = new Set(['python', 'python2', 'python3', 'perl', 'ruby', 'php']);
const POWERSHELLS = new Set(['powershell', 'pwsh']);
const STDIN_INTERPRETERS = new Set([
  ...SHELLS,
  ...JS_RUNTIMES,
  ...SCRIPT_RUNTIMES,
  ...POWERSHELLS,
  'iex',
  'invoke-expression',
  'cmd',
  'source',
  '.',
]);
const DOWNLOADERS = new Set(['curl', 'wget', 'iwr', 'irm', 'invoke-webrequest', 'invoke-restmethod', 'aria2c', 'fetch', 'start-bitstransfer']);
const NETWORK_COMMANDS = new Set([...DOWNLOADERS, 'nc', 'ncat', 'netcat', 'telnet', 'ftp', 'tftp', 'scp', 'sftp', 'rsync', 'ssh', 'socat', 'bitsadmin']);
const PRINT_COMMANDS = new Set(['echo', 'printf', 'true', ':', 'opencollective-postinstall', 'opencollective']);
const WRAPPERS = new Set(['sudo', 'env', 'exec', 'command', 'nohup', 'time', 'nice', 'cross-env', 'doas', 'builtin']);
const BUILD_COMMANDS = new Set(['tsc', 'esbuild', 'rollup', 'webpack', 'babel', 'swc', 'tsup', 'vite', 'make', 'cmake', 'node-gyp', 'cmake-js', 'prebuild', 'unbuild', 'ncc']);
/** Bins that install hooks commonly call through npx; they are not a download of unknown code. */
const KNOWN_TOOL_BINS = new Set([
  'tsc',
  'typescript',
  'husky',
  'patch-package',
  'node-gyp',
  'node-pre-gyp',
  '@mapbox/node-pre-gyp',
  'prebuild-install',
  'only-allow',
  'rimraf',
  'shx',
  'cross-env',
  'npm-run-all',
  'run-s',
  'run-p',
  'concurrently',
  'prisma',
  'playwright',
  'esbuild',
  'tsx',
  'ts-node',
  'lerna',
  'turbo',
  'nx',
  'tsup',
  'lefthook',
  'simple-git-hooks',
  'is-ci',
  'opencollective-postinstall',
]);

// Each pattern has bounded repetition only: they run over attacker text.
const URL_RE = /\b(?:https?|ftp|wss?):\/\/[^\s'"`]{1,200}/i;
const DEV_TCP_RE = /\/dev\/(?:tcp|udp)\//;
const SUBST_DOWNLOAD_RE = /(?:\$\(|`|<\()\s{0,20}(?:sudo\s{1,5})?(?:curl|wget|iwr|irm|invoke-webrequest|invoke-restmethod)\b/i;
const SUBST_DECODE_RE = /(?:\$\(|`|<\()[^)`]{0,400}?\b(?:base64\s{1,10}(?:-d|-D|--decode)|xxd\s{1,10}-r|openssl\s{1,10}(?:base64|enc)\b)/i;
const PS_EXEC_RE = /\b(?:iex|invoke-expression)\b/i;
const PS_DOWNLOAD_RE = /\b(?:downloadstring|downloaddata|invoke-webrequest|invoke-restmethod|iwr|irm|net\.webclient)\b/i;
const NET_CODE_RE =
  /\bfetch\s{0,4}\(|\brequire\s{0,4}\(\s{0,4}['"`](?:node:)?(?:https?|net|tls|dgram)['"`]|\bimport\s{0,4}\(\s{0,4}['"`](?:node:)?(?:https?|net)['"`]|\bhttps?\s{0,4}\.\s{0,4}(?:get|request)\s{0,4}\(|\burllib\b|\burlopen\b|\brequests\s{0,4}\.\s{0,4}(?:get|post)\b|\bsocket\s{0,4}\.|\bLWP::|\bNet::HTTP\b|\bopen-uri\b/;
const EXEC_CODE_RE =
  /\beval\b|\bFunction\s{0,4}\(|\bvm\s{0,4}\.\s{0,4}run|\brequire\s{0,4}\(\s{0,4}['"`](?:node:)?(?:vm|child_process)['"`]|\bimport\s{0,4}\(\s{0,4}['"`](?:node:)?child_process['"`]|\bexec(?:Sync|File|FileSync)?\s{0,4}\(|\bspawn(?:Sync)?\s{0,4}\(|\bos\s{0,4}\.\s{0,4}system\s{0,4}\(|\bsubprocess\b|\bsystem\s{0,4}\(|\bcompile\s{0,4}\(/;
const DECODE_CODE_RE =
  /\bBuffer\s{0,4}\.\s{0,4}from\b[^;]{0,400}?['"`](?:base64|base64url|hex)['"`]|\batob\s{0,4}\(|\bString\s{0,4}\.\s{0,4}fromCharCode\b|\bb64decode\b|\bdecodebytes\b|\bcodecs\s{0,4}\.\s{0,4}decode\b|\bunhexlify\b|\bdecode_base64\b|\bunpack\s{0,4}\(\s{0,4}['"][mH]/;
const HEX_ESCAPE_RE = /\\x[0-9a-fA-F]{2}/g;

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v';
}

/**
 * Splits a command line into pipelines (separated by ;, &&, ||, &, newlines) of segments (separated by
 * |). Quotes, `$( )`, `<( )` and backticks keep their content in one segment.
 */
export function splitPipelines(text: string): Segment[][] {
  const pipelines: Segment[][] = [];
  let current: Segment[] = [];
  let start = 0;
  let quote: string | undefined;
  let depth = 0;
  let backtick = false;
  let count = 0;

  const cut = (end: number, endsPipeline: boolean): void => {
    const raw = text.slice(start, end);
    if (raw.trim().length > 0 && count < MAX_SEGMENTS) {
      current.push({ text: raw, start });
      count += 1;
    }
    if (endsPipeline && current.length > 0) {
      pipelines.push(current);
      current = [];
    }
  };

  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] ?? '';
    const next = text[i + 1] ?? '';
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      continue;
    }
    if (ch === '\\') {
      i += 1;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      continue;
    }
    if (ch === '`') {
      backtick = !backtick;
      continue;
    }
    if ((ch === '$' || ch === '<' || ch === '>') && next === '(') {
      depth += 1;
      i += 1;
      continue;
    }
    if (ch === ')' && depth > 0) {
      depth -= 1;
      continue;
    }
    if (depth > 0 || backtick) continue;
    const prev = text[i - 1] ?? '';
    if (ch === '\n' || ch === ';') {
      cut(i, true);
      start = i + 1;
    } else if ((ch === '&' && next === '&') || (ch === '|' && next === '|')) {
      cut(i, true);
      start = i + 2;
      i += 1;
    } else if (ch === '|') {
      cut(i, false);
      start = next === '&' ? i + 2 : i + 1;
      if (next === '&') i += 1;
    } else if (ch === '&' && prev !== '>' && prev !== '<' && next !== '>') {
      cut(i, true);
      start = i + 1;
    }
  }
  cut(text.length, true);
  return pipelines;
}

/** Splits one segment into words the way a shell would, removing quotes. */
export function splitWords(segment: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: string | undefined;
  let depth = 0;
  let backtick = false;
  for (let i = 0; i < segment.length && words.length < MAX_WORDS; i += 1) {
    const ch = segment[i] ?? '';
    const next = segment[i + 1] ?? '';
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else current += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '\\' && (next === '"' || next === '\\' || next === '$' || next === '`')) {
        current += next;
        i += 1;
      } else if (ch === '"') quote = undefined;
      else current += ch;
      continue;
    }
    if (ch === '\\') {
      current += next;
      inWord = true;
      i += 1;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
      continue;
    }
    if ((ch === '$' || ch === '<' || ch === '>') && next === '(') {
      depth += 1;
      current += `${ch}(`;
      inWord = true;
      i += 1;
      continue;
    }
    if (ch === ')' && depth > 0) depth -= 1;
    if (ch === '`') backtick = !backtick;
    if (depth === 0 && !backtick && isSpace(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
      continue;
    }
    current += ch;
    inWord = true;
  }
  if (inWord && words.length < MAX_WORDS) words.push(current);
  return words;
}

function baseName(word: string): string {
  const slash = Math.max(word.lastIndexOf('/'), word.lastIndexOf('\\'));
  const name = (slash >= 0 ? word.slice(slash + 1) : word).toLowerCase();
  return name.endsWith('.exe') ? name.slice(0, -4) : name;
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]{0,100}=/;
const GROUPING = new Set(['(', '{', '!', '((', 'then', 'do', 'else', 'if', 'while', 'until']);

export interface Invocation {
  /** Lower-cased base name of the program, `.exe` removed. */
  name: string;
  /** The program word as written. */
  program: string;
  args: string[];
}

/** The program a segment runs, past variable assignments, grouping and wrappers such as sudo or env. */
export function invocationOf(words: readonly string[]): Invocation | undefined {
  let i = 0;
  while (i < words.length) {
    const word = words[i] ?? '';
    if (ASSIGNMENT.test(word) || GROUPING.has(word)) {
      i += 1;
      continue;
    }
    const name = baseName(word.replace(/^[({]+/, ''));
    if (WRAPPERS.has(name)) {
      i += 1;
      while (i < words.length && (words[i] ?? '').startsWith('-')) i += 1;
      continue;
    }
    if (name.length === 0) {
      i += 1;
      continue;
    }
    return { name, program: word, args: words.slice(i + 1).filter((w) => w !== ')' && w !== '}') };
  }
  return undefined;
}

const INLINE_FLAGS: Record<string, ReadonlySet<string>> = {
  js: new Set(['-e', '--eval', '-p', '--print']),
  python: new Set(['-c']),
  perl: new Set(['-e', '-E']),
  ruby: new Set(['-e']),
  php: new Set(['-r']),
};

function inlineFlagsFor(name: string): ReadonlySet<string> | undefined {
  if (JS_RUNTIMES.has(name)) return INLINE_FLAGS.js;
  if (name.startsWith('python')) return INLINE_FLAGS.python;
  if (name === 'perl') return INLINE_FLAGS.perl;
  if (name === 'ruby') return INLINE_FLAGS.ruby;
  if (name === 'php') return INLINE_FLAGS.php;
  return undefined;
}

/** The code passed inline (`node -e CODE`, `python -c CODE`), if any. */
function inlineCode(inv: Invocation): string | undefined {
  const flags = inlineFlagsFor(inv.name);
  if (!flags) return undefined;
  for (let i = 0; i < inv.args.length; i += 1) {
    const arg = inv.args[i] ?? '';
    if (flags.has(arg)) return inv.args[i + 1] ?? '';
    const eq = arg.indexOf('=');
    if (eq > 0 && flags.has(arg.slice(0, eq))) return arg.slice(eq + 1);
  }
  return undefined;
}

/** The `-c` string of `sh -c`, `cmd /c`, `powershell -Command`. */
function nestedCommand(inv: Invocation): string | undefined {
  const flags = SHELLS.has(inv.name)
    ? ['-c']
    : inv.name === 'cmd'
      ? ['/c', '/k', '/C', '/K']
      : POWERSHELLS.has(inv.name)
        ? ['-c', '-command', '-Command', '-C']
        : [];
  for (let i = 0; i < inv.args.length; i += 1) {
    const arg = inv.args[i] ?? '';
    const shellFlag = SHELLS.has(inv.name) && arg.startsWith('-') && !arg.startsWith('--') && arg.length <= 4 && arg.includes('c');
    // `sh -c CMD $0 $1`: only CMD is code. cmd and PowerShell take the rest of the line.
    if (shellFlag || flags.includes(arg)) return SHELLS.has(inv.name) ? (inv.args[i + 1] ?? '') : inv.args.slice(i + 1).join(' ');
  }
  return undefined;
}

const NODE_ARG_FLAGS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--env-file', '--inspect-port']);

/** The script file a runtime is asked to run (`node scripts/x.js`, `sh ./install.sh`), if any. */
function fileRunBy(inv: Invocation): string | undefined {
  const runsFiles = JS_RUNTIMES.has(inv.name) || SCRIPT_RUNTIMES.has(inv.name) || SHELLS.has(inv.name) || inv.name === 'ts-node' || inv.name === 'tsx';
  // `./setup.sh` runs a file; `/bin/sh x.sh` runs x.sh.
  if (isPathLike(inv.program) && !runsFiles) return inv.program;
  if (!runsFiles || inlineCode(inv) !== undefined) return undefined;
  if (SHELLS.has(inv.name) && nestedCommand(inv) !== undefined) return undefined;
  let i = 0;
  if ((inv.name === 'deno' || inv.name === 'bun') && (inv.args[0] === 'run' || inv.args[0] === 'x')) {
    if (inv.name === 'bun') return undefined;
    i = 1;
  }
  for (; i < inv.args.length; i += 1) {
    const arg = inv.args[i] ?? '';
    if (arg === '-m' && inv.name.startsWith('python')) return undefined;
    if (NODE_ARG_FLAGS.has(arg)) {
      i += 1;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return arg;
  }
  return undefined;
}

function isPathLike(word: string): boolean {
  if (word.startsWith('$') || word.startsWith('%')) return false;
  return word.startsWith('./') || word.startsWith('../') || word.startsWith('/') || (word.includes('/') && !word.includes('://'));
}

interface InstallSpec {
  /** remote: URL or git source; registry: a package from the registry. */
  source: 'remote' | 'registry' | 'local';
  name: string;
  pinned: boolean;
}

/** How npx / npm install read one argument: a URL, a git source, a path, or registry `name@range`. */
export function readInstallArg(arg: string): InstallSpec {
  const lower = arg.toLowerCase();
  if (/^(?:https?|git|git\+[a-z]{2,10}|ssh):/.test(lower) || /^(?:github|gitlab|bitbucket|gist):/.test(lower)) {
    return { source: 'remote', name: arg, pinned: true };
  }
  if (lower.startsWith('file:') || arg.startsWith('.') || arg.startsWith('/') || arg.startsWith('~')) {
    return { source: 'local', name: arg, pinned: false };
  }
  if (!arg.startsWith('@') && /^[^/@\s]{1,100}\/[^/@\s]{1,100}$/.test(arg)) return { source: 'remote', name: arg, pinned: true };
  const at = arg.indexOf('@', 1);
  return at > 0 ? { source: 'registry', name: arg.slice(0, at), pinned: true } : { source: 'registry', name: arg, pinned: false };
}

const NPX_NAMES = new Set(['npx', 'pnpx', 'bunx']);
const PACKAGE_FLAGS = new Set(['-p', '--package']);

interface PackageRun {
  specs: string[];
  yes: boolean;
  call?: string;
}

/** `npx X`, `npm exec X`, `pnpm dlx X`, `yarn dlx X`, `bun x X`: the packages fetched to run. */
function packageRunOf(inv: Invocation): PackageRun | undefined {
  let args: readonly string[];
  if (NPX_NAMES.has(inv.name)) args = inv.args;
  else if (inv.name === 'npm' && (inv.args[0] === 'exec' || inv.args[0] === 'x')) args = inv.args.slice(1);
  else if ((inv.name === 'pnpm' || inv.name === 'yarn') && inv.args[0] === 'dlx') args = inv.args.slice(1);
  else if (inv.name === 'bun' && inv.args[0] === 'x') args = inv.args.slice(1);
  else return undefined;
  const run: PackageRun = { specs: [], yes: false };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      if (args[i + 1] !== undefined && run.specs.length === 0) run.specs.push(args[i + 1] ?? '');
      break;
    }
    if (arg === '-y' || arg === '--yes') run.yes = true;
    else if (PACKAGE_FLAGS.has(arg)) {
      run.specs.push(args[i + 1] ?? '');
      i += 1;
    } else if (arg.startsWith('--package=')) run.specs.push(arg.slice('--package='.length));
    else if (arg === '-c' || arg === '--call') {
      run.call = args[i + 1] ?? '';
      i += 1;
    } else if (!arg.startsWith('-')) {
      if (run.specs.length === 0) run.specs.push(arg);
      break;
    }
  }
  return run;
}

/** `npm install X`, `yarn add X`, `pnpm add X`: the packages named on the command line. */
function installArgsOf(inv: Invocation): string[] | undefined {
  const sub = inv.args[0];
  const installs =
    (inv.name === 'npm' && (sub === 'install' || sub === 'i' || sub === 'add' || sub === 'ci')) ||
    ((inv.name === 'yarn' || inv.name === 'pnpm' || inv.name === 'bun') && (sub === 'add' || sub === 'install' || sub === 'i'));
  if (!installs) return undefined;
  return inv.args.slice(1).filter((a) => !a.startsWith('-'));
}

function isDecoder(inv: Invocation): boolean {
  const has = (flag: string): boolean => inv.args.includes(flag);
  if (inv.name === 'base64' || inv.name === 'base32') return has('-d') || has('-D') || has('--decode');
  if (inv.name === 'openssl') return inv.args.some((a) => a === 'base64' || a === 'enc') && has('-d');
  if (inv.name === 'xxd') return has('-r') || has('-rp');
  return inv.name === 'uudecode' || inv.name === 'gunzip' || inv.name === 'zcat' || (inv.name === 'gzip' && has('-d'));
}

function isInterpreterReadingStdin(inv: Invocation): boolean {
  if (!STDIN_INTERPRETERS.has(inv.name)) return false;
  // `sh -c CMD` and `node script.js` do not execute what is piped to them.
  if (nestedCommand(inv) !== undefined || inlineCode(inv) !== undefined) return false;
  if (SHELLS.has(inv.name) && inv.args.includes('-s')) return true;
  const file = fileRunBy(inv);
  return file === undefined || file === '-' || file === '/dev/stdin';
}

/** Files a downloader writes: `curl -o F`, `curl -O URL`, `wget -O F`, `wget URL`. */
function downloadedFiles(inv: Invocation): string[] {
  if (inv.name !== 'curl' && inv.name !== 'wget') return [];
  const files: string[] = [];
  let named = false;
  for (let i = 0; i < inv.args.length; i += 1) {
    const arg = inv.args[i] ?? '';
    const upperO = inv.name === 'curl' ? arg === '-o' || arg === '--output' : arg === '-O' || arg === '--output-document';
    if (upperO) {
      files.push(inv.args[i + 1] ?? '');
      named = true;
      i += 1;
    } else if (inv.name === 'wget' && arg.startsWith('--output-document=')) {
      files.push(arg.slice('--output-document='.length));
      named = true;
    }
  }
  const remoteName = inv.name === 'wget' ? !named : inv.args.includes('-O') || inv.args.includes('--remote-name');
  if (remoteName) {
    for (const arg of inv.args) {
      const m = /^https?:\/\/[^\s?#]{1,500}\/([^/\s?#]{1,200})(?:[?#]|$)/i.exec(arg);
      if (m?.[1]) files.push(m[1]);
    }
  }
  return files.filter((f) => f.length > 0 && f !== '-').map(normaliseRelative);
}

function normaliseRelative(file: string): string {
  let out = file;
  while (out.startsWith('./')) out = out.slice(2);
  return out;
}

function longestBlob(text: string): number {
  let best = 0;
  let run = 0;
  let classes = 0;
  const flush = (): void => {
    if (classes === 0b111 && run > best) best = run;
    run = 0;
    classes = 0;
  };
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    const digit = c >= 48 && c <= 57;
    const upper = c >= 65 && c <= 90;
    const lower = c >= 97 && c <= 122;
    if (digit || upper || lower || c === 43 || c === 47 || c === 61 || c === 95 || c === 45) {
      run += 1;
      classes |= (digit ? 1 : 0) | (upper ? 2 : 0) | (lower ? 4 : 0);
    } else flush();
  }
  flush();
  return best;
}

function longestHexRun(text: string): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    const hex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
    run = hex ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

function countMatches(text: string, re: RegExp, stopAt: number): number {
  re.lastIndex = 0;
  let n = 0;
  while (n < stopAt && re.exec(text) !== null) n += 1;
  re.lastIndex = 0;
  return n;
}

/** Encoded payloads that an honest command line never carries. */
export function encodedBlobReason(text: string): string | undefined {
  if (hasHiddenCharacters(text)) return 'contains control, bidi or zero-width characters that hide part of it';
  if (longestBlob(text) >= MIN_BLOB_CHARS) return `carries an encoded blob of ${MIN_BLOB_CHARS}+ characters`;
  if (longestHexRun(text) >= MIN_BLOB_CHARS) return `carries a hex blob of ${MIN_BLOB_CHARS}+ characters`;
  if (countMatches(text, HEX_ESCAPE_RE, MIN_HEX_ESCAPES) >= MIN_HEX_ESCAPES) return 'carries a long run of \\x escapes';
  return undefined;
}

class Collector {
  readonly result: CommandAnalysis = { runsFiles: [] };
  readonly downloaded = new Set<string>();

  downloadExec(reason: string, at: number, via: DownloadVia): void {
    this.result.downloadExec ??= { reason, at, via };
  }

  obfuscated(reason: string, at: number): void {
    this.result.obfuscated ??= { reason, at };
  }

  network(reason: string, at: number): void {
    this.result.network ??= { reason, at };
  }
}

const MAX_LITERALS = 50;
const MAX_LITERAL_CHARS = 4096;

/** String literals of inline code ('…', "…", `…`), which may hold the shell command it executes. */
export function stringLiterals(code: string): string[] {
  const literals: string[] = [];
  let i = 0;
  while (i < code.length && literals.length < MAX_LITERALS) {
    const quote = code[i];
    if (quote !== "'" && quote !== '"' && quote !== '`') {
      i += 1;
      continue;
    }
    let j = i + 1;
    while (j < code.length && code[j] !== quote) j += code[j] === '\\' ? 2 : 1;
    literals.push(code.slice(i + 1, Math.min(j, i + 1 + MAX_LITERAL_CHARS)));
    i = j + 1;
  }
  return literals;
}

function analyzeInline(code: string, runtime: string, ctx: CommandContext, at: number, out: Collector, depth: number): void {
  const net = NET_CODE_RE.test(code);
  const exec = EXEC_CODE_RE.test(code);
  const decode = DECODE_CODE_RE.test(code) || countMatches(code, HEX_ESCAPE_RE, 8) >= 8;
  if (net && exec) out.downloadExec(`inline ${runtime} code fetches from the network and evaluates or executes code`, at, 'inline');
  if (decode && exec) out.obfuscated(`inline ${runtime} code decodes a payload and evaluates or executes it`, at);
  if (net) out.network(`inline ${runtime} code uses the network`, at);
  // execSync('curl … | sh'): the command is a string literal of the code.
  if (exec && depth < MAX_NESTING) {
    for (const literal of stringLiterals(code)) analyzeInto(literal, ctx, at, out, depth + 1);
  }
}

function analyzePackageRun(run: PackageRun, tool: string, ctx: CommandContext, at: number, out: Collector, depth: number): void {
  if (run.call !== undefined) analyzeInto(run.call, ctx, at, out, depth + 1);
  for (const raw of run.specs) {
    const spec = readInstallArg(raw);
    if (spec.source === 'remote') {
      out.downloadExec(`${tool} fetches and runs a package from ${raw}`, at, 'package');
    } else if (spec.source === 'registry' && !ctx.declared.has(spec.name) && !KNOWN_TOOL_BINS.has(spec.name)) {
      if (run.yes || spec.pinned) out.downloadExec(`${tool} fetches and runs package ${spec.name}, which the package does not declare`, at, 'package');
      else out.network(`${tool} may fetch package ${spec.name} from the registry (not a declared dependency)`, at);
    }
  }
}

function analyzeSegment(seg: Segment, inv: Invocation, ctx: CommandContext, out: Collector, depth: number, uncertain: boolean): void {
  const at = seg.start;
  const nested = nestedCommand(inv);
  if (nested !== undefined && depth < MAX_NESTING) analyzeInto(nested, ctx, at, out, depth + 1);

  const code = inlineCode(inv);
  if (code !== undefined) analyzeInline(code, inv.name, ctx, at, out, depth);
  // `$(curl …)` in command position runs whatever the download prints.
  if ((inv.program.startsWith('$(') || inv.program.startsWith('`')) && SUBST_DOWNLOAD_RE.test(inv.program)) {
    out.downloadExec('runs the output of a download as a command', at, 'substitution');
  }

  const interpretsArgs = STDIN_INTERPRETERS.has(inv.name) || inv.name === 'eval' || inv.name === 'exec';
  if (interpretsArgs) {
    const joined = inv.args.join(' ');
    if (SUBST_DOWNLOAD_RE.test(joined)) out.downloadExec(`${inv.name} runs the output of a download`, at, 'substitution');
    if (SUBST_DECODE_RE.test(joined)) out.obfuscated(`${inv.name} runs the output of a decoder`, at);
  }
  if (POWERSHELLS.has(inv.name) && inv.args.some((a) => /^-(?:e|ec|enc[a-z]{0,20})$/i.test(a))) {
    out.obfuscated(`${inv.name} runs an encoded command`, at);
  }
  if (inv.name === 'certutil' && inv.args.some((a) => /^[-/]decode(?:hex)?$/i.test(a))) out.obfuscated('certutil decodes a payload', at);

  const run = packageRunOf(inv);
  if (run) analyzePackageRun(run, inv.name === 'npm' ? 'npm exec' : inv.name, ctx, at, out, depth);
  const installs = installArgsOf(inv);
  if (installs) {
    const remote = installs.find((a) => readInstallArg(a).source === 'remote');
    if (remote !== undefined) out.downloadExec(`${inv.name} installs (and runs the install scripts of) ${remote}`, at, 'package');
    else out.network(`${inv.name} installs packages at install time`, at);
  }

  if (NETWORK_COMMANDS.has(inv.name) || (inv.name === 'certutil' && inv.args.some((a) => /urlcache/i.test(a)))) {
    out.network(`runs ${inv.name}`, at);
  } else if (!PRINT_COMMANDS.has(inv.name) && code === undefined && URL_RE.test(seg.text)) {
    out.network(`${inv.name} is given a URL`, at);
  }
  for (const file of downloadedFiles(inv)) out.downloaded.add(file);

  const file = fileRunBy(inv);
  if (file !== undefined) {
    const path = normaliseRelative(file);
    if (out.downloaded.has(path) || out.downloaded.has(baseName(path))) out.downloadExec(`runs ${path}, which an earlier step downloaded`, at, 'file');
    out.result.runsFiles.push({ path: file, runner: inv.name, at, uncertain });
  }
}

function changesFiles(inv: Invocation): boolean {
  if (BUILD_COMMANDS.has(inv.name) || inv.name === 'cd' || inv.name === 'pushd') return true;
  if ((inv.name === 'npm' || inv.name === 'pnpm' || inv.name === 'yarn' || inv.name === 'bun') && inv.args[0] === 'run') return true;
  return NPX_NAMES.has(inv.name) && inv.args.some((a) => BUILD_COMMANDS.has(a));
}

function analyzeInto(text: string, ctx: CommandContext, offset: number, out: Collector, depth: number): void {
  let uncertain = false;
  for (const pipeline of splitPipelines(text)) {
    const invocations = pipeline.map((seg) => invocationOf(splitWords(seg.text)));
    let downloaderAt: number | undefined;
    let decoderAt: number | undefined;
    pipeline.forEach((seg, index) => {
      const inv = invocations[index];
      if (!inv) return;
      const at = depth === 0 ? offset + seg.start : offset;
      const segAt: Segment = { text: seg.text, start: at };
      if (index > 0 && isInterpreterReadingStdin(inv)) {
        if (downloaderAt !== undefined) out.downloadExec(`a download is piped into ${inv.name}`, downloaderAt, 'pipe');
        if (decoderAt !== undefined) out.obfuscated(`decoded data is piped into ${inv.name}`, decoderAt);
      }
      if (DOWNLOADERS.has(inv.name) || (POWERSHELLS.has(inv.name) && PS_DOWNLOAD_RE.test(seg.text))) downloaderAt ??= at;
      if (isDecoder(inv)) decoderAt ??= at;
      analyzeSegment(segAt, inv, ctx, out, depth, uncertain);
      if (changesFiles(inv)) uncertain = true;
    });
  }
}

/**
 * What a command line does that matters at install or build time. `declared` lists the package's
 * own dependencies, so `npx tool` of a declared tool is not mistaken for a download.
 */
export function analyzeCommand(command: string, ctx: CommandContext = { declared: new Set() }): CommandAnalysis {
  const out = new Collector();
  // Padding cannot push a payload out of sight: an oversized command is read at both ends and is itself a sign.
  const windows: [number, string][] =
    command.length > MAX_COMMAND_CHARS
      ? [
          [0, command.slice(0, MAX_COMMAND_CHARS)],
          [command.length - MAX_COMMAND_CHARS, command.slice(-MAX_COMMAND_CHARS)],
        ]
      : [[0, command]];
  if (command.length > MAX_COMMAND_CHARS) out.obfuscated(`is ${command.length} characters long, far too long to review`, 0);
  for (const [offset, text] of windows) {
    if (PS_EXEC_RE.test(text) && PS_DOWNLOAD_RE.test(text)) {
      out.downloadExec('PowerShell Invoke-Expression of downloaded content', offset + Math.max(0, text.search(PS_EXEC_RE)), 'powershell');
    }
    const blob = encodedBlobReason(text);
    if (blob) out.obfuscated(blob, offset);
    if (DEV_TCP_RE.test(text)) out.network('opens a raw /dev/tcp connection', offset + Math.max(0, text.search(DEV_TCP_RE)));
    analyzeInto(text, ctx, offset, out, 0);
  }
  return out.result;
}

/** A short window of `text` around `at`, for evidence. */
export function excerptAround(text: string, at: number, width = 160): string {
  if (text.length <= width) return text;
  const start = Math.max(0, Math.min(at - 20, text.length - width));
  const slice = text.slice(start, start + width);
  return `${start > 0 ? '…' : ''}${slice}${start + width < text.length ? '…' : ''}`;
}
