import { VISITOR_KEYS } from '@babel/types';
import type { Node } from '@babel/types';
import { describe, expect, it } from 'vitest';
import { walk } from '../lib/ast.js';
import { parseScript } from '../lib/parse.js';
import { isFunctionNode } from './syntax.js';
import { CHILD_KEYS, fastWalk } from './walker.js';

/** Keys Babel visits that hold only types, never code that runs. */
const TYPE_ONLY_KEYS = new Set(['typeAnnotation', 'typeParameters', 'typeArguments', 'returnType', 'predicate', 'implements', 'superTypeParameters', 'superTypeArguments', 'mixins', 'variance', 'attributes', 'assertions', 'phase']);

describe('CHILD_KEYS', () => {
  it.each(Object.keys(CHILD_KEYS))('%s lists every key Babel visits that can hold code', (type) => {
    const babel = VISITOR_KEYS[type];
    expect(babel, `${type} is not a Babel node type`).toBeDefined();
    const missing = (babel ?? []).filter((key) => !TYPE_ONLY_KEYS.has(key) && !CHILD_KEYS[type]?.includes(key));
    // Directives are string literals with no code in them; Program and blocks hold them apart from `body`.
    expect(missing.filter((key) => key !== 'directives')).toEqual([]);
  });
});

function count(root: Node, walker: 'lib' | 'fast'): { nodes: number; types: string[] } {
  const types: string[] = [];
  if (walker === 'lib') {
    walk(root, (node) => {
      types.push(node.type);
    });
  } else {
    fastWalk(root, 0, (node) => {
      types.push(node.type);
      return 0;
    }, isFunctionNode, { shouldStop: () => false });
  }
  return { nodes: types.length, types };
}

const SAMPLE = `
@decorator class A extends B { static #p = 1; static { init(); } #m() { return 1 } m(a = f(), ...rest) { return super.m?.(a) } }
label: for (const [a, { b = 2 }] of list) { if (a) continue label; else break }
try { throw new Error(\`x \${y}\`) } catch ({ message }) { void message } finally { debugger }
switch (x) { case 1: y++; default: z-- }
export default async function* g() { yield* await h(); }
export { a as b }; export * from 'm'; import d, * as ns from 'n'; import { e as f } from 'o';
const t = tag\`a\${b}c\`, u = new.target, v = import.meta.url, w = 10n, r = /x/g, o = { [k]: 1, get g() { return 2 }, ...s };
enum Color { Red = compute() } namespace N { export const z = run(); }
const el = <div prop={value}>{child}<span {...spread} /></div>;
with (obj) { q() }
do { i++ } while (i < 3)
`;

describe('fastWalk', () => {
  it('visits the same nodes as the generic walker (type annotations aside)', () => {
    const parsed = parseScript('sample.tsx', SAMPLE);
    if (!parsed.ok) throw new Error(parsed.error);
    const lib = count(parsed.ast.program, 'lib');
    const fast = count(parsed.ast.program, 'fast');
    // The generic walker also descends into type annotations; the fast one skips them.
    const withoutTypes = lib.types.filter((t) => !t.startsWith('TS') || ['TSEnumDeclaration', 'TSEnumMember', 'TSEnumBody', 'TSModuleDeclaration', 'TSModuleBlock'].includes(t));
    expect(fast.types[0]).toBe('Program');
    expect([...fast.types].sort()).toEqual([...withoutTypes].sort());
    expect(fast.types).toContain('StaticBlock');
    expect(fast.types).toContain('JSXSpreadAttribute');
  });

  it('carries the scope value and enclosing function to children', () => {
    const parsed = parseScript('s.js', 'function outer() { const inner = () => x; } y;');
    if (!parsed.ok) throw new Error(parsed.error);
    const seen: string[] = [];
    let next = 0;
    fastWalk<number>(parsed.ast.program, 0, (node, scope, fn) => {
      if (node.type === 'Identifier') seen.push(`${node.name}@${scope}:${fn?.type ?? '-'}`);
      return isFunctionNode(node) ? (next += 1) : scope;
    }, isFunctionNode, { shouldStop: () => false });
    expect(seen).toEqual(['outer@1:FunctionDeclaration', 'inner@1:FunctionDeclaration', 'x@2:ArrowFunctionExpression', 'y@0:-']);
  });

  it('stops when asked, checking every 1024 nodes', () => {
    const parsed = parseScript('s.js', 'a;'.repeat(3000));
    if (!parsed.ok) throw new Error(parsed.error);
    const result = fastWalk(parsed.ast.program, 0, () => 0, isFunctionNode, { shouldStop: () => true });
    expect(result).toEqual({ visited: 1024, stopped: true });
  });
});
