/**
 * The fast path for plain JavaScript (ADR 0004): acorn parses it without locations, and one pass over its
 * ESTree turns it into the tree `@babel/parser` makes of the same source, less positions (`loc`) and `extra`,
 * so every analyzer reads one shape. Babel remains the parser of record: anything acorn rejects (JSX,
 * TypeScript in disguise, decorators, a syntax error that needs error recovery, a tree deeper than the call
 * stack) is parsed by Babel as before. Babel's trees hold a location object per node and two positions per
 * token; acorn's hold neither, so the same scripts parse, conversion included, in about two thirds of the CPU time
 * and leave less for the collector to copy. A node's line and column come from its `start` offset instead
 * (`positionsIn` in ast.ts).
 *
 * The conversion is checked against Babel node for node (fast-parse.test.ts): any shape added here must be
 * added there.
 */
import { Parser } from 'acorn';
import type { File } from '@babel/types';
import { isLineBreak } from './ast.js';

/** An ESTree node as acorn makes it, seen as a bag of fields. */
type Raw = { type: string; start: number; end: number; [key: string]: unknown };

function isRaw(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

const ACORN_OPTIONS = {
  ecmaVersion: 'latest',
  // Script mode with import/export allowed anywhere: sloppy code parses, and so does a module, as Babel's
  // 'unambiguous' with its allow* options accepts both.
  sourceType: 'script',
  allowReturnOutsideFunction: true,
  allowImportExportEverywhere: true,
  allowAwaitOutsideFunction: true,
  allowSuperOutsideMethod: true,
  allowHashBang: true,
  allowReserved: true,
  checkPrivateFields: false,
  locations: false,
} as const;

class ConvertState {
  isModule = false;
  constructor(readonly text: string) {}
}

/** Module syntax other than `export *` and `import.meta`, which convert() handles itself. */
const MODULE_SYNTAX = new Set(['ImportDeclaration', 'ExportNamedDeclaration', 'ExportDefaultDeclaration']);

/** `{ type, start, end }` plus fields, in that order (Babel's node layout). */
function node(type: string, start: number, end: number, fields: Record<string, unknown>): Raw {
  return Object.assign({ type, start, end }, fields);
}

function literalType(raw: Raw): string {
  if (raw.regex !== undefined) return 'RegExpLiteral';
  if (raw.bigint !== undefined) return 'BigIntLiteral';
  switch (typeof raw.value) {
    case 'string':
      return 'StringLiteral';
    case 'number':
      return 'NumericLiteral';
    case 'boolean':
      return 'BooleanLiteral';
    default:
      return 'NullLiteral';
  }
}

function convertLiteral(raw: Raw): Raw {
  const type = literalType(raw);
  raw.type = type;
  if (type === 'RegExpLiteral') {
    const regex = raw.regex as { pattern: string; flags: string };
    raw.pattern = regex.pattern;
    raw.flags = regex.flags;
    raw.value = undefined;
  } else if (type === 'BigIntLiteral') {
    raw.value = raw.bigint;
  } else if (type === 'NullLiteral') {
    raw.value = undefined;
  }
  return raw;
}

function privateName(raw: Raw): Raw {
  return node('PrivateName', raw.start, raw.end, { id: node('Identifier', raw.start + 1, raw.end, { name: raw.name }) });
}

/** Babel puts a method's function on the method node itself. */
function method(type: string, raw: Raw, kind: string, extra: Record<string, unknown>): Raw {
  const fn = raw.value as Raw;
  // A private name is never computed; Babel gives its private methods the (false) field only on the paths
  // that parse a modifier first (get, set, async), and the parity test compares layouts exactly.
  const computed = type !== 'ClassPrivateMethod' || kind !== 'method' || fn.async === true ? { computed: raw.computed } : {};
  return node(type, raw.start, raw.end, {
    ...extra,
    key: raw.key,
    ...computed,
    kind,
    id: null,
    generator: fn.generator,
    async: fn.async,
    params: fn.params,
    body: fn.body,
  });
}

function convertProperty(raw: Raw): Raw {
  if (raw.kind === 'init' && raw.method !== true) {
    raw.type = 'ObjectProperty';
    return raw;
  }
  return method('ObjectMethod', raw, raw.method === true ? 'method' : (raw.kind as string), { method: raw.method });
}

function convertMethodDefinition(raw: Raw): Raw {
  const key = raw.key as Raw;
  const type = key.type === 'PrivateIdentifier' ? 'ClassPrivateMethod' : 'ClassMethod';
  return method(type, raw, raw.kind as string, { static: raw.static });
}

function convertPropertyDefinition(raw: Raw): Raw {
  const key = raw.key as Raw;
  if (key.type === 'PrivateIdentifier') return node('ClassPrivateProperty', raw.start, raw.end, { static: raw.static, key, value: raw.value });
  return node('ClassProperty', raw.start, raw.end, { static: raw.static, key, computed: raw.computed, value: raw.value });
}

/**
 * `a?.b.c()` is one ChainExpression in ESTree; in Babel every link from the top of the chain down to its
 * deepest `?.` is an Optional* node, and the links below that are plain.
 */
function convertChain(raw: Raw): Raw {
  const spine: Raw[] = [];
  let link = raw.expression as Raw;
  while (link.type === 'MemberExpression' || link.type === 'CallExpression') {
    spine.push(link);
    link = (link.type === 'MemberExpression' ? link.object : link.callee) as Raw;
  }
  let deepest = -1;
  for (let i = 0; i < spine.length; i += 1) if ((spine[i] as Raw).optional === true) deepest = i;
  for (let i = 0; i <= deepest; i += 1) {
    const item = spine[i] as Raw;
    item.type = item.type === 'MemberExpression' ? 'OptionalMemberExpression' : 'OptionalCallExpression';
  }
  return raw.expression as Raw;
}

function convertImportExpression(raw: Raw): Raw {
  const args = raw.options === null || raw.options === undefined ? [raw.source] : [raw.source, raw.options];
  return node('CallExpression', raw.start, raw.end, { callee: node('Import', raw.start, raw.start + 6, {}), arguments: args });
}

/** Offset of the next code character at or after `from`, past white space and comments. */
function skipTrivia(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (/\s/.test(text.charAt(i))) {
      i += 1;
    } else if (c === 47 && next === 47) {
      while (i < text.length && !isLineBreak(text.charCodeAt(i))) i += 1;
    } else if (c === 47 && next === 42) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
    } else {
      break;
    }
  }
  return i;
}

function convertExportAll(raw: Raw, state: ConvertState): Raw {
  if (raw.exported === null || raw.exported === undefined) return raw;
  const exported = raw.exported as Raw;
  // Babel's specifier starts at the `*` after `export`.
  const star = skipTrivia(state.text, raw.start + 'export'.length);
  return node('ExportNamedDeclaration', raw.start, raw.end, {
    specifiers: [node('ExportNamespaceSpecifier', star, exported.end, { exported })],
    source: raw.source,
    attributes: raw.attributes ?? [],
  });
}

/** Leading `"use strict"`-style statements move from a body into Babel's `directives`. */
function liftDirectives(body: Raw[]): Raw[] {
  let count = 0;
  while (count < body.length && typeof (body[count] as Raw).directive === 'string') count += 1;
  if (count === 0) return [];
  return body.splice(0, count).map((statement) => {
    const literal = statement.expression as Raw;
    return node('Directive', statement.start, statement.end, {
      value: node('DirectiveLiteral', literal.start, literal.end, { value: statement.directive }),
    });
  });
}

const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ObjectMethod', 'ClassMethod', 'ClassPrivateMethod']);

/** The Babel form of one node; children are converted afterwards by the caller's walk. */
function convert(raw: Raw, state: ConvertState): Raw {
  switch (raw.type) {
    case 'Literal':
      return convertLiteral(raw);
    case 'Property':
      return convertProperty(raw);
    case 'MethodDefinition':
      return convertMethodDefinition(raw);
    case 'PropertyDefinition':
      return convertPropertyDefinition(raw);
    case 'PrivateIdentifier':
      return privateName(raw);
    case 'ChainExpression':
      return convertChain(raw);
    case 'ImportExpression':
      return convertImportExpression(raw);
    case 'ExportAllDeclaration':
      state.isModule = true;
      return convertExportAll(raw, state);
    case 'MetaProperty':
      if ((raw.meta as Raw).name === 'import') state.isModule = true;
      return raw;
    default:
      if (MODULE_SYNTAX.has(raw.type)) state.isModule = true;
      return raw;
  }
}

/** After conversion: a function's block body gets its directives, as Babel gives every block. */
function finishFunction(raw: Raw): void {
  const body = raw.body as Raw;
  if (body.type === 'BlockStatement') body.directives = liftDirectives(body.body as Raw[]);
}

/**
 * Where each node type, as acorn makes it or as converted, keeps its child nodes. Listing them saves
 * enumerating the keys of every node, leaves included; a type not listed has its keys enumerated. This is not
 * the code walker's table (code/walker.ts): that one lists the keys that can hold code and leaves some out on
 * purpose (import attributes, for one), while the conversion has to reach every node.
 */
const CHILD_KEYS: Readonly<Record<string, readonly string[]>> = {
  Identifier: [],
  Literal: [],
  StringLiteral: [],
  NumericLiteral: [],
  BooleanLiteral: [],
  NullLiteral: [],
  RegExpLiteral: [],
  BigIntLiteral: [],
  ThisExpression: [],
  Super: [],
  TemplateElement: [],
  EmptyStatement: [],
  DebuggerStatement: [],
  PrivateName: [],
  Import: [],
  Directive: [],
  MemberExpression: ['object', 'property'],
  OptionalMemberExpression: ['object', 'property'],
  CallExpression: ['callee', 'arguments'],
  OptionalCallExpression: ['callee', 'arguments'],
  NewExpression: ['callee', 'arguments'],
  ExpressionStatement: ['expression'],
  BlockStatement: ['body'],
  ReturnStatement: ['argument'],
  VariableDeclaration: ['declarations'],
  VariableDeclarator: ['id', 'init'],
  BinaryExpression: ['left', 'right'],
  LogicalExpression: ['left', 'right'],
  AssignmentExpression: ['left', 'right'],
  AssignmentPattern: ['left', 'right'],
  UnaryExpression: ['argument'],
  UpdateExpression: ['argument'],
  AwaitExpression: ['argument'],
  YieldExpression: ['argument'],
  SpreadElement: ['argument'],
  RestElement: ['argument'],
  ConditionalExpression: ['test', 'consequent', 'alternate'],
  IfStatement: ['test', 'consequent', 'alternate'],
  ObjectExpression: ['properties'],
  ObjectPattern: ['properties'],
  ArrayExpression: ['elements'],
  ArrayPattern: ['elements'],
  Property: ['key', 'value'],
  ObjectProperty: ['key', 'value'],
  ObjectMethod: ['key', 'params', 'body'],
  FunctionExpression: ['id', 'params', 'body'],
  FunctionDeclaration: ['id', 'params', 'body'],
  ArrowFunctionExpression: ['params', 'body'],
  SequenceExpression: ['expressions'],
  TemplateLiteral: ['quasis', 'expressions'],
  TaggedTemplateExpression: ['tag', 'quasi'],
  ForStatement: ['init', 'test', 'update', 'body'],
  ForInStatement: ['left', 'right', 'body'],
  ForOfStatement: ['left', 'right', 'body'],
  WhileStatement: ['test', 'body'],
  DoWhileStatement: ['body', 'test'],
  SwitchStatement: ['discriminant', 'cases'],
  SwitchCase: ['test', 'consequent'],
  TryStatement: ['block', 'handler', 'finalizer'],
  CatchClause: ['param', 'body'],
  ThrowStatement: ['argument'],
  LabeledStatement: ['label', 'body'],
  BreakStatement: ['label'],
  ContinueStatement: ['label'],
  ClassDeclaration: ['id', 'superClass', 'body'],
  ClassExpression: ['id', 'superClass', 'body'],
  ClassBody: ['body'],
  ClassMethod: ['key', 'params', 'body'],
  ClassPrivateMethod: ['key', 'params', 'body'],
  ClassProperty: ['key', 'value'],
  ClassPrivateProperty: ['key', 'value'],
};

/** Converts `value[key]`, a child node or list of them, and queues what it becomes. */
function convertChild(holder: Record<string, unknown>, key: string, stack: Raw[], state: ConvertState): void {
  const value = holder[key];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const child: unknown = value[i];
      if (!isRaw(child)) continue;
      const converted = settle(child, state);
      value[i] = converted;
      stack.push(converted);
    }
  } else if (isRaw(value) && key !== 'regex') {
    const converted = settle(value, state);
    holder[key] = converted;
    stack.push(converted);
  }
}

/**
 * Converts every node below `program` in place (or replaces it in its parent), with an explicit stack:
 * bundles nest deeper than the call stack allows.
 */
function convertTree(program: Raw, state: ConvertState): void {
  const stack: Raw[] = [program];
  while (stack.length > 0) {
    const parent = stack.pop() as Raw;
    const keys = CHILD_KEYS[parent.type];
    if (keys === undefined) {
      for (const key in parent) convertChild(parent, key, stack, state);
      continue;
    }
    for (let i = 0; i < keys.length; i += 1) convertChild(parent, keys[i] as string, stack, state);
  }
}

/** Converts a node until it is stable (a chain's top link may itself need converting). */
function settle(raw: Raw, state: ConvertState): Raw {
  let current = raw;
  for (;;) {
    const next = convert(current, state);
    if (next === current) break;
    current = next;
  }
  if (FUNCTIONS.has(current.type)) finishFunction(current);
  return current;
}

function interpreterOf(text: string): Raw | null {
  if (!text.startsWith('#!')) return null;
  let end = 2;
  while (end < text.length && !isLineBreak(text.charCodeAt(end))) end += 1;
  return node('InterpreterDirective', 0, end, { value: text.slice(2, end) });
}

/**
 * Babel's tree of `text` (without `loc` and `extra`) when acorn can parse it, or undefined when it cannot and
 * Babel must. Never throws.
 */
export function parseFast(text: string): File | undefined {
  let program: Raw;
  try {
    program = Parser.parse(text, ACORN_OPTIONS) as unknown as Raw;
  } catch {
    return undefined;
  }
  const state = new ConvertState(text);
  try {
    convertTree(program, state);
  } catch {
    return undefined;
  }
  program.directives = liftDirectives(program.body as Raw[]);
  program.sourceType = state.isModule ? 'module' : 'script';
  program.interpreter = interpreterOf(text);
  const file = node('File', program.start, program.end, { program, comments: [] });
  return file as unknown as File;
}
