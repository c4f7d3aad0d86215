/**
 * The single walk over a parsed file: scopes and bindings (for the evaluator), and the calls, object
 * literals and classes that may define tools (resolved afterwards by extract.ts).
 */
import type { CallExpression, Class, Node, ObjectExpression, OptionalCallExpression } from '@babel/types';
import { walk } from '../lib/ast.js';
import { requireSource } from './handler.js';
import type { Binding } from './scope.js';
import { Scope, isFunctionNode, memberKey, ownKeys, staticKey, unwrap } from './scope.js';

const TOOL_CALL_METHODS = new Set(['tool', 'registerTool', 'addTool', 'setRequestHandler']);
/** Candidates kept per kind and file; a file with more is marked truncated. */
const MAX_CANDIDATES = 50_000;

export type AnyCall = CallExpression | OptionalCallExpression;

export interface ObjectCandidate {
  node: ObjectExpression;
  scope: Scope;
  inToolsArray: boolean;
  /** Name of the variable the object is assigned to. */
  declaredAs?: string;
  /** Key of the property the object is the value of (`{ list_tables: { description, parameters } }`). */
  keyedAs?: string;
}

export interface Collected {
  root: Scope;
  functionScopes: WeakMap<Node, Scope>;
  calls: { node: AnyCall; scope: Scope }[];
  objects: ObjectCandidate[];
  classes: { node: Class; scope: Scope }[];
  truncated: boolean;
}

function patternNames(pattern: Node, out: string[] = [], depth = 0): string[] {
  if (depth > 20 || out.length > 200) return out;
  switch (pattern.type) {
    case 'Identifier':
      out.push(pattern.name);
      break;
    case 'AssignmentPattern':
      patternNames(pattern.left, out, depth + 1);
      break;
    case 'RestElement':
      patternNames(pattern.argument, out, depth + 1);
      break;
    case 'ArrayPattern':
      for (const element of pattern.elements) if (element) patternNames(element, out, depth + 1);
      break;
    case 'ObjectPattern':
      for (const prop of pattern.properties) patternNames(prop.type === 'RestElement' ? prop : prop.value, out, depth + 1);
      break;
    case 'TSParameterProperty':
      patternNames(pattern.parameter, out, depth + 1);
      break;
    default:
      break;
  }
  return out;
}

function declareFunction(node: Node, outer: Scope, own: Scope): void {
  if (node.type === 'FunctionDeclaration' && node.id) outer.declare(node.id.name, { kind: 'function', node });
  if (node.type === 'FunctionExpression' && node.id) own.declare(node.id.name, { kind: 'function', node });
  if ('params' in node) for (const param of node.params) for (const name of patternNames(param)) own.declareOpaque(name);
}

function declareVariable(node: Node, scope: Scope): void {
  if (node.type !== 'VariableDeclarator') return;
  if (node.id.type === 'Identifier') {
    scope.declare(node.id.name, node.init ? { kind: 'value', init: node.init, scope, reassigned: false } : { kind: 'opaque' });
    return;
  }
  const source = node.init && node.id.type === 'ObjectPattern' ? requireSource(node.init) : undefined;
  if (source !== undefined && node.id.type === 'ObjectPattern') {
    for (const prop of node.id.properties) {
      if (prop.type !== 'ObjectProperty' || prop.value.type !== 'Identifier') continue;
      const imported = staticKey(prop.key, prop.computed);
      if (imported !== undefined) scope.declare(prop.value.name, { kind: 'import', source, imported });
    }
    return;
  }
  for (const name of patternNames(node.id)) scope.declare(name, { kind: 'opaque' });
}

function declareImport(node: Node, root: Scope): void {
  if (node.type !== 'ImportDeclaration') return;
  const source = node.source.value;
  for (const spec of node.specifiers) {
    const imported =
      spec.type === 'ImportDefaultSpecifier' ? 'default' : spec.type === 'ImportNamespaceSpecifier' ? '*' : (staticKey(spec.imported, false) ?? 'default');
    root.declare(spec.local.name, { kind: 'import', source, imported });
  }
}

function isToolsArrayElement(ancestors: readonly Node[]): boolean {
  const parent = ancestors[ancestors.length - 1];
  const grand = ancestors[ancestors.length - 2];
  return parent?.type === 'ArrayExpression' && grand?.type === 'ObjectProperty' && staticKey(grand.key, grand.computed) === 'tools';
}

function looksLikeToolObject(node: ObjectExpression, inToolsArray: boolean, keyed: boolean): boolean {
  let name = false;
  let description = false;
  for (const prop of node.properties) {
    if (prop.type !== 'ObjectProperty' && prop.type !== 'ObjectMethod') continue;
    const key = staticKey(prop.key, prop.computed);
    if (key === 'name') name = true;
    else if (key === 'description') description = true;
  }
  return (name && (description || inToolsArray)) || (keyed && description);
}

/**
 * The key under which an object sits in a map of tools (`{ list_tables: { … } }`). A map of tools has no
 * name or description of its own; an object that does is a record whose parts merely look tool-shaped.
 */
function toolMapKey(parent: Node | undefined, grand: Node | undefined, child: Node, recordLike: Map<Node, boolean>): string | undefined {
  if (parent?.type !== 'ObjectProperty' || parent.value !== child || grand?.type !== 'ObjectExpression') return undefined;
  // Asked once per child of the same object: remembered, or an object of n object values costs n² key lookups.
  let record = recordLike.get(grand);
  if (record === undefined) {
    const siblings = ownKeys(grand);
    record = siblings.has('name') || siblings.has('description');
    recordLike.set(grand, record);
  }
  return record ? undefined : staticKey(parent.key, parent.computed);
}

/** One walk: scopes, bindings, and the calls and object literals that may define tools. */
export function collect(ast: Node, file: string, deadline: number, functionScopes: WeakMap<Node, Scope>): Collected {
  const root = new Scope(undefined, file);
  const scopeAt: Scope[] = [];
  const reassigned: { scope: Scope; name: string }[] = [];
  const out: Collected = { root, functionScopes, calls: [], objects: [], classes: [], truncated: false };
  const recordLike = new Map<Node, boolean>();
  walk(ast, (node, ancestors, control) => {
    if ((control.visited & 1023) === 0 && performance.now() > deadline) {
      out.truncated = true;
      control.stop();
      return;
    }
    const depth = ancestors.length;
    const scope = depth === 0 ? root : (scopeAt[depth - 1] ?? root);
    let own = scope;
    if (isFunctionNode(node)) {
      own = new Scope(scope);
      functionScopes.set(node, own);
      declareFunction(node, scope, own);
    }
    scopeAt[depth] = own;
    switch (node.type) {
      case 'VariableDeclarator':
        declareVariable(node, scope);
        break;
      case 'ImportDeclaration':
        declareImport(node, root);
        break;
      case 'AssignmentExpression':
        if (node.left.type === 'Identifier') reassigned.push({ scope, name: node.left.name });
        break;
      case 'UpdateExpression':
        if (node.argument.type === 'Identifier') reassigned.push({ scope, name: node.argument.name });
        break;
      case 'CallExpression':
      case 'OptionalCallExpression': {
        const method = memberKey(unwrap(node.callee));
        if (method !== undefined && TOOL_CALL_METHODS.has(method) && out.calls.length < MAX_CANDIDATES) out.calls.push({ node, scope });
        break;
      }
      case 'ObjectExpression': {
        const inToolsArray = isToolsArrayElement(ancestors);
        const parent = ancestors[depth - 1];
        const keyedAs = toolMapKey(parent, ancestors[depth - 2], node, recordLike);
        if (out.objects.length < MAX_CANDIDATES && looksLikeToolObject(node, inToolsArray, keyedAs !== undefined)) {
          const candidate: ObjectCandidate = { node, scope, inToolsArray };
          if (parent?.type === 'VariableDeclarator' && parent.id.type === 'Identifier') candidate.declaredAs = parent.id.name;
          if (keyedAs !== undefined) candidate.keyedAs = keyedAs;
          out.objects.push(candidate);
        }
        break;
      }
      case 'ClassDeclaration':
      case 'ClassExpression':
        if (out.classes.length < MAX_CANDIDATES) out.classes.push({ node, scope });
        break;
      default:
        break;
    }
  });
  for (const { scope, name } of reassigned) markReassigned(scope, name);
  if (out.calls.length >= MAX_CANDIDATES || out.objects.length >= MAX_CANDIDATES) out.truncated = true;
  return out;
}

function markReassigned(scope: Scope, name: string): void {
  for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
    const binding: Binding | undefined = s.bindings.get(name);
    if (binding === undefined) continue;
    if (binding.kind === 'value') binding.reassigned = true;
    return;
  }
}
