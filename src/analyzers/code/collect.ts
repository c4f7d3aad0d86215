/**
 * One pass over a module's AST that records what the rules need: where names are declared and what is
 * assigned to them (per function scope, so minified bundles that reuse `e`, `t`, `n` in every function do
 * not mix unrelated values), what functions return, and the calls and literals worth a closer look.
 * The pass is linear in the number of nodes and honours a deadline.
 */
import type { File, Node } from '@babel/types';
import { isBangBangArray, isFunctionNode, keyName, memberName, patternNames, rootIdentifier, tailName, unwrap } from './syntax.js';
import { fastWalk } from './walker.js';

/** A value somewhere in the module, with the scope it is evaluated in. `pick` names a destructured property. */
export interface Site {
  node: Node;
  scope: number;
  pick?: string;
}

export const PROGRAM_SCOPE = 0;

/** `pick` of a loop variable: one element of the iterated value. */
export const ELEMENT = '[]';

/** Calls the rules look at, by the last name of their callee. Everything else is skipped at collection. */
const INTERESTING_CALLS = new Set([
  // processes
  'exec', 'execSync', 'spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork', 'execa', 'execaSync', 'execaCommand',
  'execaCommandSync', 'execaNode', '$', 'crossSpawn', 'sync',
  // code
  'eval', 'Function', 'runInThisContext', 'runInNewContext', 'runInContext', 'compileFunction', 'Script', 'require', '__require',
  'import', 'setTimeout', 'setInterval',
  // files
  'readFile', 'readFileSync', 'createReadStream', 'readdir', 'readdirSync', 'readJson', 'readJsonSync', 'readJSON', 'readJSONSync',
  'copyFile', 'copyFileSync', 'cp', 'cpSync', 'copy', 'copySync', 'writeFile', 'writeFileSync', 'appendFile', 'appendFileSync',
  'createWriteStream', 'outputFile', 'outputFileSync', 'writeJson', 'writeJsonSync', 'writeJSON', 'outputJson', 'outputJsonSync',
  'chmod', 'chmodSync', 'rename', 'renameSync', 'open', 'openSync', 'glob', 'globSync', 'globby', 'globbySync', 'fg', 'file',
  // network
  'fetch', 'request', 'get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'postForm', 'putForm', 'stream', 'axios', 'got', 'create', 'extend',
  'connect', 'createConnection', 'WebSocket', 'send', 'write', 'end', 'lookup', 'resolve', 'resolve4', 'resolve6', 'resolveTxt',
  'resolveCname', 'resolveAny', 'sendBeacon', 'XMLHttpRequest', 'Socket', 'createSocket', 'superagent', 'needle', 'ky', 'pipe', 'pipeline',
  // mail
  'sendMail', 'sendEmail', 'sendEmailBatch', 'sendEmailWithTemplate', 'sendMailWithTemplate', 'createTransport',
  // clipboard
  'readText', 'read', 'readSync', 'paste',
  // environment
  'stringify', 'keys', 'values', 'entries', 'assign',
  // lifecycle
  'unref',
]);

/** Calls whose callback parameters receive what the call produced (file contents, a response, a process's output). */
const CALLBACK_SOURCES = new Set([
  'readFile', 'readdir', 'readJson', 'readJSON', 'exec', 'execFile', 'get', 'request', 'lookup', 'resolve', 'resolveTxt', 'read',
]);

/** Method calls whose callback parameters receive the receiver's value (`p.then(v => …)`, `res.on('data', c => …)`). */
const RECEIVER_CALLBACKS = new Set(['then', 'on', 'once', 'finally']);

const MAX_HEX_IDENTIFIERS = 10_000;
const MAX_URL_STRINGS = 5_000;
const MAX_LONG_STRINGS = 500;
const LONG_STRING = 1024;
const HEX_ID = /^_0x[0-9a-f]{4,6}$/i;

export interface ModuleFacts {
  readonly text: string;
  /** Parent of each function scope; the program is 0 and has none. */
  readonly parentScope: Map<number, number>;
  readonly declared: Map<number, Set<string>>;
  /** Values assigned to each binding, keyed `${scope}:${name}`. */
  readonly defs: Map<string, Site[]>;
  /** The class whose instance `this` is in each function scope (methods and the arrows inside them). */
  readonly thisClass: Map<number, number>;
  /** Binding keys of function parameters. */
  readonly paramKeys: Set<string>;
  /** Function scopes bound to a name (declarations and `const f = () => …`). */
  readonly functionsByBinding: Map<string, number[]>;
  readonly returns: Map<number, Site[]>;
  readonly calls: Site[];
  /** Object literals with a `bcc`/`cc` key, and `x.bcc = …` assignments. */
  readonly recipientObjects: Site[];
  readonly recipientAssignments: Site[];
  readonly forInEnv: Site[];
  readonly urlStrings: Site[];
  readonly longStrings: Site[];
  readonly hexIdentifiers: Set<string>;
  readonly rotationLoops: Node[];
  readonly packers: Node[];
  hexEscapedLiterals: number;
  /** webpack module ids whose module is `module.exports = require("x")`. */
  readonly webpackExternals: Map<string, string>;
  readonly unrefs: Site[];
  visited: number;
  cutShort: boolean;
}

export function bindingKey(scope: number, name: string): string {
  return `${scope}:${name}`;
}

/** The binding key of `this.<name>` in a method of a class, or undefined outside one. */
export function thisKey(facts: Pick<ModuleFacts, 'thisClass'>, name: string | undefined, scope: number): string | undefined {
  const id = facts.thisClass.get(scope);
  return id === undefined || name === undefined ? undefined : `this:${id}:${name}`;
}

interface Pending {
  name: string;
  scope: number;
  value: Site;
}

class Collector {
  readonly facts: ModuleFacts;
  private readonly scopeOf = new WeakMap<Node, number>();
  /** Functions that are values in an object literal under a literal key: webpack module factories. */
  private readonly factoryKey = new WeakMap<Node, string>();
  private nextScope = 1;
  private readonly pending: Pending[] = [];
  /** Function nodes that will be bound to a name once visited (`const f = () => …`). */
  private readonly pendingFunctionName = new Map<Node, string>();
  /** `f = function () {}`: bound once the assignment's target scope is known. */
  private readonly assignedFunctions: { fn: Node; name: string; scope: number }[] = [];
  /** Class members (and arrow-function property values), by the id of their class. */
  private readonly classOfMember = new WeakMap<Node, number>();
  private nextClass = 1;
  /** Parameter names of each function scope, by position. */
  private readonly paramNames = new Map<number, string[][]>();
  /** `f(a, b)` calls of plain identifiers: their arguments become the parameters' values once `f` is known. */
  private readonly pendingArgs: { name: string; scope: number; args: Node[] }[] = [];
  /** Function nodes whose parameters receive a call's result. */
  private readonly paramSources = new Map<Node, Site>();

  constructor(text: string) {
    this.facts = {
      text,
      parentScope: new Map(),
      declared: new Map([[PROGRAM_SCOPE, new Set()]]),
      defs: new Map(),
      paramKeys: new Set(),
      thisClass: new Map(),
      functionsByBinding: new Map(),
      returns: new Map(),
      calls: [],
      recipientObjects: [],
      recipientAssignments: [],
      forInEnv: [],
      urlStrings: [],
      longStrings: [],
      hexIdentifiers: new Set(),
      rotationLoops: [],
      packers: [],
      hexEscapedLiterals: 0,
      webpackExternals: new Map(),
      unrefs: [],
      visited: 0,
      cutShort: false,
    };
  }

  private declare(scope: number, name: string): void {
    let set = this.facts.declared.get(scope);
    if (!set) {
      set = new Set();
      this.facts.declared.set(scope, set);
    }
    set.add(name);
  }

  private addDef(key: string, site: Site): void {
    const list = this.facts.defs.get(key);
    if (list) {
      if (list.length < 64) list.push(site);
    } else {
      this.facts.defs.set(key, [site]);
    }
  }

  private addFunctionBinding(key: string, fnScope: number): void {
    const list = this.facts.functionsByBinding.get(key);
    if (list) list.push(fnScope);
    else this.facts.functionsByBinding.set(key, [fnScope]);
  }

  private addReturn(fnScope: number, site: Site): void {
    const list = this.facts.returns.get(fnScope);
    if (list) {
      if (list.length < 32) list.push(site);
    } else {
      this.facts.returns.set(fnScope, [site]);
    }
  }

  /** Records what `node` declares, assigns and calls; returns the scope its children are in. */
  enter(node: Node, scope: number, fn: Node | undefined): number {
    let inner = scope;
    if (isFunctionNode(node)) {
      inner = this.nextScope;
      this.nextScope += 1;
      this.facts.parentScope.set(inner, scope);
      this.scopeOf.set(node, inner);
      this.enterFunction(node, scope, inner);
    }
    this.visit(node, scope, fn);
    return inner;
  }

  private enterFunction(node: Node, outer: number, inner: number): void {
    if (!isFunctionNode(node)) return;
    const params: string[] = [];
    const byPosition: string[][] = [];
    for (const param of node.params.slice(0, 64)) {
      const names = patternNames(param);
      byPosition.push(names);
      params.push(...names);
    }
    this.paramNames.set(inner, byPosition);
    for (const name of params) {
      this.declare(inner, name);
      this.facts.paramKeys.add(bindingKey(inner, name));
    }
    if (node.type === 'FunctionDeclaration' && node.id) {
      this.declare(outer, node.id.name);
      this.addFunctionBinding(bindingKey(outer, node.id.name), inner);
    } else if (node.type === 'FunctionExpression' && node.id) {
      this.declare(inner, node.id.name);
      this.addFunctionBinding(bindingKey(inner, node.id.name), inner);
    }
    const ownClass = this.classOfMember.get(node);
    const outerClass = this.facts.thisClass.get(outer);
    if (ownClass !== undefined && node.type !== 'FunctionExpression') this.facts.thisClass.set(inner, ownClass);
    else if (node.type === 'ArrowFunctionExpression' && outerClass !== undefined) this.facts.thisClass.set(inner, outerClass);
    const bound = this.pendingFunctionName.get(node);
    if (bound !== undefined) {
      this.addFunctionBinding(bound, inner);
      this.pendingFunctionName.delete(node);
    }
    if (node.type === 'ArrowFunctionExpression' && node.body.type !== 'BlockStatement') this.addReturn(inner, { node: node.body, scope: inner });
    const source = this.paramSources.get(node);
    if (source) {
      for (const name of params) this.addDef(bindingKey(inner, name), source);
      this.paramSources.delete(node);
    }
  }

  private visit(node: Node, scope: number, fn: Node | undefined): void {
    switch (node.type) {
      case 'ImportDeclaration':
        this.visitImport(node);
        break;
      case 'VariableDeclarator':
        this.visitDeclarator(node, scope);
        break;
      case 'AssignmentExpression':
        this.visitAssignment(node, scope, fn);
        break;
      case 'ForOfStatement':
      case 'ForInStatement':
        this.visitForLoop(node, scope);
        break;
      case 'ClassDeclaration':
        if (node.id) this.declare(scope, node.id.name);
        break;
      case 'ClassBody':
        this.visitClassBody(node, scope);
        break;
      case 'CatchClause':
        for (const name of patternNames(node.param)) this.declare(scope, name);
        break;
      case 'ReturnStatement':
        if (node.argument && scope !== PROGRAM_SCOPE) this.addReturn(scope, { node: node.argument, scope });
        break;
      case 'CallExpression':
      case 'OptionalCallExpression':
      case 'NewExpression':
        this.visitCall(node, scope);
        break;
      case 'ImportExpression':
        this.facts.calls.push({ node, scope });
        break;
      case 'ObjectExpression':
        this.visitObject(node, scope);
        break;
      case 'Identifier':
        if (node.name.startsWith('_0x') && this.facts.hexIdentifiers.size < MAX_HEX_IDENTIFIERS && HEX_ID.test(node.name)) {
          this.facts.hexIdentifiers.add(node.name);
        }
        break;
      case 'WhileStatement':
      case 'DoWhileStatement':
        if (isBangBangArray(node.test)) this.facts.rotationLoops.push(node);
        break;
      case 'ForStatement':
        if (isBangBangArray(node.test)) this.facts.rotationLoops.push(node);
        break;
      case 'StringLiteral':
        this.visitString(node, node.value, scope);
        break;
      case 'TemplateElement':
        this.visitString(node, node.value.cooked ?? node.value.raw, scope);
        break;
      default:
        break;
    }
  }

  private visitImport(node: Extract<Node, { type: 'ImportDeclaration' }>): void {
    for (const spec of node.specifiers) {
      const local = spec.local.name;
      this.declare(PROGRAM_SCOPE, local);
      let pick = '*';
      if (spec.type === 'ImportDefaultSpecifier') pick = 'default';
      else if (spec.type === 'ImportSpecifier') pick = spec.imported.type === 'Identifier' ? spec.imported.name : spec.imported.value;
      this.addDef(bindingKey(PROGRAM_SCOPE, local), { node, scope: PROGRAM_SCOPE, pick });
    }
  }

  private visitDeclarator(node: Extract<Node, { type: 'VariableDeclarator' }>, scope: number): void {
    const id = node.id;
    const names = patternNames(id);
    for (const name of names) this.declare(scope, name);
    const init = node.init;
    if (!init) return;
    if (id.type === 'Identifier') {
      const key = bindingKey(scope, id.name);
      this.addDef(key, { node: init, scope });
      const fn = unwrap(init);
      if (fn && isFunctionNode(fn)) this.pendingFunctionName.set(fn, key);
      return;
    }
    if (id.type === 'ObjectPattern') {
      for (const prop of id.properties.slice(0, 200)) {
        if (prop.type === 'RestElement') {
          for (const name of patternNames(prop)) this.addDef(bindingKey(scope, name), { node: init, scope });
          continue;
        }
        const pick = keyName(prop.key, prop.computed);
        for (const name of patternNames(prop.value)) {
          const site: Site = pick === undefined ? { node: init, scope } : { node: init, scope, pick };
          this.addDef(bindingKey(scope, name), site);
        }
      }
      return;
    }
    for (const name of names) this.addDef(bindingKey(scope, name), { node: init, scope });
  }

  private visitAssignment(node: Extract<Node, { type: 'AssignmentExpression' }>, scope: number, fn: Node | undefined): void {
    const left = node.left;
    const value: Site = { node: node.right, scope };
    if (left.type === 'Identifier') {
      this.pending.push({ name: left.name, scope, value });
      const fn = unwrap(node.right);
      if (fn && isFunctionNode(fn)) this.assignedFunctions.push({ fn, name: left.name, scope });
      return;
    }
    if (left.type === 'MemberExpression' || left.type === 'OptionalMemberExpression') {
      const key = left.object.type === 'ThisExpression' ? thisKey(this.facts, memberName(left), scope) : undefined;
      if (key !== undefined) this.addDef(key, value);
      const root = rootIdentifier(left);
      if (root !== undefined) this.pending.push({ name: root, scope, value });
      const name = memberName(left);
      if (name !== undefined && /^(?:bcc|cc)$/i.test(name)) this.facts.recipientAssignments.push({ node, scope });
      if (name === 'exports' && fn) this.noteWebpackExternal(node, fn);
      return;
    }
    for (const name of patternNames(left)) this.pending.push({ name, scope, value });
  }

  /** Gives the class's methods their `this`, and records property initialisers as `this.x` values. */
  private visitClassBody(node: Extract<Node, { type: 'ClassBody' }>, scope: number): void {
    const id = this.nextClass;
    this.nextClass += 1;
    for (const member of node.body.slice(0, 1000)) {
      this.classOfMember.set(member, id);
      if (member.type !== 'ClassProperty' && member.type !== 'ClassPrivateProperty') continue;
      if (member.static || !member.value) continue;
      if (isFunctionNode(member.value)) this.classOfMember.set(member.value, id);
      const name = keyName(member.key, member.type === 'ClassProperty' && member.computed);
      if (name !== undefined) this.addDef(`this:${id}:${name}`, { node: member.value, scope });
    }
  }

  /** `1234: (e, t, n) => { e.exports = require("child_process") }` inside a webpack module table. */
  private noteWebpackExternal(node: Extract<Node, { type: 'AssignmentExpression' }>, fn: Node): void {
    const right = unwrap(node.right);
    if (!right || right.type !== 'CallExpression' || right.callee.type !== 'Identifier' || right.callee.name !== 'require') return;
    const arg = right.arguments[0];
    const key = this.factoryKey.get(fn);
    if (arg?.type === 'StringLiteral' && key !== undefined) this.facts.webpackExternals.set(key, arg.value);
  }

  private visitForLoop(node: Extract<Node, { type: 'ForOfStatement' | 'ForInStatement' }>, scope: number): void {
    const value: Site = { node: node.right, scope };
    if (node.type === 'ForInStatement') {
      const right = unwrap(node.right);
      if (right && right.type === 'MemberExpression' && right.object.type === 'Identifier' && right.object.name === 'process' && memberName(right) === 'env') {
        this.facts.forInEnv.push({ node, scope });
      }
    }
    if (node.left.type === 'VariableDeclaration') {
      for (const decl of node.left.declarations) {
        for (const name of patternNames(decl.id)) {
          this.declare(scope, name);
          this.addDef(bindingKey(scope, name), { ...value, pick: ELEMENT });
        }
      }
    } else {
      for (const name of patternNames(node.left)) this.pending.push({ name, scope, value: { ...value, pick: ELEMENT } });
    }
  }

  private visitCall(node: Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }>, scope: number): void {
    const callee = node.callee;
    if (callee.type === 'Import') {
      this.facts.calls.push({ node, scope });
      return;
    }
    const tail = tailName(callee);
    if (tail === undefined) return;
    if (INTERESTING_CALLS.has(tail)) this.facts.calls.push({ node, scope });
    const plain = unwrap(callee);
    if (plain?.type === 'Identifier' && node.arguments.length > 0) {
      this.pendingArgs.push({ name: plain.name, scope, args: node.arguments.slice(0, 8) as Node[] });
    }
    if (tail === 'unref') {
      const inner = unwrap(callee);
      if (inner && (inner.type === 'MemberExpression' || inner.type === 'OptionalMemberExpression')) this.facts.unrefs.push({ node: inner.object, scope });
    }
    if (tail === 'push') {
      const inner = unwrap(callee);
      const root = inner && (inner.type === 'MemberExpression' || inner.type === 'OptionalMemberExpression') ? rootIdentifier(inner.object) : undefined;
      if (root !== undefined) for (const arg of node.arguments.slice(0, 4)) this.pending.push({ name: root, scope, value: { node: arg, scope } });
    }
    if (tail === 'eval' && this.isPacker(node)) this.facts.packers.push(node);
    this.noteCallbacks(node, tail, scope);
  }

  private noteCallbacks(node: Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }>, tail: string, scope: number): void {
    const receiver = RECEIVER_CALLBACKS.has(tail);
    if (!receiver && !CALLBACK_SOURCES.has(tail)) return;
    let source: Site = { node, scope };
    if (receiver) {
      const inner = unwrap(node.callee);
      if (!inner || (inner.type !== 'MemberExpression' && inner.type !== 'OptionalMemberExpression')) return;
      source = { node: inner.object, scope };
    }
    for (const arg of node.arguments.slice(0, 4)) {
      if (isFunctionNode(arg)) this.paramSources.set(arg, source);
    }
  }

  /** `eval(function(p,a,c,k,e,d){…}(…))`, Dean Edwards' packer. */
  private isPacker(node: Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }>): boolean {
    const arg = unwrap(node.arguments[0]);
    if (!arg || arg.type !== 'CallExpression') return false;
    const fn = unwrap(arg.callee);
    if (!fn || fn.type !== 'FunctionExpression') return false;
    const names = fn.params.map((p) => (p.type === 'Identifier' ? p.name : '')).join(',');
    return /^p,a,c,k,e(?:,[dr])?$/.test(names);
  }

  private visitObject(node: Extract<Node, { type: 'ObjectExpression' }>, scope: number): void {
    const props = node.properties;
    const limit = Math.min(props.length, 100);
    let recipient = false;
    for (let i = 0; i < limit; i += 1) {
      const prop = props[i];
      if (prop?.type !== 'ObjectProperty') continue;
      const key = keyName(prop.key, prop.computed);
      if (key === undefined) continue;
      if (!recipient && key.length <= 3 && /^(?:bcc|cc)$/i.test(key)) {
        recipient = true;
        this.facts.recipientObjects.push({ node, scope });
      }
      if ((prop.key.type === 'NumericLiteral' || prop.key.type === 'StringLiteral') && isFunctionNode(prop.value)) this.factoryKey.set(prop.value, key);
    }
  }

  private visitString(node: Node, value: string, scope: number): void {
    if (value.length >= LONG_STRING) {
      if (this.facts.longStrings.length < MAX_LONG_STRINGS) this.facts.longStrings.push({ node, scope });
    } else if (value.length >= 8 && this.facts.urlStrings.length < MAX_URL_STRINGS && value.includes('://')) {
      this.facts.urlStrings.push({ node, scope });
    }
    if (node.type === 'StringLiteral') {
      // Babel keeps the source text of a literal in `extra`; the fast path's trees keep acorn's `raw` instead.
      const raw = (node.extra as { raw?: unknown } | undefined)?.raw ?? (node as { raw?: unknown }).raw;
      if (typeof raw === 'string' && raw.length >= 18 && countHexEscapes(raw) >= 4 && countHexEscapes(raw) * 4 >= raw.length * 0.7) {
        this.facts.hexEscapedLiterals += 1;
      }
    }
  }

  /** Resolves `x = …` to the declaration it assigns to, now that every declaration has been seen. */
  finish(): void {
    for (const item of this.pending) {
      const key = bindingKey(resolveScope(this.facts, item.name, item.scope), item.name);
      this.addDef(key, item.value);
    }
    this.pending.length = 0;
    for (const { fn, name, scope } of this.assignedFunctions) {
      const fnScope = this.scopeOf.get(fn);
      if (fnScope !== undefined) this.addFunctionBinding(bindingKey(resolveScope(this.facts, name, scope), name), fnScope);
    }
    this.assignedFunctions.length = 0;
    // Arguments of calls to local functions are what their parameters hold.
    for (const { name, scope, args } of this.pendingArgs) {
      const fns = this.facts.functionsByBinding.get(bindingKey(resolveScope(this.facts, name, scope), name));
      if (!fns) continue;
      for (const fn of fns.slice(0, 4)) {
        const params = this.paramNames.get(fn) ?? [];
        args.forEach((arg, i) => {
          if (arg.type === 'SpreadElement') return;
          for (const param of params[i] ?? []) this.addDef(bindingKey(fn, param), { node: arg, scope });
        });
      }
    }
    this.pendingArgs.length = 0;
  }
}

function countHexEscapes(raw: string): number {
  let count = 0;
  for (let i = raw.indexOf('\\x'); i !== -1 && count < 10_000; i = raw.indexOf('\\x', i + 2)) count += 1;
  return count;
}

const MAX_SCOPE_HOPS = 64;

/** The scope that declares `name` as seen from `scope`, or the program scope for globals. */
export function resolveScope(facts: Pick<ModuleFacts, 'declared' | 'parentScope'>, name: string, scope: number): number {
  let current: number | undefined = scope;
  for (let i = 0; i < MAX_SCOPE_HOPS && current !== undefined; i += 1) {
    if (facts.declared.get(current)?.has(name)) return current;
    if (current === PROGRAM_SCOPE) return PROGRAM_SCOPE;
    current = facts.parentScope.get(current);
  }
  return PROGRAM_SCOPE;
}

export interface CollectOptions {
  /** performance.now() value after which the walk stops. */
  deadline: number;
  signal?: AbortSignal;
}

export function collectFacts(ast: File, text: string, options: CollectOptions): ModuleFacts {
  const collector = new Collector(text);
  const shouldStop = (): boolean => performance.now() > options.deadline || options.signal?.aborted === true;
  const walked = fastWalk<number>(ast.program, PROGRAM_SCOPE, (node, scope, fn) => collector.enter(node, scope, fn), isFunctionNode, { shouldStop });
  collector.facts.visited = walked.visited;
  collector.facts.cutShort = walked.stopped;
  collector.finish();
  return collector.facts;
}
