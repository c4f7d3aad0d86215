/**
 * Which calls do what, by canonical callee name (see Resolver.nameOf) with a fallback on the callee's last
 * name when the receiver could not be resolved (bundles often hide the module behind a numeric id).
 */

export interface Callee {
  name: string | undefined;
  tail: string | undefined;
}

const EXEC_NAMES = new Set([
  'child_process.exec',
  'child_process.execSync',
  'child_process.spawn',
  'child_process.spawnSync',
  'child_process.execFile',
  'child_process.execFileSync',
  'child_process.fork',
  'execa',
  'execa.execaSync',
  'execa.execaCommand',
  'execa.execaCommandSync',
  'execa.execaNode',
  'execa.sync',
  'execa.command',
  'execa.commandSync',
  'execa.node',
  'shelljs.exec',
  'child_process.spawn.sync',
]);

/** Last names distinctive enough to mean child_process even when the receiver is unknown. */
const EXEC_TAILS = new Set(['execSync', 'spawnSync', 'execFileSync', 'execFile', 'spawn', 'execaSync', 'execaCommand', 'execaCommandSync']);

/** Calls that start a child process. `shell` tells whether the first argument is a shell command line. */
export function execCall(c: Callee): { shell: boolean; fork: boolean } | undefined {
  const name = c.name;
  if (name !== undefined && EXEC_NAMES.has(name)) {
    return { shell: name === 'child_process.exec' || name === 'child_process.execSync' || name === 'shelljs.exec' || name.startsWith('execa.execaCommand') || name.startsWith('execa.command'), fork: name === 'child_process.fork' };
  }
  if (name !== undefined && !name.startsWith('this.') && name.includes('.') && !name.startsWith('child_process')) {
    // A resolved receiver that is not child_process (a database's `exec`, a regex's) is not a process.
    const module = name.slice(0, name.indexOf('.'));
    if (KNOWN_NON_PROCESS_MODULES.has(module)) return undefined;
  }
  if (c.tail !== undefined && EXEC_TAILS.has(c.tail)) return { shell: c.tail === 'execSync', fork: false };
  return undefined;
}

const KNOWN_NON_PROCESS_MODULES = new Set(['fs', 'path', 'os', 'JSON', 'Object', 'Array', 'String', 'Buffer', 'Math', 'Promise', 'vm', 'http', 'https', 'net', 'url']);

/** eval-like sinks and the index of their code argument. */
export function evalCall(c: Callee, isNew: boolean): { codeArg: 'first' | 'last' } | undefined {
  const name = c.name;
  if (name === 'eval') return { codeArg: 'first' };
  if (name === 'Function') return { codeArg: 'last' };
  if (name === 'vm.runInThisContext' || name === 'vm.runInNewContext' || name === 'vm.runInContext' || name === 'vm.compileFunction') return { codeArg: 'first' };
  if (name === 'vm.Script' && isNew) return { codeArg: 'first' };
  if (name === undefined && (c.tail === 'runInNewContext' || c.tail === 'runInThisContext')) return { codeArg: 'first' };
  return undefined;
}

/** Timers given a string run it as code. */
export function timerCall(c: Callee): boolean {
  return c.name === 'setTimeout' || c.name === 'setInterval';
}

export function requireCall(c: Callee): boolean {
  return c.name === 'require' || c.name === '__require' || c.name === 'module.require' || c.name === 'import';
}

const FS_READ = new Set(['readFile', 'readFileSync', 'createReadStream', 'readdir', 'readdirSync', 'readJson', 'readJsonSync', 'readJSON', 'readJSONSync', 'copyFile', 'copyFileSync', 'cp', 'cpSync', 'copy', 'copySync', 'open', 'openSync']);
const FS_WRITE: Readonly<Record<string, number>> = {
  writeFile: 0,
  writeFileSync: 0,
  appendFile: 0,
  appendFileSync: 0,
  createWriteStream: 0,
  outputFile: 0,
  outputFileSync: 0,
  writeJson: 0,
  writeJsonSync: 0,
  writeJSON: 0,
  outputJson: 0,
  outputJsonSync: 0,
  copyFile: 1,
  copyFileSync: 1,
  cp: 1,
  cpSync: 1,
  copy: 1,
  copySync: 1,
  rename: 1,
  renameSync: 1,
};
/** Unresolved receivers are accepted only for names nothing else commonly uses. */
const FS_UNRESOLVED_OK = new Set(['readFileSync', 'readFile', 'createReadStream', 'readdirSync', 'readJson', 'readJsonSync', 'writeFileSync', 'writeFile', 'appendFileSync', 'appendFile', 'createWriteStream', 'copyFileSync', 'outputFile', 'outputFileSync', 'writeJson', 'writeJsonSync', 'outputJson', 'outputJsonSync']);

function fsTail(c: Callee): string | undefined {
  if (c.name !== undefined && (c.name.startsWith('fs.') || c.name === 'Bun.file')) return c.name.slice(c.name.lastIndexOf('.') + 1);
  if (c.name !== undefined && c.name.includes('.') && !c.name.startsWith('this.')) {
    const module = c.name.slice(0, c.name.indexOf('.'));
    if (KNOWN_NON_FS.has(module)) return undefined;
  }
  if (c.tail !== undefined && FS_UNRESOLVED_OK.has(c.tail)) return c.tail;
  return undefined;
}

const KNOWN_NON_FS = new Set(['child_process', 'path', 'os', 'http', 'https', 'net', 'JSON', 'Object']);

/** A file read: the index of the path argument. `open` counts only with a read flag. */
export function fsReadCall(c: Callee): number | undefined {
  const tail = fsTail(c);
  if (tail === undefined || !FS_READ.has(tail)) return undefined;
  return 0;
}

/** A file write: the index of the destination argument. */
export function fsWriteCall(c: Callee): number | undefined {
  const tail = fsTail(c);
  if (tail === undefined) return undefined;
  return FS_WRITE[tail];
}

export function chmodCall(c: Callee): boolean {
  const tail = fsTail(c) ?? (c.tail === 'chmodSync' ? 'chmodSync' : undefined);
  return tail === 'chmod' || tail === 'chmodSync';
}

export function globCall(c: Callee): boolean {
  const name = c.name ?? '';
  if (/^(?:glob|globby|fast-glob|tinyglobby|fg)(?:\.(?:glob|globSync|sync|async|globby|globbySync|stream))?$/.test(name)) return true;
  return c.tail === 'globSync' || c.tail === 'globby' || c.tail === 'globbySync';
}

export type NetworkKind = 'fetch' | 'axios' | 'got' | 'http' | 'socket' | 'websocket' | 'dns' | 'beacon' | 'xhr' | 'dgram';

const AXIOS_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'request', 'head', 'options', 'postForm', 'putForm', 'patchForm']);

/** A call that sends a request or opens a connection. */
export function networkCall(c: Callee, isNew: boolean): NetworkKind | undefined {
  const name = c.name;
  if (name === undefined) return undefined;
  if (name === 'fetch' || name === 'undici.request' || name === 'undici.stream' || name === 'ky' || /^ky\.(?:get|post|put|patch|delete)$/.test(name)) return 'fetch';
  if (name === 'axios' || (name.startsWith('axios.') && AXIOS_METHODS.has(name.slice(6)))) return 'axios';
  if (name === 'got' || /^got\.(?:get|post|put|patch|delete|stream|head)$/.test(name)) return 'got';
  if (name === 'superagent' || name === 'needle' || name === 'request' || /^(?:superagent|needle|request)\.(?:get|post|put|patch|del|delete)$/.test(name)) return 'fetch';
  if (/^(?:http|https|http2)\.(?:request|get|connect)$/.test(name)) return 'http';
  if (/^(?:net|tls)\.(?:connect|createConnection)$/.test(name)) return 'socket';
  if (isNew && (name === 'net.Socket' || name === 'tls.TLSSocket')) return 'socket';
  if (isNew && (name === 'WebSocket' || name === 'EventSource')) return 'websocket';
  if (/^dns\.(?:lookup|resolve|resolve4|resolve6|resolveTxt|resolveCname|resolveAny|resolveMx|resolveNs)$/.test(name)) return 'dns';
  if (name === 'navigator.sendBeacon') return 'beacon';
  if (name === 'dgram.createSocket') return 'dgram';
  if (isNew && name === 'XMLHttpRequest') return 'xhr';
  return undefined;
}

/** Instances whose write/send/end methods put data on the wire. */
export function isConnectionFactory(kind: NetworkKind): boolean {
  return kind === 'http' || kind === 'socket' || kind === 'websocket' || kind === 'xhr' || kind === 'dgram';
}

export const CONNECTION_METHODS = new Set(['write', 'end', 'send']);

const MAIL_TAILS = new Set(['sendMail', 'sendEmail', 'sendEmailBatch', 'sendEmailWithTemplate', 'sendMailWithTemplate']);

export function mailCall(c: Callee): boolean {
  if (c.tail !== undefined && MAIL_TAILS.has(c.tail)) return true;
  const name = c.name ?? '';
  return name === '@sendgrid/mail.send' || name === '@sendgrid/mail.sendMultiple' || /\.emails\.send$/.test(name);
}

export function clipboardCall(c: Callee): boolean {
  const name = c.name ?? '';
  if (/^clipboardy\.(?:read|readSync)$/.test(name)) return true;
  if (/^(?:copy-paste|clipboard|node-clipboardy)\.(?:paste|read)$/.test(name)) return true;
  return name === 'navigator.clipboard.readText' || name === 'navigator.clipboard.read' || name === '@napi-rs/clipboard.getText' || /^electron\.clipboard\.read/.test(name);
}

/** Calls whose return value is data decoded from an opaque form. */
export function decoderCall(c: Callee): 'buffer' | 'atob' | 'charcode' | 'uri' | undefined {
  const name = c.name;
  if (name === 'Buffer.from' || name === 'buffer.Buffer.from') return 'buffer';
  if (name === 'atob' || name === 'Buffer.atob' || name === 'buffer.atob') return 'atob';
  if (name === 'String.fromCharCode' || name === 'String.fromCodePoint' || name === 'String.fromCharCode.apply' || name === 'String.fromCharCode.call') return 'charcode';
  if (name === 'decodeURIComponent' || name === 'decodeURI' || name === 'unescape') return 'uri';
  return undefined;
}

/** Calls that transform decoded or downloaded data and keep it what it was (decompression, decryption, text decoding). */
export const PASS_THROUGH_TAILS = new Set([
  'inflate', 'inflateSync', 'inflateRaw', 'inflateRawSync', 'gunzip', 'gunzipSync', 'unzip', 'unzipSync', 'brotliDecompress', 'brotliDecompressSync',
  'decompress', 'decompressSync', 'decrypt', 'update', 'final', 'decode', 'concat', 'from', 'toString', 'fromWeb', 'atob', 'fromCharCode', 'decodeURIComponent',
]);
