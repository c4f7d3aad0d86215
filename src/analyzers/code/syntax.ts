/**
 * Small, total helpers over Babel nodes. None recurses without a bound: the trees come from package code.
 */
import type { Function as FunctionNode, Node, ObjectExpression } from '@babel/types';

const FUNCTION_TYPES = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
  'ObjectMethod',
  'ClassMethod',
  'ClassPrivateMethod',
]);

export function isFunctionNode(node: Node | null | undefined): node is FunctionNode {
  return node !== null && node !== undefined && FUNCTION_TYPES.has(node.type);
}

const WRAPPERS = new Set(['TSAsExpression', 'TSSatisfiesExpression', 'TSNonNullExpression', 'TypeCastExpression', 'ParenthesizedExpression', 'TSTypeAssertion']);

/** Strips type assertions, parentheses and `(0, x)` sequences down to the expression that matters. */
export function unwrap(node: Node | null | undefined): Node | undefined {
  let current: Node | null | undefined = node;
  for (let i = 0; i < 32 && current; i += 1) {
    if (WRAPPERS.has(current.type)) {
      current = (current as unknown as { expression: Node }).expression;
    } else if (current.type === 'SequenceExpression') {
      current = current.expressions[current.expressions.length - 1];
    } else {
      return current;
    }
  }
  return current ?? undefined;
}

/** The static name of an object property or member key (`a.b`, `a['b']`, `{ b: 1 }`, `{ 'b': 1 }`). */
export function keyName(key: Node, computed: boolean): string | undefined {
  if (!computed && key.type === 'Identifier') return key.name;
  if (key.type === 'PrivateName') return `#${key.id.name}`;
  if (key.type === 'StringLiteral') return key.value;
  if (key.type === 'NumericLiteral') return String(key.value);
  if (key.type === 'TemplateLiteral' && key.expressions.length === 0) return key.quasis.map((q) => q.value.cooked ?? q.value.raw).join('');
  return undefined;
}

/** The property name of a member expression when it is static. */
export function memberName(node: Node): string | undefined {
  if (node.type !== 'MemberExpression' && node.type !== 'OptionalMemberExpression') return undefined;
  return keyName(node.property, node.computed);
}

/** The last name of a callee: `spawn` for `cp.spawn`, `(0, x.spawn)` and `spawn`. */
export function tailName(callee: Node): string | undefined {
  const inner = unwrap(callee);
  if (!inner) return undefined;
  if (inner.type === 'Identifier') return inner.name;
  return memberName(inner);
}

export function isCall(node: Node | null | undefined): node is Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }> {
  return node !== null && node !== undefined && (node.type === 'CallExpression' || node.type === 'OptionalCallExpression' || node.type === 'NewExpression');
}

/** Object properties with static keys, as [name, value] pairs (methods and computed keys left out). */
export function staticProperties(node: ObjectExpression, max = 200): [string, Node][] {
  const out: [string, Node][] = [];
  for (const prop of node.properties.slice(0, max)) {
    if (prop.type !== 'ObjectProperty') continue;
    const name = keyName(prop.key, prop.computed);
    if (name !== undefined) out.push([name, prop.value]);
  }
  return out;
}

/** Identifiers a binding pattern declares (`a`, `{ b, c: d }`, `[e, ...f]`, `g = 1`), bounded. */
export function patternNames(pattern: Node | null | undefined, out: string[] = [], budget = { left: 200 }): string[] {
  if (!pattern || budget.left <= 0) return out;
  budget.left -= 1;
  switch (pattern.type) {
    case 'Identifier':
      out.push(pattern.name);
      break;
    case 'AssignmentPattern':
      patternNames(pattern.left, out, budget);
      break;
    case 'RestElement':
      patternNames(pattern.argument, out, budget);
      break;
    case 'ObjectPattern':
      for (const prop of pattern.properties) patternNames(prop.type === 'RestElement' ? prop : prop.value, out, budget);
      break;
    case 'ArrayPattern':
      for (const element of pattern.elements) patternNames(element, out, budget);
      break;
    case 'TSParameterProperty':
      patternNames(pattern.parameter, out, budget);
      break;
    default:
      break;
  }
  return out;
}

/** The identifier at the root of a member chain (`a` in `a.b.c[d]`), bounded. */
export function rootIdentifier(node: Node): string | undefined {
  let current: Node | undefined = unwrap(node);
  for (let i = 0; i < 32 && current; i += 1) {
    if (current.type === 'Identifier') return current.name;
    if (current.type === 'MemberExpression' || current.type === 'OptionalMemberExpression') current = unwrap(current.object);
    else return undefined;
  }
  return undefined;
}

/** `!![]`: the obfuscator's spelling of `true` in rotated string-array loops. */
export function isBangBangArray(node: Node | null | undefined): boolean {
  if (!node || node.type !== 'UnaryExpression' || node.operator !== '!') return false;
  const inner = node.argument;
  return inner.type === 'UnaryExpression' && inner.operator === '!' && inner.argument.type === 'ArrayExpression' && inner.argument.elements.length === 0;
}

