/**
 * Answers questions about names in one module: what module a binding holds (`cp` → child_process), the
 * canonical name of a callee (`(0, import_fs.readFileSync)` → `fs.readFileSync`), and which strings an
 * expression can evaluate to (`path.join(os.homedir(), '.ssh', 'id_rsa')` → `~/.ssh/id_rsa`). Every
 * answer is memoised and bounded in depth, so a hostile module costs at most linear work.
 */
import type { Node } from '@babel/types';
import type { ModuleFacts, Site } from './collect.js';
import { ELEMENT, bindingKey, PROGRAM_SCOPE, resolveScope, thisKey } from './collect.js';
import { isCall, keyName, memberName, unwrap } from './syntax.js';

/** Stands for a part of a string that is not known statically. */
export const UNKNOWN = '\u0000';
export const HOME = '~';
export const CWD = '<cwd>';
export const PACKAGE_DIR = '<pkg>';
export const TMP = '<tmp>';

const MAX_DEPTH = 12;
const MAX_CANDIDATES = 8;
const MAX_STRING = 2048;

const MODULE_ALIASES: Readonly<Record<string, string>> = {
  'fs/promises': 'fs',
  'fs-extra': 'fs',
  'graceful-fs': 'fs',
  'dns/promises': 'dns',
  'node-fetch': 'fetch',
  'cross-fetch': 'fetch',
  'isomorphic-fetch': 'fetch',
  'make-fetch-happen': 'fetch',
  'isomorphic-ws': 'ws',
  'cross-spawn': 'child_process.spawn',
  path: 'path',
  'path/posix': 'path',
  'path/win32': 'path',
  'upath': 'path',
  'pathe': 'path',
};

/** Spelling variants that name the same thing once normalised. */
const NAME_ALIASES: Readonly<Record<string, string>> = {
  'child_process.spawn.sync': 'child_process.spawnSync',
  'path.posix': 'path',
  'path.win32': 'path',
  'ws': 'WebSocket',
  'ws.WebSocket': 'WebSocket',
  'undici.fetch': 'fetch',
  'execa.execa': 'execa',
  'execa.$': 'execa',
  'fetch.default': 'fetch',
};

const GLOBAL_PREFIXES = ['globalThis.', 'window.', 'global.', 'self.'];

/** Calls that return a configured client behaving like the module itself (`axios.create()` → axios). */
export const CLIENT_FACTORIES: Readonly<Record<string, string>> = {
  'axios.create': 'axios',
  'got.extend': 'got',
  'ky.create': 'ky',
  'ky.extend': 'ky',
};

export function canonicalModule(specifier: string): string {
  const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  return MODULE_ALIASES[bare] ?? bare;
}

/** Drops interop noise (`.default`, `fs.promises`, `globalThis.`) so one API has one name. */
export function normaliseName(name: string): string {
  let out = name;
  for (const prefix of GLOBAL_PREFIXES) if (out.startsWith(prefix)) out = out.slice(prefix.length);
  out = out.replace(/\.default(?=\.|$)/g, '');
  out = out.replace(/^(fs|dns)\.promises(?=\.|$)/, '$1');
  const parts = out.split('.');
  const head = parts[0] ?? '';
  const aliased = MODULE_ALIASES[head];
  if (aliased !== undefined && aliased !== head) out = [aliased, ...parts.slice(1)].join('.');
  for (let i = 0; i < 3; i += 1) {
    const whole = NAME_ALIASES[out];
    if (whole !== undefined) {
      out = whole;
      continue;
    }
    const dot = out.lastIndexOf('.');
    const prefix = dot > 0 ? NAME_ALIASES[out.slice(0, dot)] : undefined;
    if (prefix === undefined) break;
    out = `${prefix}${out.slice(dot)}`;
  }
  return out;
}

/** Calls that only wrap a module object (bundler interop helpers). */
const INTEROP_WRAPPER = /^(?:__toESM|__toCommonJS|__importDefault|__importStar|_interopRequireDefault|_interopRequireWildcard|__importStar\d*|_interop_require_default|_interop_require_wildcard|tslib_\w{0,20})$/;

function requireSpecifier(node: Node): string | undefined {
  if (!isCall(node) || node.type === 'NewExpression') return undefined;
  const callee = node.callee;
  const arg = node.arguments[0];
  if (!arg || arg.type !== 'StringLiteral') return undefined;
  if (callee.type === 'Import') return arg.value;
  if (callee.type === 'Identifier' && (callee.name === 'require' || callee.name === '__require')) return arg.value;
  if (callee.type === 'MemberExpression' && callee.object.type === 'Identifier' && callee.object.name === 'module' && memberName(callee) === 'require') return arg.value;
  return undefined;
}

function joinCandidates(parts: string[][]): string[] {
  let out: string[] = [''];
  for (const options of parts) {
    const next: string[] = [];
    for (const prefix of out) {
      for (const option of options) {
        if (next.length >= MAX_CANDIDATES) break;
        next.push(`${prefix}${option}`.slice(0, MAX_STRING));
      }
    }
    out = next;
  }
  return out;
}

function uniq(values: string[]): string[] {
  return [...new Set(values)].slice(0, MAX_CANDIDATES);
}

/** Joins path parts the way path.join would, keeping placeholders. An absolute later part restarts for `resolve`. */
function joinPath(parts: string[], restartOnAbsolute: boolean): string {
  let out = '';
  for (const part of parts) {
    if (part === '') continue;
    if (restartOnAbsolute && out !== '' && (part.startsWith('/') || part.startsWith(HOME) || part.startsWith(CWD))) {
      out = part;
      continue;
    }
    out = out === '' ? part : `${out.replace(/[\\/]+$/, '')}/${part.replace(/^[\\/]+/, '')}`;
  }
  return out;
}

const ENV_PATHS: Readonly<Record<string, string>> = {
  HOME,
  USERPROFILE: HOME,
  HOMEPATH: HOME,
  APPDATA: `${HOME}/AppData/Roaming`,
  LOCALAPPDATA: `${HOME}/AppData/Local`,
  XDG_CONFIG_HOME: `${HOME}/.config`,
  XDG_DATA_HOME: `${HOME}/.local/share`,
  TMPDIR: TMP,
  TEMP: TMP,
  TMP,
  PWD: CWD,
  INIT_CWD: CWD,
};

export class Resolver {
  private readonly bindingNames = new Map<string, string | null>();
  private readonly stringMemo = new Map<string, string[]>();
  private readonly inProgress = new Set<string>();

  constructor(readonly facts: ModuleFacts) {}

  keyOf(name: string, scope: number): string {
    return bindingKey(resolveScope(this.facts, name, scope), name);
  }

  /** True when nothing in the module declares `name` where it is used: a global such as `fetch` or `process`. */
  isGlobal(name: string, scope: number): boolean {
    const declaring = resolveScope(this.facts, name, scope);
    return declaring === PROGRAM_SCOPE && !this.facts.declared.get(PROGRAM_SCOPE)?.has(name) && !this.facts.defs.has(bindingKey(PROGRAM_SCOPE, name));
  }

  defs(name: string, scope: number): Site[] {
    return this.facts.defs.get(this.keyOf(name, scope)) ?? [];
  }

  /** Values of `this.x` when `node` is that member expression inside a class method. */
  thisDefs(node: Node, scope: number): Site[] | undefined {
    if ((node.type !== 'MemberExpression' && node.type !== 'OptionalMemberExpression') || node.object.type !== 'ThisExpression') return undefined;
    const key = thisKey(this.facts, memberName(node), scope);
    return key === undefined ? undefined : (this.facts.defs.get(key) ?? []);
  }

  /** Function scopes a callee identifier names, when it is a function of this module. */
  localFunctions(name: string, scope: number): number[] {
    return this.facts.functionsByBinding.get(this.keyOf(name, scope)) ?? [];
  }

  /**
   * Canonical dotted name of what an expression refers to: `child_process.exec`, `fs.readFileSync`,
   * `fetch`, `process.env`, or undefined when it is a local value of unknown origin.
   */
  nameOf(node: Node | null | undefined, scope: number, depth = 0): string | undefined {
    const inner = unwrap(node);
    if (!inner || depth > MAX_DEPTH) return undefined;
    switch (inner.type) {
      case 'Identifier':
        return this.identifierName(inner.name, scope, depth);
      case 'MemberExpression':
      case 'OptionalMemberExpression': {
        const prop = memberName(inner);
        if (prop === undefined) return undefined;
        if (inner.object.type === 'MetaProperty') return `import.meta.${prop}`;
        if (inner.object.type === 'ThisExpression') {
          const key = thisKey(this.facts, prop, scope);
          return key === undefined ? undefined : this.bindingName(key, depth);
        }
        const base = this.nameOf(inner.object, scope, depth + 1);
        return base === undefined ? undefined : normaliseName(`${base}.${prop}`);
      }
      case 'AwaitExpression':
        return this.nameOf(inner.argument, scope, depth + 1);
      case 'CallExpression':
        return this.callModuleName(inner, scope, depth);
      default:
        return undefined;
    }
  }

  private callModuleName(node: Extract<Node, { type: 'CallExpression' }>, scope: number, depth: number): string | undefined {
    const specifier = requireSpecifier(node);
    if (specifier !== undefined) return normaliseName(canonicalModule(specifier));
    const callee = unwrap(node.callee);
    if (!callee || callee.type !== 'Identifier') return undefined;
    const first = node.arguments[0];
    if (INTEROP_WRAPPER.test(callee.name) && first) return this.nameOf(first, scope, depth + 1);
    if (this.facts.webpackExternals.size > 0 && node.arguments.length === 1 && (first?.type === 'NumericLiteral' || first?.type === 'StringLiteral')) {
      const external = this.facts.webpackExternals.get(String(first.value));
      if (external !== undefined) return normaliseName(canonicalModule(external));
    }
    if (first && node.arguments.length <= 2 && requireSpecifier(unwrap(first) ?? first) !== undefined && /^_{0,2}[a-z]\w{0,40}$/i.test(callee.name)) {
      // An unknown one-argument wrapper around require() is bundler interop far more often than not.
      return this.nameOf(first, scope, depth + 1);
    }
    return undefined;
  }

  private identifierName(name: string, scope: number, depth: number): string | undefined {
    const key = this.keyOf(name, scope);
    const defs = this.facts.defs.get(key);
    if (!defs || defs.length === 0) {
      return this.facts.declared.get(resolveScope(this.facts, name, scope))?.has(name) ? undefined : name;
    }
    return this.bindingName(key, depth);
  }

  private bindingName(key: string, depth: number): string | undefined {
    const defs = this.facts.defs.get(key) ?? [];
    const memo = this.bindingNames.get(key);
    if (memo !== undefined) return memo ?? undefined;
    if (this.inProgress.has(key)) return undefined;
    this.inProgress.add(key);
    let found: string | undefined;
    for (const def of defs.slice(0, 8)) {
      found = this.defName(def, depth + 1);
      if (found !== undefined) break;
    }
    this.inProgress.delete(key);
    this.bindingNames.set(key, found ?? null);
    return found;
  }

  private defName(def: Site, depth: number): string | undefined {
    if (def.pick === ELEMENT) return undefined;
    if (def.node.type === 'ImportDeclaration') {
      const module = normaliseName(canonicalModule(def.node.source.value));
      if (def.pick === undefined || def.pick === '*' || def.pick === 'default') return module;
      return normaliseName(`${module}.${def.pick}`);
    }
    const value = unwrap(def.node);
    if (!value) return undefined;
    const instance = isCall(value) ? CLIENT_FACTORIES[this.nameOf(value.callee, def.scope, depth) ?? ''] : undefined;
    if (instance !== undefined) return instance;
    // Only aliases of names count (`const cp = require('child_process')`, `const run = cp.exec`), not computed values.
    if (value.type !== 'Identifier' && value.type !== 'MemberExpression' && value.type !== 'CallExpression' && value.type !== 'AwaitExpression') return undefined;
    if (value.type === 'CallExpression' && this.callModuleName(value, def.scope, depth) === undefined) return undefined;
    const base = this.nameOf(value, def.scope, depth);
    if (base === undefined) return undefined;
    return def.pick === undefined ? base : normaliseName(`${base}.${def.pick}`);
  }

  /** The callee's canonical name and its last segment. */
  callee(node: Node, scope: number): { name: string | undefined; tail: string | undefined } {
    if (!isCall(node)) return { name: undefined, tail: undefined };
    if (node.callee.type === 'Import') return { name: 'import', tail: 'import' };
    const name = this.nameOf(node.callee, scope);
    const inner = unwrap(node.callee);
    let tail: string | undefined;
    if (inner?.type === 'Identifier') tail = inner.name;
    else if (inner) tail = memberName(inner);
    return { name, tail };
  }

  /**
   * The strings an expression may evaluate to (at most 8), with UNKNOWN for parts that are not static and
   * placeholders for the home directory, working directory, package directory and temp directory.
   */
  strings(node: Node | null | undefined, scope: number, depth = 0): string[] {
    const inner = unwrap(node);
    if (!inner || depth > MAX_DEPTH) return [UNKNOWN];
    switch (inner.type) {
      case 'StringLiteral':
        return [inner.value.slice(0, MAX_STRING)];
      case 'NumericLiteral':
        return [String(inner.value)];
      case 'TemplateLiteral': {
        const parts: string[][] = [];
        inner.quasis.forEach((quasi, i) => {
          parts.push([quasi.value.cooked ?? quasi.value.raw]);
          const expr = inner.expressions[i];
          if (expr) parts.push(this.strings(expr, scope, depth + 1));
        });
        return joinCandidates(parts);
      }
      case 'BinaryExpression':
        if (inner.operator !== '+') return [UNKNOWN];
        return joinCandidates([this.strings(inner.left, scope, depth + 1), this.strings(inner.right, scope, depth + 1)]);
      case 'ConditionalExpression':
        return uniq([...this.strings(inner.consequent, scope, depth + 1), ...this.strings(inner.alternate, scope, depth + 1)]);
      case 'LogicalExpression':
        return uniq([...this.strings(inner.left, scope, depth + 1), ...this.strings(inner.right, scope, depth + 1)]);
      case 'AwaitExpression':
        return this.strings(inner.argument, scope, depth + 1);
      case 'Identifier':
        return this.identifierStrings(inner.name, scope, depth);
      case 'MemberExpression':
      case 'OptionalMemberExpression':
        return this.memberStrings(inner, scope, depth);
      case 'CallExpression':
      case 'OptionalCallExpression':
      case 'NewExpression':
        return this.callStrings(inner, scope, depth);
      case 'ArrayExpression':
        // An argv array: its words, space-separated, so command checks see `sh -c …` as one text.
        return joinCandidates(inner.elements.slice(0, 32).flatMap((el, i) => (i === 0 ? [this.strings(el, scope, depth + 1)] : [[' '], this.strings(el, scope, depth + 1)])));
      default:
        return [UNKNOWN];
    }
  }

  private identifierStrings(name: string, scope: number, depth: number): string[] {
    if (name === '__dirname' || name === '__filename') {
      if (this.isGlobal(name, scope)) return [PACKAGE_DIR];
    }
    return this.keyStrings(this.keyOf(name, scope), depth);
  }

  private keyStrings(key: string, depth: number): string[] {
    const memo = this.stringMemo.get(key);
    if (memo) return memo;
    const defs = this.facts.defs.get(key) ?? [];
    if (defs.length === 0 || defs.length > 4 || this.inProgress.has(key)) return [UNKNOWN];
    this.inProgress.add(key);
    const out: string[] = [];
    for (const def of defs) {
      if (def.pick === ELEMENT) {
        const value = unwrap(def.node);
        const elements = value?.type === 'ArrayExpression' ? value.elements.slice(0, MAX_CANDIDATES) : undefined;
        out.push(...(elements ? elements.flatMap((el) => this.strings(el, def.scope, depth + 1)) : [UNKNOWN]));
      } else if (def.pick !== undefined) {
        const value = unwrap(def.node);
        const picked = value?.type === 'ObjectExpression' ? propertyOf(value, def.pick) : undefined;
        out.push(...(picked ? this.strings(picked, def.scope, depth + 1) : [UNKNOWN]));
      } else if (def.node.type === 'ImportDeclaration') {
        out.push(UNKNOWN);
      } else {
        out.push(...this.strings(def.node, def.scope, depth + 1));
      }
    }
    this.inProgress.delete(key);
    // A parameter also holds whatever callers outside this module pass.
    if (this.facts.paramKeys.has(key)) out.push(UNKNOWN);
    const result = uniq(out);
    this.stringMemo.set(key, result);
    return result;
  }

  private memberStrings(node: Extract<Node, { type: 'MemberExpression' | 'OptionalMemberExpression' }>, scope: number, depth: number): string[] {
    const prop = memberName(node);
    const name = this.nameOf(node, scope);
    if (name !== undefined) {
      if (name.startsWith('process.env.')) return [ENV_PATHS[name.slice(12)] ?? UNKNOWN];
      if (name === 'process.execPath') return ['node'];
      if (name === 'import.meta.dirname' || name === 'import.meta.filename' || name === 'import.meta.url') return [PACKAGE_DIR];
      if (name === 'path.sep') return ['/'];
    }
    if (prop === 'homedir') return [HOME];
    const object = unwrap(node.object);
    if (object?.type === 'ThisExpression') {
      const key = thisKey(this.facts, prop, scope);
      return key === undefined ? [UNKNOWN] : this.keyStrings(key, depth + 1);
    }
    // `CONFIG.url` where CONFIG is an object literal of this module (or of this class: `this.urls.search`).
    const objectDefs = object?.type === 'Identifier' ? this.defs(object.name, scope) : object ? this.thisDefs(object, scope) : undefined;
    if (prop !== undefined && objectDefs) {
      const defs = objectDefs;
      const only = defs.length === 1 ? defs[0] : undefined;
      const value = only && only.pick === undefined ? unwrap(only.node) : undefined;
      if (only && value?.type === 'ObjectExpression') {
        const picked = propertyOf(value, prop);
        if (picked) return this.strings(picked, only.scope, depth + 1);
      }
    }
    if (prop !== undefined && object?.type === 'ObjectExpression') {
      const picked = propertyOf(object, prop);
      if (picked) return this.strings(picked, scope, depth + 1);
    }
    return [UNKNOWN];
  }

  private callStrings(node: Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }>, scope: number, depth: number): string[] {
    const { name, tail } = this.callee(node, scope);
    const args = node.arguments;
    if (name === 'os.homedir' || (name === undefined && tail === 'homedir')) return [HOME];
    if (name === 'os.tmpdir' || (name === undefined && tail === 'tmpdir')) return [TMP];
    if (name === 'process.cwd') return [CWD];
    if (name === 'os.userInfo') return [UNKNOWN];
    if (name === 'path.join' || name === 'path.resolve' || name === 'path.normalize' || name === 'path.posix.join') {
      const parts = args.slice(0, 16).map((arg) => this.strings(arg, scope, depth + 1));
      return this.joinAll(parts, name === 'path.resolve');
    }
    if (name === 'path.dirname') return this.strings(args[0], scope, depth + 1).map((p) => `${p}/..`);
    if (name === 'url.fileURLToPath' || name === 'String' || name === 'path.toNamespacedPath') return this.strings(args[0], scope, depth + 1);
    if (name === 'URL' || name === 'url.URL') return this.urlStrings(args, scope, depth);
    const callee = unwrap(node.callee);
    if (callee && (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression')) {
      if (tail === 'toString' || tail === 'trim' || tail === 'toLowerCase' || tail === 'normalize') return this.strings(callee.object, scope, depth + 1);
      if (tail === 'concat') return joinCandidates([this.strings(callee.object, scope, depth + 1), ...args.slice(0, 8).map((a) => this.strings(a, scope, depth + 1))]);
      if (tail === 'join' && unwrap(callee.object)?.type === 'ArrayExpression') {
        const array = unwrap(callee.object) as Extract<Node, { type: 'ArrayExpression' }>;
        const separator = this.strings(args[0], scope, depth + 1)[0] ?? ',';
        const parts = array.elements.slice(0, 16).map((el) => this.strings(el, scope, depth + 1));
        return joinCandidates(parts.flatMap((p, i) => (i === 0 ? [p] : [[separator], p])));
      }
    }
    return [UNKNOWN];
  }

  private joinAll(parts: string[][], restart: boolean): string[] {
    let out: string[][] = [[]];
    for (const options of parts) {
      const next: string[][] = [];
      for (const prefix of out) for (const option of options) if (next.length < MAX_CANDIDATES) next.push([...prefix, option]);
      out = next;
    }
    return uniq(out.map((p) => joinPath(p, restart).slice(0, MAX_STRING)));
  }

  private urlStrings(args: Node[], scope: number, depth: number): string[] {
    const first = this.strings(args[0], scope, depth + 1);
    if (args.length < 2) return first;
    const base = this.strings(args[1], scope, depth + 1);
    return uniq(first.flatMap((f) => (f.includes('://') ? [f] : base.map((b) => joinPath([b, f], false)))));
  }
}

export function propertyOf(node: Extract<Node, { type: 'ObjectExpression' }>, name: string): Node | undefined {
  for (const prop of node.properties.slice(0, 200)) {
    if (prop.type === 'ObjectProperty' && keyName(prop.key, prop.computed) === name) return prop.value;
  }
  return undefined;
}
