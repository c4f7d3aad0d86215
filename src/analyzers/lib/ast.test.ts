import type { Node } from '@babel/types';
import { describe, expect, it } from 'vitest';
import { walk } from './ast.js';
import { parseScript } from './parse.js';

/** Reference order: parents first, children by Object.keys order, arrays in order; positions and comments skipped. */
function referenceOrder(node: Node, out: string[] = [], depth = 0): string[] {
  out.push(`${depth}:${node.type}@${node.start ?? -1}`);
  const record = node as unknown as Record<string, unknown>;
  for (const key of Object.keys(node)) {
    if (['loc', 'start', 'end', 'extra', 'comments', 'leadingComments', 'trailingComments', 'innerComments', 'range', 'errors', 'tokens'].includes(key)) continue;
    const value = record[key];
    const list = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const child of list) {
      if (typeof child === 'object' && child !== null && typeof (child as { type?: unknown }).type === 'string') referenceOrder(child as Node, out, depth + 1);
    }
  }
  return out;
}

function parsed(file: string, text: string): Node {
  const outcome = parseScript(file, text);
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.ast;
}

describe('walk', () => {
  it.each([
    ['index.js', 'const { a, b: [c, , d = 1] } = f(x, ...y); class K extends B { #p = 1; static m() { return super.m?.(`t${a}`); } }'],
    ['app.jsx', 'export default function App() { return <div a="1" {...p}>{items.map((i) => <I key={i} />)}</div>; }'],
    ['server.ts', 'enum E { A = 1 } export class S<T> implements I { constructor(private readonly x: T) {} @d() m(a?: number): Promise<void> { for (const [k, v] of Object.entries({ a })) label: if (k) break label; } }'],
    ['odd.js', 'a ? b : c; switch (x) { case 1: try { throw e; } catch ({ message }) {} finally {} default: }; new.target; import("m"); /re/g.test(s);'],
  ])('visits every node of %s once, parents first, children in key order', (file, text) => {
    const ast = parsed(file, text);
    const seen: string[] = [];
    walk(ast, (node, ancestors) => {
      seen.push(`${ancestors.length}:${node.type}@${node.start ?? -1}`);
    });
    expect(seen).toEqual(referenceOrder(ast));
  });

  it('hands each node its ancestors, nearest last', () => {
    const ast = parsed('a.js', 'function f() { return g(1); }');
    const chains: string[] = [];
    walk(ast, (node, ancestors) => {
      if (node.type === 'NumericLiteral') chains.push(ancestors.map((a) => a.type).join('>'));
    });
    expect(chains).toEqual(['File>Program>FunctionDeclaration>BlockStatement>ReturnStatement>CallExpression']);
  });

  it('stops when asked and counts what it visited', () => {
    const ast = parsed('a.js', 'a; b; c; d;');
    let count = 0;
    walk(ast, (_node, _ancestors, control) => {
      count = control.visited;
      if (control.visited === 3) control.stop();
    });
    expect(count).toBe(3);
  });
});
