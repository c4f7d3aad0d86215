/**
 * What a tool's handler does, read syntactically: which parameters reach a network call, and whether
 * it writes, deletes or executes. Cheap by design: one function plus the local functions it calls
 * directly (two levels), names followed through simple assignments, a node budget per handler.
 */
import type { Node } from '@babel/types';
import { memberPath } from '../lib/ast.js';
import type { HandlerEffect, HandlerFacts } from './model.js';
import type { Evaluator, Resolved, Scope } from './scope.js';
import { isFunctionNode, memberKey, staticKey, unwrap } from './scope.js';
import type { Locate } from './schema.js';

const MAX_NODES = 60_000;
const MAX_FOLLOW_DEPTH = 2;
const MAX_EFFECTS = 20;

const SKIP_KEYS = new Set(['loc', 'start', 'end', 'extra', 'comments', 'leadingComments', 'trailingComments', 'innerComments', 'range', 'errors', 'tokens', 'typeAnnotation', 'returnType', 'typeParameters']);

/** Child nodes, in source order. */
export function childNodes(node: Node): Node[] {
  const out: Node[] = [];
  for (const key of Object.keys(node)) {
    if (SKIP_KEYS.has(key)) continue;
    const value = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      for (const child of value) if (isNode(child)) out.push(child);
    } else if (isNode(value)) out.push(value);
  }
  return out;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

const FS_MODULE = /^(?:node:)?(?:fs|fs\/promises)$|^(?:fs-extra|graceful-fs|fs-extra\/esm)$/;
const CP_MODULE = /^(?:node:)?child_process$|^(?:cross-spawn|execa)$/;
// Names bundlers and compilers give the fs and child_process modules when imports are rewritten.
const FS_ROOT = /^(?:fs|fsp|fse|fsExtra|fsPromises|fs_promises|promises|(?:node_)?fs(?:_promises|_extra)?_\d+|promises_\d+)$/;
const CP_ROOT = /^(?:child_process|childProcess|cp|(?:node_)?child_process_\d+)$/;

const WRITE_FNS = new Set(['writeFile', 'writeFileSync', 'appendFile', 'appendFileSync', 'createWriteStream', 'copyFile', 'copyFileSync', 'cp', 'cpSync', 'outputFile', 'outputFileSync', 'writeJson', 'writeJSON', 'writeJsonSync', 'outputJson', 'outputJsonSync', 'symlink', 'symlinkSync']);
const DELETE_FNS = new Set(['rm', 'rmSync', 'rmdir', 'rmdirSync', 'unlink', 'unlinkSync', 'rename', 'renameSync', 'truncate', 'truncateSync', 'remove', 'removeSync', 'emptyDir', 'emptyDirSync', 'move', 'moveSync']);
const EXEC_FNS = new Set(['exec', 'execSync', 'execFile', 'execFileSync', 'spawn', 'spawnSync', 'fork', 'execa', 'execaSync', 'execaCommand', 'execaCommandSync', 'execaNode', 'sync', '$']);

/** Command lines that change files, packages or repositories, or reach the network. */
const WRITING_COMMAND =
  /(?:^|[\s;&|(])(?:rm|rmdir|mv|cp|dd|mkfs\S{0,10}|chmod|chown|tee|truncate|shred|unlink|ln|install|kill|pkill|shutdown|reboot|sh|bash|zsh|node|python3?|eval)\b|\bgit\s(?:push|commit|reset|checkout|clean|rebase|merge|am|apply|rm|mv|tag|stash|pull|fetch|clone|init|add|restore|switch)\b|\b(?:npm|npx|pnpm|yarn|pip3?|brew|apt|apt-get)\s|\b(?:curl|wget)\b|>/;

const SINK_LAST = new Set(['fetch', 'axios', 'got', 'ky', 'ofetch', '$fetch', 'request', 'post', 'put', 'patch', 'sendBeacon', 'sendMail', 'upload']);
const SINK_ROOT = /^(?:axios|got|ky|superagent|needle|undici|https?|http2|node_fetch|nodemailer|transporter|mailer|fetch)(?:_\d+)?$/i;

interface Import {
  source: string;
  imported: string;
}

export function requireSource(node: Node, depth = 0): string | undefined {
  if (depth > 4) return undefined;
  const n = unwrap(node);
  if (n.type === 'AwaitExpression') return requireSource(n.argument, depth + 1);
  if (n.type === 'MemberExpression') return requireSource(n.object, depth + 1);
  if (n.type === 'ImportExpression') return n.source.type === 'StringLiteral' ? n.source.value : undefined;
  if (n.type !== 'CallExpression') return undefined;
  const callee = unwrap(n.callee);
  const first = n.arguments[0];
  if (callee.type === 'Import' || (callee.type === 'Identifier' && callee.name === 'require')) {
    return first?.type === 'StringLiteral' ? first.value : undefined;
  }
  // __importDefault(require('fs')), __toESM(require('fs')), _interopRequireWildcard(…)
  return first && first.type !== 'SpreadElement' && first.type !== 'ArgumentPlaceholder' ? requireSource(first, depth + 1) : undefined;
}

/** Where a local name comes from, when it is an import or a require of a module. */
export function importOf(name: string, scope: Scope, depth = 0): Import | undefined {
  if (depth > 3) return undefined;
  const binding = scope.lookup(name);
  if (binding?.kind === 'import') return binding;
  if (binding?.kind !== 'value') return undefined;
  const init = unwrap(binding.init);
  // promisify(exec) keeps what exec is.
  if (init.type === 'CallExpression' && memberPath(unwrap(init.callee))?.endsWith('promisify')) {
    const arg = init.arguments[0];
    return arg?.type === 'Identifier' ? importOf(arg.name, binding.scope, depth + 1) : undefined;
  }
  const source = requireSource(init);
  if (source === undefined) return undefined;
  const member = init.type === 'MemberExpression' ? memberKey(init) : undefined;
  return { source, imported: member ?? '*' };
}

function effectOf(path: string, scope: Scope): HandlerEffect['kind'] | undefined {
  const segments = path.split('.');
  const root = segments[0] ?? '';
  const last = segments[segments.length - 1] ?? '';
  const origin = importOf(root, scope);
  if (segments.length === 1) {
    if (origin === undefined) return undefined;
    if (FS_MODULE.test(origin.source)) return fsKind(origin.imported);
    if (CP_MODULE.test(origin.source) && (EXEC_FNS.has(origin.imported) || origin.imported === 'default' || origin.imported === '*')) return 'exec';
    return undefined;
  }
  const fs = origin ? FS_MODULE.test(origin.source) : FS_ROOT.test(root);
  if (fs) return fsKind(last);
  const cp = origin ? CP_MODULE.test(origin.source) : CP_ROOT.test(root);
  return cp && EXEC_FNS.has(last) ? 'exec' : undefined;
}

function fsKind(name: string): HandlerEffect['kind'] | undefined {
  if (WRITE_FNS.has(name)) return 'write';
  if (DELETE_FNS.has(name)) return 'delete';
  return undefined;
}

function isNetworkCall(path: string): boolean {
  const segments = path.split('.');
  const root = segments[0] ?? '';
  const last = segments[segments.length - 1] ?? '';
  if (SINK_LAST.has(last)) return true;
  if (segments.length > 1 && SINK_ROOT.test(root)) return true;
  if (last === 'default' && /fetch|axios|got/i.test(root)) return true;
  return last === 'send' && /socket|ws|xhr|websocket/i.test(path);
}

interface Taint {
  /** Local names holding a parameter's value, and which parameters. */
  names: Map<string, Set<string>>;
  /** Local names holding the whole arguments object. */
  whole: Set<string>;
}

function newTaint(): Taint {
  return { names: new Map(), whole: new Set() };
}

class HandlerScan {
  readonly effects: HandlerEffect[] = [];
  readonly sent = new Map<string, { location: ReturnType<Locate>; evidence: string }>();
  private readonly followed = new Set<Node>();
  private budget = MAX_NODES;

  constructor(
    private readonly ev: Evaluator,
    private readonly locate: Locate,
    private readonly evidence: Evidence,
    private readonly watched: ReadonlySet<string>,
  ) {}

  private collect(root: Node): Node[] {
    const out: Node[] = [];
    const stack: Node[] = [root];
    while (stack.length > 0 && this.budget > 0) {
      const node = stack.pop();
      if (!node) break;
      this.budget -= 1;
      out.push(node);
      const children = childNodes(node);
      for (let i = children.length - 1; i >= 0; i -= 1) {
        const child = children[i];
        if (child) stack.push(child);
      }
    }
    return out;
  }

  /** Parameters whose values an expression refers to. */
  references(node: Node, taint: Taint): Set<string> {
    const found = new Set<string>();
    const stack: Node[] = [node];
    let steps = 0;
    while (stack.length > 0 && steps < 5_000) {
      steps += 1;
      const n = stack.pop();
      if (!n) break;
      if (n.type === 'Identifier') {
        for (const param of taint.names.get(n.name) ?? []) found.add(param);
        if (taint.whole.has(n.name)) for (const param of this.watched) found.add(param);
        continue;
      }
      if (n.type === 'MemberExpression' || n.type === 'OptionalMemberExpression') {
        const key = memberKey(n);
        if (key !== undefined && this.watched.has(key)) found.add(key);
        const object = unwrap(n.object);
        // `args.query` reads one field of the arguments, not all of them.
        if (!(object.type === 'Identifier' && taint.whole.has(object.name))) stack.push(object);
        if (n.computed) stack.push(n.property);
        continue;
      }
      if (n.type === 'ObjectProperty') {
        if (n.computed) stack.push(n.key);
        stack.push(n.value);
        continue;
      }
      stack.push(...childNodes(n));
    }
    return found;
  }

  private taintPattern(pattern: Node, taint: Taint, from: Set<string> | 'whole'): void {
    const p = pattern.type === 'AssignmentPattern' ? pattern.left : pattern;
    if (p.type === 'Identifier') {
      if (from === 'whole') taint.whole.add(p.name);
      else if (from.size > 0) taint.names.set(p.name, new Set([...(taint.names.get(p.name) ?? []), ...from]));
      return;
    }
    if (p.type !== 'ObjectPattern') return;
    for (const prop of p.properties) {
      if (prop.type !== 'ObjectProperty') continue;
      const key = staticKey(prop.key, prop.computed);
      if (key === undefined) continue;
      const value = prop.value.type === 'AssignmentPattern' ? prop.value.left : prop.value;
      if (value.type !== 'Identifier') continue;
      if (key === 'arguments') taint.whole.add(value.name);
      else if (this.watched.has(key)) taint.names.set(value.name, new Set([key]));
    }
  }

  private propagate(nodes: readonly Node[], taint: Taint): void {
    for (let round = 0; round < 2; round += 1) {
      for (const n of nodes) {
        if (n.type === 'VariableDeclarator') {
          if (n.id.type === 'ObjectPattern') this.taintPattern(n.id, taint, new Set());
          if (n.id.type === 'Identifier' && n.init) {
            if (memberPath(unwrap(n.init))?.endsWith('.arguments')) taint.whole.add(n.id.name);
            else this.taintPattern(n.id, taint, this.references(n.init, taint));
          }
        } else if (n.type === 'AssignmentExpression' && n.left.type === 'Identifier') {
          this.taintPattern(n.left, taint, this.references(n.right, taint));
        }
      }
    }
  }

  private calleeTaint(fn: Node, args: readonly Node[], taint: Taint): Taint {
    const next = newTaint();
    if (!isFunctionNode(fn) || !('params' in fn)) return next;
    fn.params.forEach((param, i) => {
      const arg = args[i];
      if (!arg || arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder') return;
      const a = unwrap(arg);
      if (a.type === 'Identifier' && taint.whole.has(a.name)) this.taintPattern(param, next, 'whole');
      else if (param.type === 'ObjectPattern') this.taintPattern(param, next, new Set());
      else this.taintPattern(param, next, this.references(a, taint));
    });
    return next;
  }

  /** The command line of a process call when it is written out in full (`execSync('git status')`, `spawn('git', ['log'])`). */
  private constantCommand(args: readonly Node[], scope: Scope): string | undefined {
    const [first, second] = args;
    const command = first ? this.ev.string(first, scope) : undefined;
    if (!command?.complete) return undefined;
    if (!second) return command.text;
    const list = this.ev.resolve(second, scope);
    if (list.node.type !== 'ArrayExpression') return list.node.type === 'ObjectExpression' ? command.text : undefined;
    const parts = [command.text];
    for (const element of list.node.elements) {
      const part = element && element.type !== 'SpreadElement' ? this.ev.string(element, list.scope) : undefined;
      if (!part?.complete) return undefined;
      parts.push(part.text);
    }
    return parts.join(' ');
  }

  private record(call: Node, path: string, scope: Scope, taint: Taint, args: readonly Node[]): void {
    let effect = this.effects.length < MAX_EFFECTS ? effectOf(path, scope) : undefined;
    if (effect === 'exec') {
      // A fixed, read-only command (`git rev-parse HEAD`) does not contradict readOnlyHint; anything computed might.
      const command = this.constantCommand(args, scope);
      if (command !== undefined && !WRITING_COMMAND.test(command)) effect = undefined;
    }
    // A handler followed into a linked module is located, and quoted, in that module.
    if (effect) this.effects.push({ kind: effect, call: path, location: this.locate(call, scope.file), evidence: this.evidence(call, scope.file) });
    if (this.watched.size === 0 || !isNetworkCall(path)) return;
    for (const arg of args) {
      for (const param of this.references(arg, taint)) {
        if (!this.sent.has(param)) this.sent.set(param, { location: this.locate(call, scope.file), evidence: this.evidence(call, scope.file) });
      }
    }
  }

  scan(root: Node, scope: Scope, taint: Taint, depth: number): void {
    const nodes = this.collect(root);
    this.propagate(nodes, taint);
    for (const n of nodes) {
      if (n.type !== 'CallExpression' && n.type !== 'OptionalCallExpression' && n.type !== 'NewExpression') continue;
      const callee = unwrap(n.callee);
      const args = n.arguments.filter((a) => a.type !== 'SpreadElement' && a.type !== 'ArgumentPlaceholder');
      const path = memberPath(callee);
      if (path !== undefined) this.record(n, path, scope, taint, args);
      if (callee.type === 'Identifier' && depth < MAX_FOLLOW_DEPTH) this.follow(callee.name, args, scope, taint, depth);
    }
  }

  private follow(name: string, args: readonly Node[], scope: Scope, taint: Taint, depth: number): void {
    const binding = scope.lookup(name);
    let fn: Resolved | undefined;
    if (binding?.kind === 'function') fn = { node: binding.node, scope: this.ev.functionScopes.get(binding.node) ?? scope };
    else if (binding?.kind === 'value' && !binding.reassigned) fn = this.ev.functionOf(binding.init, binding.scope);
    if (!fn || this.followed.has(fn.node)) return;
    this.followed.add(fn.node);
    const body = 'body' in fn.node ? (fn.node.body as Node) : undefined;
    if (body) this.scan(body, fn.scope, this.calleeTaint(fn.node, args, taint), depth + 1);
  }

  /** The handler's own first parameter is the arguments object (or destructures it). */
  handlerTaint(fn: Node): Taint {
    const taint = newTaint();
    if (!isFunctionNode(fn) || !('params' in fn)) return taint;
    const first = fn.params[0];
    if (first) this.taintPattern(first, taint, 'whole');
    return taint;
  }
}

export interface HandlerTarget {
  /** A handler function, or statements (a `case` of a dispatching CallTool handler). */
  root: Node;
  scope: Scope;
  /** Local names known to hold the whole arguments object (dispatch handlers). */
  wholeArgs?: readonly string[];
}

/** Up to 200 characters of a node's source, from the module `file` names (the file being read when omitted). */
export type Evidence = (node: Node, file?: string) => string;

export function analyzeHandler(ev: Evaluator, locate: Locate, evidence: Evidence, target: HandlerTarget, params: readonly string[]): HandlerFacts {
  const scan = new HandlerScan(ev, locate, evidence, new Set(params));
  const fn = target.root;
  if (isFunctionNode(fn)) {
    const body = 'body' in fn ? (fn.body as Node) : undefined;
    if (body) scan.scan(body, target.scope, scan.handlerTaint(fn), 0);
  } else {
    const taint = newTaint();
    for (const name of target.wholeArgs ?? []) taint.whole.add(name);
    scan.scan(fn, target.scope, taint, 0);
  }
  return {
    effects: scan.effects,
    sent: [...scan.sent].map(([param, use]) => ({ param, location: use.location, evidence: use.evidence })),
  };
}
