/**
 * Just enough scoping to read constants: bindings per function (block scopes are folded into their
 * function, which only ever makes a name ambiguous, never wrong), and an evaluator that follows
 * identifiers and member accesses to literals. Every step is counted, so hostile input (long chains,
 * doubling concatenations, cycles) stays bounded.
 */
import type { Node, ObjectExpression } from '@babel/types';
import { MAX_TOOL_TEXT } from './model.js';

export type Binding =
  | { kind: 'value'; init: Node; scope: Scope; reassigned: boolean }
  | { kind: 'function'; node: Node }
  | { kind: 'import'; source: string; imported: string }
  | { kind: 'opaque' };

const OPAQUE: Binding = Object.freeze({ kind: 'opaque' });

export class Scope {
  readonly bindings = new Map<string, Binding>();
  /** Workspace path of the module this scope belongs to. */
  readonly file: string;

  constructor(
    readonly parent: Scope | undefined,
    file = '',
  ) {
    this.file = parent?.file ?? file;
  }

  /** A second declaration of one name in one scope makes it ambiguous: we cannot tell which one runs. */
  declare(name: string, binding: Binding): void {
    this.bindings.set(name, this.bindings.has(name) ? OPAQUE : binding);
  }

  declareOpaque(name: string): void {
    this.bindings.set(name, OPAQUE);
  }

  lookup(name: string): Binding | undefined {
    for (let scope: Scope | undefined = this; scope !== undefined; scope = scope.parent) {
      const binding = scope.bindings.get(name);
      if (binding !== undefined) return binding;
    }
    return undefined;
  }
}

/** Marks the gap where a computed, unknown part of a string was. */
export const GAP = '…';

export interface Str {
  text: string;
  complete: boolean;
  /** The first literal the text came from, for locations. */
  at?: Node;
  /** The module `at` is in (a linked module's, when the text was followed into one). */
  atFile?: string;
}

export interface Resolved {
  node: Node;
  scope: Scope;
}

/** Answers for names imported from other modules of the package (relative imports only). */
export interface ModuleLinker {
  /** What `source`, imported from the module of `scope`, exports as `name`; undefined when unknown. */
  exported(scope: Scope, source: string, name: string): Resolved | undefined;
}

const FUNCTION_TYPES = new Set(['FunctionExpression', 'ArrowFunctionExpression', 'FunctionDeclaration', 'ObjectMethod', 'ClassMethod', 'ClassPrivateMethod']);

export function isFunctionNode(node: Node): boolean {
  return FUNCTION_TYPES.has(node.type);
}

/** Strips type assertions, parentheses and `(0, x)` sequences that do not change a value. */
export function unwrap(node: Node): Node {
  let current = node;
  for (let i = 0; i < 32; i += 1) {
    switch (current.type) {
      case 'TSAsExpression':
      case 'TSSatisfiesExpression':
      case 'TSNonNullExpression':
      case 'TSTypeAssertion':
      case 'TSInstantiationExpression':
      case 'TypeCastExpression':
      case 'ParenthesizedExpression':
        current = current.expression;
        continue;
      case 'SequenceExpression': {
        const last = current.expressions[current.expressions.length - 1];
        if (!last) return current;
        current = last;
        continue;
      }
      default:
        return current;
    }
  }
  return current;
}

/** The key of a property or member access when it is written literally. */
export function staticKey(key: Node, computed: boolean): string | undefined {
  if (!computed && key.type === 'Identifier') return key.name;
  if (key.type === 'StringLiteral') return key.value;
  if (key.type === 'NumericLiteral') return String(key.value);
  if (key.type === 'TemplateLiteral' && key.expressions.length === 0) return key.quasis.map((q) => q.value.cooked ?? q.value.raw).join('');
  return undefined;
}

export function memberKey(node: Node): string | undefined {
  if (node.type !== 'MemberExpression' && node.type !== 'OptionalMemberExpression') return undefined;
  return staticKey(node.property, node.computed);
}

/** Names of the statically keyed properties of an object literal (spreads are not followed). */
export function ownKeys(object: ObjectExpression): Set<string> {
  const keys = new Set<string>();
  for (const prop of object.properties) {
    if (prop.type === 'ObjectProperty' || prop.type === 'ObjectMethod') {
      const key = staticKey(prop.key, prop.computed);
      if (key !== undefined) keys.add(key);
    }
  }
  return keys;
}

function cap(text: string): string {
  return text.length > MAX_TOOL_TEXT ? text.slice(0, MAX_TOOL_TEXT) : text;
}

function joinParts(parts: readonly (Str | undefined)[]): Str | undefined {
  if (parts.every((p) => p === undefined)) return undefined;
  let text = '';
  let complete = true;
  let at: Node | undefined;
  let atFile: string | undefined;
  for (const part of parts) {
    if (part === undefined) {
      text += GAP;
      complete = false;
    } else {
      text += part.text;
      complete &&= part.complete;
      if (at === undefined && part.at !== undefined) {
        at = part.at;
        atFile = part.atFile;
      }
    }
    if (text.length > MAX_TOOL_TEXT) break;
  }
  const out: Str = { text: cap(text), complete };
  if (at !== undefined) out.at = at;
  if (atFile !== undefined) out.atFile = atFile;
  return out;
}

const MAX_DEPTH = 40;

/**
 * Follows names to the values they hold. One evaluator per file; `maxSteps` bounds the total work it
 * will ever do, after which every question answers "unknown".
 */
export class Evaluator {
  private steps = 0;

  constructor(
    readonly functionScopes: WeakMap<Node, Scope>,
    private readonly linker?: ModuleLinker,
    private readonly maxSteps = 500_000,
  ) {}

  get exhausted(): boolean {
    return this.steps >= this.maxSteps;
  }

  private tick(): boolean {
    this.steps += 1;
    return this.steps <= this.maxSteps;
  }

  /** Follows identifiers and literal member accesses as far as they lead; returns the last node reached. */
  resolve(node: Node, scope: Scope, depth = 0): Resolved {
    let current = unwrap(node);
    let currentScope = scope;
    for (let hop = 0; hop < MAX_DEPTH && depth < MAX_DEPTH && this.tick(); hop += 1) {
      if (current.type === 'Identifier') {
        const binding = currentScope.lookup(current.name);
        if (binding?.kind === 'value' && !binding.reassigned) {
          current = unwrap(binding.init);
          currentScope = binding.scope;
          continue;
        }
        if (binding?.kind === 'function') return { node: binding.node, scope: currentScope };
        if (binding?.kind === 'import' && binding.imported !== '*') {
          const linked = this.linker?.exported(currentScope, binding.source, binding.imported);
          if (linked === undefined) break;
          current = unwrap(linked.node);
          currentScope = linked.scope;
          continue;
        }
        break;
      }
      if (current.type === 'MemberExpression' || current.type === 'OptionalMemberExpression') {
        const key = memberKey(current);
        if (key === undefined) break;
        const target = this.resolve(current.object, currentScope, depth + 1);
        const found = this.member(target, key, depth + 1);
        if (found === undefined) break;
        current = unwrap(found.node);
        currentScope = found.scope;
        continue;
      }
      break;
    }
    return { node: current, scope: currentScope };
  }

  private member(target: Resolved, key: string, depth: number): Resolved | undefined {
    if (target.node.type === 'ObjectExpression') return this.property(target.node, key, target.scope, depth);
    const source = this.moduleSource(target);
    if (source !== undefined) return this.linker?.exported(target.scope, source, key);
    if (target.node.type === 'ArrayExpression' && /^\d{1,6}$/.test(key)) {
      const element = target.node.elements[Number(key)];
      return element && element.type !== 'SpreadElement' ? { node: element, scope: target.scope } : undefined;
    }
    return undefined;
  }

  /** The module a namespace import (`import * as m`) or a `require('./m')` stands for. */
  private moduleSource(target: Resolved): string | undefined {
    const n = target.node;
    if (n.type === 'Identifier') {
      const binding = target.scope.lookup(n.name);
      return binding?.kind === 'import' && binding.imported === '*' ? binding.source : undefined;
    }
    return n.type === 'CallExpression' ? requiredModule(n) : undefined;
  }

  /** The value of `key` in an object literal; later properties win, spreads are followed. */
  property(object: ObjectExpression, key: string, scope: Scope, depth = 0): Resolved | undefined {
    if (depth > MAX_DEPTH) return undefined;
    for (let i = object.properties.length - 1; i >= 0; i -= 1) {
      if (!this.tick()) return undefined;
      const prop = object.properties[i];
      if (!prop) continue;
      if (prop.type === 'ObjectProperty' && staticKey(prop.key, prop.computed) === key) return { node: prop.value, scope };
      if (prop.type === 'ObjectMethod' && prop.kind === 'method' && staticKey(prop.key, prop.computed) === key) return { node: prop, scope };
      if (prop.type === 'SpreadElement') {
        const spread = this.resolve(prop.argument, scope, depth + 1);
        if (spread.node.type === 'ObjectExpression') {
          const found = this.property(spread.node, key, spread.scope, depth + 1);
          if (found) return found;
        }
      }
    }
    return undefined;
  }

  /** The value of a property, resolved. */
  resolvedProperty(object: ObjectExpression, key: string, scope: Scope): Resolved | undefined {
    const found = this.property(object, key, scope);
    return found ? this.resolve(found.node, found.scope) : undefined;
  }

  /** The string a node evaluates to: complete when constant, else the literal parts with gaps. */
  string(node: Node, scope: Scope, depth = 0): Str | undefined {
    if (depth > MAX_DEPTH || !this.tick()) return undefined;
    const n = unwrap(node);
    switch (n.type) {
      case 'StringLiteral':
        return { text: cap(n.value), complete: true, at: n, atFile: scope.file };
      case 'NumericLiteral':
        return { text: String(n.value), complete: true, at: n, atFile: scope.file };
      case 'BooleanLiteral':
        return { text: String(n.value), complete: true, at: n, atFile: scope.file };
      case 'TemplateLiteral': {
        const parts: (Str | undefined)[] = [];
        n.quasis.forEach((quasi, i) => {
          parts.push({ text: quasi.value.cooked ?? quasi.value.raw, complete: true, at: quasi, atFile: scope.file });
          const expression = n.expressions[i];
          if (expression) parts.push(this.string(expression, scope, depth + 1));
        });
        const joined = joinParts(parts);
        if (joined) {
          joined.at = n;
          joined.atFile = scope.file;
        }
        return joined;
      }
      case 'TaggedTemplateExpression':
        // dedent`…`, outdent`…` and the like only reshape whitespace.
        return this.string(n.quasi, scope, depth + 1);
      case 'BinaryExpression':
        if (n.operator !== '+' || n.left.type === 'PrivateName') return undefined;
        return joinParts([this.string(n.left, scope, depth + 1), this.string(n.right, scope, depth + 1)]);
      case 'ConditionalExpression':
        return joinParts([this.string(n.consequent, scope, depth + 1), undefined, this.string(n.alternate, scope, depth + 1)]);
      case 'LogicalExpression':
        return joinParts([this.string(n.left, scope, depth + 1), undefined, this.string(n.right, scope, depth + 1)]);
      case 'Identifier':
      case 'MemberExpression':
      case 'OptionalMemberExpression': {
        const resolved = this.resolve(n, scope, depth + 1);
        return resolved.node === n ? undefined : this.string(resolved.node, resolved.scope, depth + 1);
      }
      case 'CallExpression':
      case 'OptionalCallExpression':
        return this.callString(n.callee, n.arguments, scope, depth);
      default:
        return undefined;
    }
  }

  private callString(callee: Node, args: readonly Node[], scope: Scope, depth: number): Str | undefined {
    const method = memberKey(callee);
    if (method === undefined || (callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression')) return undefined;
    const object = callee.object;
    switch (method) {
      case 'join': {
        const array = this.resolve(object, scope, depth + 1);
        if (array.node.type !== 'ArrayExpression') return undefined;
        const separator = args[0] ? this.string(args[0], scope, depth + 1) : { text: ',', complete: true };
        const parts: (Str | undefined)[] = [];
        array.node.elements.forEach((element, i) => {
          if (i > 0) parts.push(separator);
          parts.push(element && element.type !== 'SpreadElement' ? this.string(element, array.scope, depth + 1) : undefined);
        });
        return joinParts(parts);
      }
      case 'trim':
      case 'trimStart':
      case 'trimEnd':
      case 'trimLeft':
      case 'trimRight': {
        const inner = this.string(object, scope, depth + 1);
        return inner ? { ...inner, text: inner.text.trim() } : undefined;
      }
      case 'toString':
      case 'valueOf':
        return this.string(object, scope, depth + 1);
      case 'concat':
        return joinParts([this.string(object, scope, depth + 1), ...args.map((a) => this.string(a, scope, depth + 1))]);
      default:
        return undefined;
    }
  }

  /** A function a node stands for: a literal, a name bound to one, or the last function argument of a wrapper call. */
  functionOf(node: Node, scope: Scope, depth = 0): Resolved | undefined {
    if (depth > 3) return undefined;
    const resolved = this.resolve(node, scope, depth);
    const n = resolved.node;
    if (isFunctionNode(n)) return { node: n, scope: this.functionScopes.get(n) ?? resolved.scope };
    if (n.type === 'CallExpression' || n.type === 'OptionalCallExpression') {
      for (let i = n.arguments.length - 1; i >= 0; i -= 1) {
        const arg = n.arguments[i];
        if (!arg || arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder') continue;
        const inner = this.functionOf(arg, resolved.scope, depth + 1);
        if (inner) return inner;
      }
    }
    return undefined;
  }
}

/** `require('./x')`, `__importDefault(require('./x'))`, `__importStar(…)`, `__toESM(…)`: the module name. */
export function requiredModule(node: Node, depth = 0): string | undefined {
  if (depth > 3) return undefined;
  const n = unwrap(node);
  if (n.type !== 'CallExpression') return undefined;
  const callee = unwrap(n.callee);
  const first = n.arguments[0];
  if (!first || first.type === 'SpreadElement' || first.type === 'ArgumentPlaceholder') return undefined;
  if (callee.type === 'Identifier' && callee.name === 'require') return first.type === 'StringLiteral' ? first.value : undefined;
  return n.arguments.length === 1 ? requiredModule(first, depth + 1) : undefined;
}
