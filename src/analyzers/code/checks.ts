/**
 * The rules, over the facts of one module. Each check is a small function from facts (and the resolver
 * and flow engine) to hits; `runChecks` calls them all under a deadline.
 */
import type { Node } from '@babel/types';
import type { RuleMeta } from '../../core/finding.js';
import { positionsIn, type Position } from '../lib/ast.js';
import type { Callee } from './apis.js';
import { CONNECTION_METHODS, chmodCall, clipboardCall, evalCall, execCall, fsWriteCall, isConnectionFactory, mailCall, networkCall, requireCall, timerCall } from './apis.js';
import type { ModuleFacts, Site } from './collect.js';
import { exfilService, hostOfBare, hostOfUrl, isDynamicDns, isExampleHost, isLocalHost, isPublicIp, pathOfUrl } from './endpoints.js';
import type { Label } from './flow.js';
import { Flow, SECRET_KINDS } from './flow.js';
import { obfuscationFingerprints } from './obfuscation.js';
import { classifyCommand, classifyWrite, showPath } from './paths.js';
import { CLIENT_FACTORIES, Resolver, UNKNOWN, propertyOf } from './resolve.js';
import { RULES } from './rules.js';
import { encodedBlob } from './blobs.js';
import { isCall, isFunctionNode, keyName, memberName, staticProperties, unwrap } from './syntax.js';

export interface Hit {
  rule: RuleMeta;
  /** Where the hit is; absent for whole-file hits (obfuscation). */
  node?: Node;
  message: string;
  /** Groups hits that are one thing (the same host, the same blob) so each is reported once per file. */
  key?: string;
}

export interface CheckContext {
  file: string;
  /** The source the facts were collected from (positions of nodes the fast parser made come from it). */
  text: string;
  facts: ModuleFacts;
  deadline: number;
  signal?: AbortSignal | undefined;
}

export interface CheckResult {
  hits: Hit[];
  cutShort: boolean;
}

type CallNode = Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }>;

const SHELLS = /^(?:.*[\\/])?(?:sh|bash|zsh|dash|ksh|fish|cmd|cmd\.exe|powershell|powershell\.exe|pwsh|pwsh\.exe)$/i;
/** Interpreters that run code given on their command line (`node -e`, `python -c`). */
const INTERPRETERS = /^(?:.*[\\/])?(?:node|nodejs|bun|deno|python[0-9.]{0,4}|perl|ruby|php|osascript)(?:\.exe)?$/i;
const INLINE_CODE_FLAG = /(?:^|\s)(?:-e|-c|-p|--eval|--print|-command)(?:\s|$)/i;
const EMAIL = /[a-z0-9._%+-]{1,64}@([a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,8}\.[a-z]{2,24})/gi;
/** Keys that make an object an outgoing message (`body`/`text` alone are too common in HTTP payloads and mailto: headers). */
const MAIL_KEYS = new Set(['to', 'from', 'subject', 'html', 'textbody', 'htmlbody', 'replyto', 'sender', 'attachments', 'messagestream']);

interface WrittenFile {
  keys: string[];
  label: Label;
  node: Node;
}

class Checker {
  readonly hits: Hit[] = [];
  readonly resolver: Resolver;
  readonly flow: Flow;
  private readonly written: WrittenFile[] = [];
  private readonly executedPaths: { keys: string[]; node: Node; how: string }[] = [];
  private readonly mailArguments = new Set<Node>();
  /** `process.env` nodes already reported as a bulk read, so a sink they reach does not report them again. */
  private readonly bulkEnvOrigins = new Set<Node>();
  private readonly envAtSinks: { origin: Node; node: Node; sink: string }[] = [];
  private readonly facts: ModuleFacts;
  private cutShort = false;
  private readonly positionOf: (node: Node) => Position | undefined;

  constructor(private readonly ctx: CheckContext) {
    this.facts = ctx.facts;
    this.positionOf = positionsIn(ctx.text);
    this.resolver = new Resolver(ctx.facts);
    this.flow = new Flow(this.resolver);
  }

  private hit(rule: RuleMeta, node: Node | undefined, message: string, key?: string): void {
    const hit: Hit = { rule, message };
    if (node !== undefined) hit.node = node;
    if (key !== undefined) hit.key = key;
    this.hits.push(hit);
  }

  private where(node: Node): string {
    const line = this.positionOf(node)?.line;
    return line === undefined ? this.ctx.file : `${this.ctx.file}:${line}`;
  }

  private outOfTime(): boolean {
    if (performance.now() > this.ctx.deadline || this.ctx.signal?.aborted === true) {
      this.cutShort = true;
      return true;
    }
    return false;
  }

  run(): CheckResult {
    const calls = this.facts.calls;
    for (let i = 0; i < calls.length; i += 1) {
      if (i % 256 === 0 && this.outOfTime()) break;
      const site = calls[i];
      if (site) this.checkCall(site);
    }
    if (!this.cutShort) {
      this.checkWrittenThenRun();
      this.checkRecipients();
      this.checkEnvLoops();
      this.checkUrlLiterals();
      this.checkBlobs();
      this.checkObfuscation();
    }
    if (this.flow.exhausted) this.cutShort = true;
    return { hits: this.hits, cutShort: this.cutShort || this.facts.cutShort };
  }

  private checkCall(site: Site): void {
    const node = site.node;
    if (node.type === 'ImportExpression') {
      this.checkRequire(node, node.source, site.scope);
      return;
    }
    if (!isCall(node)) return;
    const callee = this.resolver.callee(node, site.scope);
    const isNew = node.type === 'NewExpression';
    if (requireCall(callee)) {
      this.checkRequire(node, node.arguments[0], site.scope);
      return;
    }
    const exec = execCall(callee);
    if (exec) {
      this.checkExec(node, callee, site.scope, exec.shell);
      return;
    }
    const evalSink = evalCall(callee, isNew);
    if (evalSink) {
      this.checkEval(node, callee, site.scope, evalSink.codeArg);
      return;
    }
    if (timerCall(callee)) {
      this.checkTimer(node, site.scope);
      return;
    }
    if (this.checkFiles(node, callee, site.scope)) return;
    const network = networkCall(callee, isNew);
    if (network !== undefined) {
      this.checkNetwork(node, callee, site.scope, network);
      return;
    }
    if (callee.name !== undefined && CLIENT_FACTORIES[callee.name] !== undefined) {
      for (const target of this.urlTargets(node, site.scope, 'axios')) this.endpointHits(target.host, target.path, node, callee.name, true);
      return;
    }
    if (mailCall(callee)) {
      this.checkMail(node, callee, site.scope);
      return;
    }
    if (clipboardCall(callee)) {
      this.hit(RULES.clipboardRead, node, `reads the clipboard through ${callee.name ?? callee.tail ?? 'a clipboard API'}`);
      return;
    }
    if (callee.tail !== undefined && CONNECTION_METHODS.has(callee.tail)) {
      this.checkConnectionWrite(node, site.scope);
      return;
    }
    if (callee.tail === 'pipe' || callee.name === 'stream.pipeline' || callee.name === 'stream/promises.pipeline' || callee.tail === 'pipeline') {
      this.checkPipe(node, site.scope);
      return;
    }
    this.checkBulkEnv(node, callee, site.scope);
  }

  // ---- processes ---------------------------------------------------------------------------------

  private checkExec(node: CallNode, callee: Callee, scope: number, shell: boolean): void {
    const first = node.arguments[0];
    if (!first) return;
    const program = this.resolver.strings(first, scope);
    const text = this.flow.commandText(node, scope);
    const programIsShell = program.some((p) => SHELLS.test(p.trim()));
    const inlineCode = program.some((p) => INTERPRETERS.test(p.trim())) && INLINE_CODE_FLAG.test(text);
    const dynamic = program.some((p) => p.includes(UNKNOWN)) || ((programIsShell || inlineCode) && text.includes(UNKNOWN));
    const name = callee.name ?? callee.tail ?? 'a process call';
    if (dynamic) this.hit(RULES.execDynamicCommand, node, `${name} runs a command built at run time${shell ? ' through a shell' : ''}`);
    const commands = classifyCommand(text);
    for (const match of commands) this.commandHit(match.category, match.what, node, name);

    const code: Label[] = [];
    for (const arg of node.arguments.slice(0, 2)) code.push(...this.flow.labelsOf(arg, scope));
    // Downloaded data is run only when it is the command itself or inline code for a shell or interpreter;
    // as an argument (`git clone ${repo.url}`) it is data. Decoded blobs are suspicious anywhere.
    const runsWholeCommand = text.split(UNKNOWN).join('').trim() === '' || programIsShell || inlineCode;
    this.codeLabelHits(runsWholeCommand ? code : code.filter((l) => l.kind !== 'downloaded'), node, `${name} runs`);
    if (commands.some((m) => m.category === 'network-tool')) {
      this.secretHits(code, node, name);
      const credential = commands.find((m) => m.category === 'credential');
      if (credential) this.hit(RULES.secretsToNetwork, node, `${name} runs a network tool on a command line that ${credential.what}`);
    }
    this.checkDetached(node, scope, name);
    this.executedPaths.push({ keys: this.pathKeys(first, scope), node, how: name });
  }

  private commandHit(category: string, what: string, node: CallNode, name: string): void {
    const message = `${name} ${what}`;
    if (category === 'download-exec') this.hit(RULES.downloadExec, node, message);
    else if (category === 'persistence') this.hit(RULES.persistence, node, message);
    else if (category === 'clipboard') this.hit(RULES.clipboardRead, node, message);
    else if (category === 'detached') this.hit(RULES.detachedProcess, node, message);
    else if (category === 'credential') this.hit(RULES.credentialRead, node, message);
  }

  private optionsObject(node: CallNode, scope: number): Extract<Node, { type: 'ObjectExpression' }> | undefined {
    for (const arg of node.arguments.slice(1, 4)) {
      const value = unwrap(arg);
      if (value?.type === 'ObjectExpression') return value;
      if (value?.type === 'Identifier') {
        const defs = this.resolver.defs(value.name, scope);
        const object = defs.length === 1 && defs[0]?.pick === undefined ? unwrap(defs[0]?.node) : undefined;
        if (object?.type === 'ObjectExpression') return object;
      }
    }
    return undefined;
  }

  private checkDetached(node: CallNode, scope: number, name: string): void {
    const options = this.optionsObject(node, scope);
    if (!options) return;
    const detached = unwrap(propertyOf(options, 'detached'));
    if (detached?.type === 'BooleanLiteral' && detached.value) {
      this.hit(RULES.detachedProcess, node, `${name} starts a detached process that outlives the server`);
      return;
    }
    const stdio = this.resolver.strings(propertyOf(options, 'stdio'), scope);
    if (stdio.includes('ignore') && this.isUnrefed(node)) this.hit(RULES.detachedProcess, node, `${name} starts a silent process (stdio ignored) and unref()s it`);
  }

  private isUnrefed(node: CallNode): boolean {
    for (const site of this.facts.unrefs) {
      const target = unwrap(site.node);
      if (target === node) return true;
      if (target?.type === 'Identifier' && this.resolver.defs(target.name, site.scope).some((d) => unwrap(d.node) === node)) return true;
    }
    return false;
  }

  // ---- code --------------------------------------------------------------------------------------

  private checkEval(node: CallNode, callee: Callee, scope: number, which: 'first' | 'last'): void {
    const args = node.arguments;
    const code = which === 'first' ? args[0] : args[args.length - 1];
    if (!code || isFunctionNode(code)) return;
    const name = callee.name ?? callee.tail ?? 'eval';
    const values = this.resolver.strings(code, scope);
    if (values.some((v) => v.includes(UNKNOWN))) this.hit(RULES.evalDynamic, node, `${name} evaluates code built at run time`);
    this.codeLabelHits(this.flow.labelsOf(code, scope), node, `${name} evaluates`);
  }

  private checkTimer(node: CallNode, scope: number): void {
    const first = node.arguments[0];
    if (!first || isFunctionNode(first)) return;
    this.codeLabelHits(this.flow.labelsOf(first, scope), node, 'a timer evaluates');
  }

  private checkRequire(node: Node, specifier: Node | undefined | null, scope: number): void {
    if (!specifier) return;
    const values = this.resolver.strings(specifier, scope);
    if (values.some((v) => v.includes(UNKNOWN))) this.hit(RULES.dynamicRequire, node, 'loads a module whose name is computed at run time');
    this.codeLabelHits(this.flow.labelsOf(specifier, scope), node, 'loads');
    this.executedPaths.push({ keys: this.pathKeys(specifier, scope), node, how: 'require' });
  }

  /** Decoded or downloaded data reaching code execution. */
  private codeLabelHits(labels: readonly Label[], node: Node, verb: string): void {
    const decoded = labels.find((l) => l.kind === 'decoded');
    if (decoded) this.hit(RULES.decodeExec, node, `${verb} ${decoded.what} decoded at ${this.where(decoded.origin)}`);
    const downloaded = labels.find((l) => l.kind === 'downloaded');
    if (downloaded) this.hit(RULES.downloadExec, node, `${verb} ${downloaded.what} fetched at ${this.where(downloaded.origin)}`);
  }

  // ---- files -------------------------------------------------------------------------------------

  /** Reads of credential stores and MCP configs, writes to persistence locations and MCP configs. */
  private checkFiles(node: CallNode, callee: Callee, scope: number): boolean {
    const name = callee.name ?? callee.tail ?? 'a file call';
    const source = this.flow.sourceOf(node, callee, scope, 0);
    if (source && (source.kind === 'credential' || source.kind === 'mcp-config') && !execCall(callee)) {
      this.hit(source.kind === 'credential' ? RULES.credentialRead : RULES.mcpConfigRead, node, `${name} reads ${source.what}`);
      return true;
    }
    const destIndex = fsWriteCall(callee);
    if (destIndex !== undefined) {
      this.checkWrite(node, name, destIndex, scope);
      return true;
    }
    if (chmodCall(callee)) {
      const mode = this.resolver.strings(node.arguments[1], scope)[0] ?? '';
      if (grantsExecute(mode, node.arguments[1]?.type === 'NumericLiteral')) {
        const first = node.arguments[0];
        if (first) this.executedPaths.push({ keys: this.pathKeys(first, scope), node, how: `${name} (making it executable)` });
      }
      return true;
    }
    return false;
  }

  private checkWrite(node: CallNode, name: string, destIndex: number, scope: number): void {
    const dest = node.arguments[destIndex];
    if (!dest) return;
    for (const candidate of this.resolver.strings(dest, scope)) {
      const match = classifyWrite(candidate);
      if (!match) continue;
      if (match.category === 'persistence') this.hit(RULES.persistence, node, `${name} writes ${match.shown} (${match.what})`);
      else if (match.category === 'mcp-config') this.hit(RULES.mcpConfigWrite, node, `${name} writes ${match.shown} (${match.what})`);
      else if (match.category === 'mcp-project-config') this.hit(RULES.mcpProjectConfigWrite, node, `${name} writes ${match.shown} (${match.what})`);
      break;
    }
    if (destIndex === 0 && node.arguments[1]) {
      const labels = this.flow.labelsOf(node.arguments[1], scope);
      const payload = labels.find((l) => l.kind === 'downloaded' || l.kind === 'decoded');
      if (payload) this.written.push({ keys: this.pathKeys(dest, scope), label: payload, node });
    }
  }

  /** `response.pipe(fs.createWriteStream(p))`, `pipeline(res.body, createWriteStream(p))`. */
  private checkPipe(node: CallNode, scope: number): void {
    const callee = unwrap(node.callee);
    const sources: Node[] = [];
    if (callee && (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') && memberName(callee) === 'pipe') sources.push(callee.object);
    else sources.push(...node.arguments.slice(0, 1));
    const labels = sources.flatMap((s) => [...this.flow.labelsOf(s, scope)]);
    const payload = labels.find((l) => l.kind === 'downloaded' || l.kind === 'decoded');
    if (!payload) return;
    for (const arg of node.arguments.slice(0, 4)) {
      const stream = this.writeStreamTarget(arg, scope);
      if (stream) this.written.push({ keys: this.pathKeys(stream.path, stream.scope), label: payload, node });
    }
  }

  private writeStreamTarget(arg: Node, scope: number): { path: Node; scope: number } | undefined {
    let value = unwrap(arg);
    let valueScope = scope;
    if (value?.type === 'Identifier') {
      const def = this.resolver.defs(value.name, scope)[0];
      value = def ? unwrap(def.node) : undefined;
      valueScope = def?.scope ?? scope;
    }
    if (!isCall(value)) return undefined;
    const callee = this.resolver.callee(value, valueScope);
    const path = value.arguments[0];
    return callee.tail === 'createWriteStream' && path ? { path, scope: valueScope } : undefined;
  }

  /** Keys under which a path argument is recognised again later: its binding and its static values. */
  private pathKeys(node: Node, scope: number): string[] {
    const keys: string[] = [];
    const inner = unwrap(node);
    if (inner?.type === 'Identifier') keys.push(`b:${this.resolver.keyOf(inner.name, scope)}`);
    for (const value of this.resolver.strings(node, scope)) if (!value.includes(UNKNOWN)) keys.push(`s:${value}`);
    return keys;
  }

  private checkWrittenThenRun(): void {
    if (this.written.length === 0) return;
    for (const run of this.executedPaths) {
      // Requiring a downloaded JSON file loads data, not code.
      const statics = run.keys.filter((k) => k.startsWith('s:'));
      if (statics.length > 0 && statics.every((k) => k.toLowerCase().endsWith('.json'))) continue;
      const file = this.written.find((w) => w.keys.some((k) => run.keys.includes(k)));
      if (!file) continue;
      const rule = file.label.kind === 'decoded' ? RULES.decodeExec : RULES.downloadExec;
      this.hit(rule, run.node, `${run.how} runs a file written at ${this.where(file.node)} from ${file.label.what} (${this.where(file.label.origin)})`);
    }
  }

  // ---- network and mail --------------------------------------------------------------------------

  private checkNetwork(node: CallNode, callee: Callee, scope: number, kind: ReturnType<typeof networkCall>): void {
    const name = callee.name ?? 'a network call';
    for (const target of this.urlTargets(node, scope, kind)) this.endpointHits(target.host, target.path, node, name, true);
    const labels: Label[] = [];
    for (const arg of node.arguments.slice(0, 4)) {
      if (isFunctionNode(arg)) continue;
      labels.push(...this.flow.labelsOf(arg, scope));
    }
    this.secretHits(labels, node, name);
  }

  private secretHits(labels: readonly Label[], node: Node, sink: string): void {
    const secrets = labels.filter((l) => SECRET_KINDS.has(l.kind));
    const secret = secrets[0];
    if (!secret) return;
    const others = secrets.slice(1).map((l) => `${l.what} (${this.where(l.origin)})`);
    const also = others.length > 0 ? `; also ${others.join(', ')}` : '';
    this.hit(RULES.secretsToNetwork, node, `data read from ${secret.what} at ${this.where(secret.origin)} is sent by ${sink} at ${this.where(node)}${also}`);
    const env = secrets.find((l) => l.kind === 'env');
    if (env) this.envAtSinks.push({ origin: env.origin, node, sink });
  }

  private urlTargets(node: CallNode, scope: number, kind: ReturnType<typeof networkCall>): { host: string; path: string }[] {
    const out: { host: string; path: string }[] = [];
    const add = (values: string[], bare: boolean): void => {
      for (const value of values) {
        const host = bare ? hostOfBare(value) : hostOfUrl(value);
        if (host !== undefined) out.push({ host, path: bare ? '' : pathOfUrl(value) });
      }
    };
    const first = node.arguments[0];
    const firstValue = unwrap(first);
    if (kind === 'dns' || kind === 'socket') {
      if (firstValue?.type === 'ObjectExpression') add(this.resolver.strings(propertyOf(firstValue, 'host'), scope), true);
      for (const arg of node.arguments.slice(0, 2)) add(this.resolver.strings(arg, scope), true);
      return out;
    }
    if (firstValue?.type === 'ObjectExpression') {
      for (const key of ['url', 'baseURL', 'baseUrl', 'prefixUrl']) add(this.resolver.strings(propertyOf(firstValue, key), scope), false);
      for (const key of ['host', 'hostname']) add(this.resolver.strings(propertyOf(firstValue, key), scope), true);
    } else if (first) {
      add(this.resolver.strings(first, scope), false);
    }
    return out;
  }

  private endpointHits(host: string, path: string, node: Node, sink: string, inCall: boolean): void {
    if (isLocalHost(host) || isExampleHost(host)) return;
    const service = exfilService(host, path);
    if (service !== undefined) this.hit(RULES.endpointExfilService, node, `${sink} ${inCall ? 'sends to' : 'names'} ${host} (${service})`, host);
    if (isDynamicDns(host)) this.hit(RULES.endpointDynamicDns, node, `${sink} ${inCall ? 'connects to' : 'names'} ${host} (dynamic DNS)`, host);
    if (isPublicIp(host)) this.hit(RULES.endpointRawIp, node, `${sink} ${inCall ? 'connects to' : 'names'} the raw address ${host}`, host);
    if (inCall) this.hit(RULES.endpoint, node, `${sink} connects to ${host}`, host);
  }

  private checkConnectionWrite(node: CallNode, scope: number): void {
    const callee = unwrap(node.callee);
    if (!callee || (callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression')) return;
    if (!this.isConnection(callee.object, scope)) return;
    const labels: Label[] = [];
    for (const arg of node.arguments.slice(0, 2)) labels.push(...this.flow.labelsOf(arg, scope));
    this.secretHits(labels, node, `${memberName(callee) ?? 'write'} on a connection`);
  }

  private isConnection(object: Node, scope: number): boolean {
    const value = unwrap(object);
    const candidates: { node: Node; scope: number }[] = [];
    if (isCall(value)) candidates.push({ node: value, scope });
    if (value?.type === 'Identifier') for (const def of this.resolver.defs(value.name, scope).slice(0, 8)) candidates.push(def);
    return candidates.some((c) => {
      const call = unwrap(c.node);
      if (!isCall(call)) return false;
      const kind = networkCall(this.resolver.callee(call, c.scope), call.type === 'NewExpression');
      return kind !== undefined && isConnectionFactory(kind);
    });
  }

  private checkMail(node: CallNode, callee: Callee, scope: number): void {
    const labels: Label[] = [];
    for (const arg of node.arguments.slice(0, 3)) {
      labels.push(...this.flow.labelsOf(arg, scope));
      const value = unwrap(arg);
      if (value?.type === 'ObjectExpression') this.mailArguments.add(value);
      if (value?.type === 'Identifier') for (const def of this.resolver.defs(value.name, scope)) this.mailArguments.add(unwrap(def.node) ?? def.node);
    }
    this.secretHits(labels, node, callee.tail ?? 'a mail call');
  }

  /**
   * Hard-coded Bcc/Cc addresses in outgoing mail whose main recipient is not fixed too: a message with a
   * literal `to` is a fixed notification or test data, while a literal copy of mail addressed to whoever
   * the caller names is the postmark-mcp backdoor.
   */
  private checkRecipients(): void {
    for (const site of this.facts.recipientObjects) {
      const object = site.node;
      if (object.type !== 'ObjectExpression') continue;
      const props = staticProperties(object);
      const mailish = this.mailArguments.has(object) || props.some(([key]) => MAIL_KEYS.has(key.toLowerCase()));
      if (!mailish) continue;
      const to = props.find(([key]) => key.toLowerCase() === 'to');
      if (to && this.resolver.strings(to[1], site.scope).every((v) => !v.includes(UNKNOWN))) continue;
      for (const [key, value] of props) {
        if (!/^(?:bcc|cc)$/i.test(key)) continue;
        const address = this.literalAddress(value, site.scope);
        if (address) this.hit(RULES.mailHiddenRecipient, value, `outgoing mail gets a hard-coded ${key} recipient ${address}`);
      }
    }
    for (const site of this.facts.recipientAssignments) {
      const node = site.node;
      if (node.type !== 'AssignmentExpression' || (node.left.type !== 'MemberExpression' && node.left.type !== 'OptionalMemberExpression')) continue;
      const key = keyName(node.left.property, node.left.computed) ?? 'bcc';
      const address = this.literalAddress(node.right, site.scope);
      if (address) this.hit(RULES.mailHiddenRecipient, node, `outgoing mail gets a hard-coded ${key} recipient ${address}`);
    }
  }

  private literalAddress(value: Node, scope: number): string | undefined {
    for (const candidate of this.resolver.strings(value, scope)) {
      for (const part of candidate.split(UNKNOWN)) {
        EMAIL.lastIndex = 0;
        const m = EMAIL.exec(part.slice(0, 2048));
        if (m) return m[0];
      }
    }
    return undefined;
  }

  // ---- environment -------------------------------------------------------------------------------

  private checkBulkEnv(node: CallNode, callee: Callee, scope: number): void {
    const name = callee.name;
    if (name !== 'JSON.stringify' && name !== 'Object.keys' && name !== 'Object.values' && name !== 'Object.entries') return;
    const arg = unwrap(node.arguments[0]);
    if (!arg || (arg.type !== 'MemberExpression' && arg.type !== 'Identifier')) return;
    const env = this.flow.labelsOf(arg, scope).find((l) => l.kind === 'env' && l.rawEnv);
    if (!env) return;
    this.bulkEnvOrigins.add(env.origin);
    this.hit(RULES.envHarvest, node, `${name} reads every environment variable`);
  }

  private checkEnvLoops(): void {
    for (const site of this.facts.forInEnv) this.hit(RULES.envHarvest, site.node, 'for…in enumerates every environment variable');
    for (const { origin, node, sink } of this.envAtSinks) {
      if (!this.bulkEnvOrigins.has(origin)) this.hit(RULES.envHarvest, node, `${sink} sends a copy of the whole environment`);
    }
  }

  // ---- literals ----------------------------------------------------------------------------------

  /**
   * A whole string literal that is a URL of an exfiltration or dynamic DNS service. Raw IPs count only in
   * network calls: libraries' tests and docs are full of literal address URLs.
   */
  private checkUrlLiterals(): void {
    for (const site of this.facts.urlStrings) {
      const node = site.node;
      const value = node.type === 'StringLiteral' ? node.value : node.type === 'TemplateElement' ? (node.value.cooked ?? '') : '';
      if (/\s/.test(value.trim())) continue;
      const host = hostOfUrl(value);
      if (host === undefined || isLocalHost(host) || isExampleHost(host)) continue;
      const path = pathOfUrl(value);
      const service = exfilService(host, path);
      if (service !== undefined) this.hit(RULES.endpointExfilService, node, `names ${showPath(value.slice(0, 120))} (${service})`, host);
      if (isDynamicDns(host)) this.hit(RULES.endpointDynamicDns, node, `names ${host} (dynamic DNS)`, host);
    }
  }

  private checkBlobs(): void {
    for (const site of this.facts.longStrings) {
      const node = site.node;
      const value = node.type === 'StringLiteral' ? node.value : node.type === 'TemplateElement' ? (node.value.cooked ?? node.value.raw) : '';
      const blob = encodedBlob(value);
      if (blob) this.hit(RULES.encodedBlob, node, blob.message);
    }
  }

  private checkObfuscation(): void {
    const found = obfuscationFingerprints(this.facts);
    if (found.fingerprints.length === 0) return;
    this.hit(RULES.obfuscated, found.node, `obfuscator fingerprints: ${found.fingerprints.join('; ')}`);
  }
}

/** Whether a chmod mode (`0o755` as a number, `'755'`, `'+x'`, `'u+x'`) sets an execute bit; unknown modes count. */
export function grantsExecute(mode: string, numeric: boolean): boolean {
  if (mode.includes(UNKNOWN)) return true;
  if (/^[ugoa]{0,4}\+[rwx]{0,3}x/.test(mode)) return true;
  const value = numeric ? Number(mode) : /^[0-7]{3,4}$/.test(mode) ? Number.parseInt(mode, 8) : Number.NaN;
  return Number.isInteger(value) && (value & 0o111) !== 0;
}

export function runChecks(ctx: CheckContext): CheckResult {
  return new Checker(ctx).run();
}
