/**
 * Cross-module constants: tool names, descriptions and schemas are often imported from a sibling file
 * (`import { TOOL_NAME } from './names.js'`, `require('./schemas')`). The registry answers such
 * imports from modules already parsed, and remembers which ones it was asked for but did not have, so
 * the analyzer can load them (reads are asynchronous, evaluation is not) and evaluate once more.
 */
import path from 'node:path';
import type { Node, Program } from '@babel/types';
import { memberPath } from '../lib/ast.js';
import type { ModuleLinker, Resolved } from './scope.js';
import { Scope, staticKey, unwrap } from './scope.js';

type Export = { kind: 'node'; node: Node } | { kind: 'reexport'; source: string; name: string };

export interface ModuleRecord {
  root: Scope;
  exports: Map<string, Export>;
  stars: string[];
}

const RESOLVE_EXTENSIONS = ['', '.js', '.ts', '.mjs', '.cjs', '.mts', '.cts', '.tsx', '.jsx', '/index.js', '/index.ts', '/index.mjs', '/index.cjs'];
const MAX_LINK_DEPTH = 6;

function exportedName(node: Node): string | undefined {
  return staticKey(node, false);
}

/** `exports.X = v`, `module.exports.X = v`, `module.exports = { X }`, and tsc's `Object.defineProperty(exports, 'X', { get })`. */
function commonJsExports(statement: Node, exports: Map<string, Export>): void {
  if (statement.type !== 'ExpressionStatement') return;
  const expression = unwrap(statement.expression);
  if (expression.type === 'AssignmentExpression' && expression.operator === '=') {
    const target = memberPath(expression.left);
    if (target === 'module.exports' && expression.right.type === 'ObjectExpression') {
      for (const prop of expression.right.properties) {
        if (prop.type !== 'ObjectProperty') continue;
        const key = staticKey(prop.key, prop.computed);
        if (key !== undefined) exports.set(key, { kind: 'node', node: prop.value });
      }
      return;
    }
    const match = target === undefined ? undefined : /^(?:module\.)?exports\.([^.]+)$/.exec(target);
    if (match?.[1] !== undefined) exports.set(match[1], { kind: 'node', node: expression.right });
    return;
  }
  if (expression.type !== 'CallExpression' || memberPath(expression.callee) !== 'Object.defineProperty') return;
  const [target, key, descriptor] = expression.arguments;
  if (!target || memberPath(target) !== 'exports' || key?.type !== 'StringLiteral' || descriptor?.type !== 'ObjectExpression') return;
  for (const prop of descriptor.properties) {
    if (prop.type === 'ObjectProperty' && staticKey(prop.key, prop.computed) === 'value') exports.set(key.value, { kind: 'node', node: prop.value });
    const getter = prop.type === 'ObjectMethod' ? prop : prop.type === 'ObjectProperty' ? unwrap(prop.value) : undefined;
    if (getter && (getter.type === 'ObjectMethod' || getter.type === 'FunctionExpression') && getter.body.body.length === 1) {
      const only = getter.body.body[0];
      if (only?.type === 'ReturnStatement' && only.argument) exports.set(key.value, { kind: 'node', node: only.argument });
    }
  }
}

function esmExports(statement: Node, exports: Map<string, Export>, stars: string[]): void {
  if (statement.type === 'ExportAllDeclaration') {
    stars.push(statement.source.value);
    return;
  }
  if (statement.type === 'ExportDefaultDeclaration') {
    const declaration = statement.declaration;
    if (declaration.type === 'FunctionDeclaration' || declaration.type === 'ClassDeclaration') exports.set('default', { kind: 'node', node: declaration.id ?? declaration });
    else if (declaration.type !== 'TSDeclareFunction') exports.set('default', { kind: 'node', node: declaration });
    return;
  }
  if (statement.type !== 'ExportNamedDeclaration') return;
  const declaration = statement.declaration;
  if (declaration?.type === 'VariableDeclaration') {
    for (const declarator of declaration.declarations) if (declarator.id.type === 'Identifier') exports.set(declarator.id.name, { kind: 'node', node: declarator.id });
  } else if ((declaration?.type === 'FunctionDeclaration' || declaration?.type === 'ClassDeclaration') && declaration.id) {
    exports.set(declaration.id.name, { kind: 'node', node: declaration.id });
  }
  for (const spec of statement.specifiers) {
    if (spec.type !== 'ExportSpecifier') continue;
    const exported = exportedName(spec.exported);
    if (exported === undefined) continue;
    exports.set(exported, statement.source ? { kind: 'reexport', source: statement.source.value, name: spec.local.name } : { kind: 'node', node: spec.local });
  }
}

/** What a module exports, from its top-level statements. */
export function moduleRecord(program: Program, root: Scope): ModuleRecord {
  const exports = new Map<string, Export>();
  const stars: string[] = [];
  for (const statement of program.body.slice(0, 20_000)) {
    esmExports(statement, exports, stars);
    commonJsExports(statement, exports);
  }
  return { root, exports, stars };
}

export class ModuleRegistry implements ModuleLinker {
  private readonly modules = new Map<string, ModuleRecord | null>();
  /** Modules asked for but not loaded yet. */
  readonly misses = new Set<string>();

  constructor(private readonly files: ReadonlySet<string>) {}

  /** The workspace path an import names, when it is a relative import of a file we have. */
  resolvePath(fromFile: string, source: string): string | undefined {
    if (!source.startsWith('./') && !source.startsWith('../')) return undefined;
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), source));
    if (base.startsWith('../') || path.posix.isAbsolute(base)) return undefined;
    const stem = /\.[cm]?js$/.test(base) ? base.replace(/\.([cm]?)js$/, '.$1ts') : undefined;
    for (const candidate of [...RESOLVE_EXTENSIONS.map((ext) => base + ext), ...(stem ? [stem, stem.replace(/\.ts$/, '.tsx')] : [])]) {
      if (this.files.has(candidate)) return candidate;
    }
    return undefined;
  }

  register(file: string, record: ModuleRecord | null): void {
    this.modules.set(file, record);
    this.misses.delete(file);
  }

  has(file: string): boolean {
    return this.modules.has(file);
  }

  exported(scope: Scope, source: string, name: string): Resolved | undefined {
    return this.lookup(scope.file, source, name, 0);
  }

  private lookup(fromFile: string, source: string, name: string, depth: number): Resolved | undefined {
    if (depth > MAX_LINK_DEPTH) return undefined;
    const file = this.resolvePath(fromFile, source);
    if (file === undefined) return undefined;
    const record = this.modules.get(file);
    if (record === undefined) {
      this.misses.add(file);
      return undefined;
    }
    if (record === null) return undefined;
    const entry = record.exports.get(name);
    if (entry?.kind === 'node') return { node: entry.node, scope: record.root };
    if (entry?.kind === 'reexport') return this.lookup(file, entry.source, entry.name, depth + 1);
    for (const star of record.stars) {
      const found = this.lookup(file, star, name, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
}
