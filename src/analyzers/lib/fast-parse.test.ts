import type { Node } from '@babel/types';
import { describe, expect, it } from 'vitest';
import { positionsIn } from './ast.js';
import { parseFast } from './fast-parse.js';
import { parseScript, parseWithBabel } from './parse.js';

/** Babel's tree of a `.js` file, as parseScript made it before the fast path. */
function babel(text: string): Node {
  const outcome = parseWithBabel('index.js', text);
  if (!outcome.ok) throw new Error(`Babel rejected: ${text}`);
  return outcome.ast;
}

function fast(text: string): Node {
  const ast = parseFast(text);
  if (ast === undefined) throw new Error(`the fast path rejected: ${text}`);
  return ast;
}

/** Positions and raw text are compared separately; acorn's own extra fields (never nodes) are ignored. */
const POSITIONS = new Set(['loc', 'start', 'end', 'extra', 'comments', 'errors', 'range', 'raw', 'regex', 'bigint']);

function layout(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(layout);
  if (value === null || typeof value !== 'object' || value instanceof RegExp) return value;
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (POSITIONS.has(key) || v === undefined) continue;
    if (key === 'directives' && Array.isArray(v) && v.length === 0) continue;
    // acorn marks every member access and call, and every function, with these; Babel leaves them out.
    if (key === 'optional' && v === false && (record.type === 'MemberExpression' || record.type === 'CallExpression')) continue;
    if (key === 'expression' && typeof v === 'boolean') continue;
    if (key === 'exported' && v === null && record.type === 'ExportAllDeclaration') continue;
    if (key === 'kind' && record.type === 'ObjectProperty') continue;
    out[key] = layout(v);
  }
  return out;
}

/** Every node of a tree in walk order, for comparing two trees of one source node by node. */
function nodesOf(root: Node): Node[] {
  const out: Node[] = [];
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    out.push(node);
    const record = node as unknown as Record<string, unknown>;
    const children: Node[] = [];
    for (const key of Object.keys(record).sort()) {
      if (POSITIONS.has(key)) continue;
      const v = record[key];
      for (const child of Array.isArray(v) ? (v as unknown[]) : [v]) {
        if (typeof child === 'object' && child !== null && typeof (child as { type?: unknown }).type === 'string') children.push(child as Node);
      }
    }
    stack.push(...children.reverse());
  }
  return out;
}

// One source per shape the conversion handles (fast-parse.ts), and the shapes it leaves alone.
const SHAPES: [string, string][] = [
  ['literals of every kind', `a = ['s', "d", 1, 0x1f, 1e3, 1_000, 10n, true, false, null, /re[/]x/giu, \`t\${x}u\`];`],
  ['escapes and other scripts in strings', `a = '\\x41\\u{1F600}\\u202e\\u001b[31m' + "é\\n"; b = 'מכונה‮'`],
  ['object properties, shorthand, computed, spread', 'o = { a: 1, b, [c]: 2, "d": 3, 4: 5, ...e, f: function () {}, g: () => 1 };'],
  ['object methods, getters, setters, async and generator methods', 'o = { m() {}, get g() { return 1 }, set s(v) {}, async a() {}, *gen() {}, async *ag() {}, [k]() {} };'],
  ['patterns with defaults and rest', 'const { a, b: [c, , d = 1], e = 2, ...f } = g; function h({ x } = {}, [y], ...z) {}'],
  ['classes: fields, methods, accessors, statics, static blocks', 'class A extends B { x = 1; static y; [k] = 2; constructor() { super(); } m() {} static s() {} get g() {} set g(v) {} async *ag() {} static { init(); } }'],
  ['private members of every kind', 'class P { #a = 1; static #b; #m() {} get #g() {} set #g(v) {} static #s() {} async #am() {} *#gm() {} static get #sg() {} t(o) { return #a in o && this.#a && o?.#a; } }'],
  ['optional chains', 'a?.b; a?.b.c; a.b?.c; a?.(); a?.b(); a.b?.(); a?.[k]; (a?.b).c; (a?.b)(); a?.b.c?.d.e(); new A()?.b;'],
  ['optional chains in calls and arguments', 'f(a?.b, x.y?.z?.()); a?.b(c?.d)?.e;'],
  ['dynamic import, with and without options', 'import("a"); import(x); import("b", { with: { type: "json" } }); await import("c");'],
  ['module syntax', 'import a, { b as c, "d" as e } from "m"; import * as ns from "n"; import j from "./j.json" with { type: "json" }; export { a, c as cc, e as "string name" }; export * from "x"; export * as y from "y"; export /* * */ // *\n * as w from "w"; export const z = 1; export default function () {}'],
  ['import.meta and new.target', 'const u = import.meta.url; function F() { if (!new.target) return; }'],
  ['directives in the program and in functions', '"use strict"; \'use asm\'; function f() { "use strict"; return 1; } const g = () => { "inner"; }; o = { m() { "x"; } }; class C { m() { "y"; } }'],
  ['a string statement after code is not a directive', 'a(); "not a directive";'],
  ['a hashbang', '#!/usr/bin/env node\nconsole.log(1);'],
  ['top-level await and return', 'await x; return 1;'],
  ['sloppy-mode code', 'with (o) { x = 010; } var let = 1; function f(a, a) { arguments = 1; } delete x;'],
  ['statements of every kind', 'lbl: for (const a of b) { for (k in o) continue lbl; } for await (const c of d) {} do { break; } while (x); switch (y) { case 1: default: } try { throw e; } catch ({ message }) {} finally {} if (a) b(); else c(); debugger; ;'],
  ['expressions of every kind', 'x = (a, b); y = a ? b : c; z = -a + !b - ~c * (typeof d) ** 2 | void 0 & e; w = e ?? f; i++; --j; k ||= 1; l &&= 2; m ??= 3; n = new N; t = tag`a${b}c`; s = function* g() { yield* h(); yield; };'],
  ['async functions and arrows', 'async function f() { await g(); } const h = async (a) => await a; const i = async x => x;'],
  ['getters and methods named like keywords', 'o = { get: 1, set: 2, async: 3, static: 4, get get() {}, set set(v) {} }; class K { static static() {} get() {} }'],
  ['optional catch bindings', 'try { x(); } catch { }'],
  ['using declarations', '{ using x = f(); } async function g() { await using y = h(); }'],
];

describe('parseFast', () => {
  it.each(SHAPES)('gives Babel’s tree for %s', (_label, text) => {
    expect(layout(fast(text))).toEqual(layout(babel(text)));
  });

  it.each(SHAPES)('puts every node of %s at the line and column Babel gives it', (_label, text) => {
    const expected = nodesOf(babel(text)).map((n) => (n.loc ? `${n.type} ${n.loc.start.line}:${n.loc.start.column + 1}` : n.type));
    const positionOf = positionsIn(text);
    const actual = nodesOf(fast(text)).map((n) => {
      const p = positionOf(n);
      return p && n.type !== 'File' ? `${n.type} ${p.line}:${p.column}` : n.type;
    });
    expect(actual.filter((s) => !s.startsWith('File'))).toEqual(expected.filter((s) => !s.startsWith('File')));
  });

  it.each([
    ['LF', 'a;\nb;\nc;'],
    ['CRLF', 'a;\r\nb;\r\nc;'],
    ['CR', 'a;\rb;\rc;'],
    ['U+2028 and U+2029', 'a;\u2028b;\u2029c;'],
    ['mixed, with a line break inside a template and a comment', 'a;\r\n`x\ny`;/*\r*/\u2028c;'],
    ['astral characters before a node (columns count UTF-16 units)', 'x = "😀😀"; y = 1;\n z = 2;'],
  ])('counts lines as Babel does: %s', (_label, text) => {
    const babelAt = nodesOf(babel(text)).filter((n) => n.type === 'Identifier' || n.type === 'TemplateLiteral').map((n) => `${n.loc?.start.line}:${(n.loc?.start.column ?? 0) + 1}`);
    const positionOf = positionsIn(text);
    const fastAt = nodesOf(fast(text)).filter((n) => n.type === 'Identifier' || n.type === 'TemplateLiteral').map((n) => `${positionOf(n)?.line}:${positionOf(n)?.column}`);
    expect(fastAt).toEqual(babelAt);
  });

  it('keeps a literal’s source text where the code analyzer looks for it', () => {
    const ast = fast('a = "\\x63\\x68\\x69\\x6c\\x64";') as unknown as { program: { body: { expression: { right: { raw: string; value: string } } }[] } };
    const literal = ast.program.body[0]?.expression.right;
    expect(literal?.raw).toBe('"\\x63\\x68\\x69\\x6c\\x64"');
    expect(literal?.value).toBe('child');
  });

  it.each([
    ['JSX', 'const a = <div a="1">{b}</div>;'],
    ['TypeScript in a .js file', 'const a: number = 1; function f<T>(x: T): T { return x; }'],
    ['decorators', '@dec class A {}'],
    ['a syntax error Babel recovers from', 'const a = 1; const a = 2; let b = 1; let b;'],
    ['a syntax error', 'function ( {'],
  ])('leaves %s to Babel', (_label, text) => {
    expect(parseFast(text)).toBeUndefined();
  });

  it.each([
    ['100,000 nested parentheses', `${'('.repeat(100_000)}1${')'.repeat(100_000)}`],
    ['100,000 nested arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['100,000 nested functions', `${'function a(){'.repeat(100_000)}${'}'.repeat(100_000)}`],
    ['a 200,000-term sum', `x${'+x'.repeat(200_000)}`],
    ['a 200,000-link member chain', `a${'?.b'.repeat(200_000)}`],
    ['100,000 unclosed parentheses', '('.repeat(100_000)],
    ['binary bytes read as text', Buffer.from(Array.from({ length: 65_536 }, (_, i) => (i * 7919) % 256)).toString('latin1')],
    ['NUL characters and lone surrogates', `a = "\u0000\ud800"; \u0000${'\ud800'.repeat(1000)}`],
  ])('never throws on hostile input: %s', (_label, text) => {
    expect(() => parseFast(text)).not.toThrow();
  });

  it('converts a chain deeper than the call stack without recursion', () => {
    const ast = fast(`a${'?.b'.repeat(50_000)}`) as unknown as { program: { body: { expression: { type: string; optional: boolean } }[] } };
    expect(ast.program.body[0]?.expression).toMatchObject({ type: 'OptionalMemberExpression', optional: true });
  });
});

describe('parseScript', () => {
  it.each([
    ['index.js', 'a()', false],
    ['index.mjs', 'import a from "b"', false],
    ['index.cjs', 'module.exports = 1', false],
    ['bin/cli', '#!/usr/bin/env node\nrequire("./x")', false],
    ['index.js with JSX', '<A />', true],
    ['index.ts', 'const a: number = 1', true],
    ['index.jsx', 'const a = 1', true],
  ])('takes the fast path for plain JavaScript only: %s', (label, text, babelMade) => {
    const outcome = parseScript(label.split(' ')[0] as string, text);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    // Babel's trees carry locations; the fast path's do not.
    expect(outcome.ast.program.loc !== undefined && outcome.ast.program.loc !== null).toBe(babelMade);
  });

  it('still reports what Babel cannot parse, after the fast path gave up', () => {
    const outcome = parseScript('broken.js', 'function ( {');
    expect(outcome.ok).toBe(false);
  });
});
