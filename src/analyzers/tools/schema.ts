/**
 * Parameters from the schemas tools declare: zod shapes (`{ path: z.string().describe('…') }`,
 * `z.object({...})` and its usual wrappers) and JSON Schema literals (`{ type: 'object', properties,
 * required }`). Only literal structure is read; anything computed is skipped.
 */
import type { Node, ObjectExpression } from '@babel/types';
import type { Location } from '../../core/finding.js';
import type { ExtractedParam } from './model.js';
import type { Evaluator, Scope, Str } from './scope.js';
import { memberKey, staticKey, unwrap } from './scope.js';

/** Parameters kept per tool: a schema with more is cut, not rejected. */
export const MAX_PARAMS = 200;
const MAX_DEPTH = 12;
const MAX_CHAIN = 64;

/** zod constructors whose name is the parameter's type. */
const ZOD_TYPES = new Set([
  'string', 'number', 'bigint', 'boolean', 'date', 'symbol', 'undefined', 'null', 'void', 'any', 'unknown', 'never',
  'array', 'tuple', 'object', 'strictObject', 'looseObject', 'record', 'map', 'set', 'enum', 'nativeEnum', 'literal',
  'union', 'discriminatedUnion', 'intersection', 'function', 'promise', 'instanceof', 'int', 'email', 'url', 'uuid',
  'coerce', 'file', 'custom',
]);
const OPTIONAL_METHODS = new Set(['optional', 'nullish', 'default', 'catch', 'prefault']);
const OBJECT_CONSTRUCTORS = new Set(['object', 'strictObject', 'looseObject']);
/** Methods on an object schema that keep its shape. */
const SHAPE_KEEPING = new Set(['strict', 'passthrough', 'strip', 'describe', 'optional', 'nullable', 'nullish', 'default', 'refine', 'superRefine', 'transform', 'pick', 'omit', 'partial', 'required', 'meta', 'catchall', 'readonly', 'brand']);

/** Where a node is: `file` names the module it is in when that is not the file being read (a linked module). */
export type Locate = (node: Node, file?: string) => Location;

interface Ctx {
  ev: Evaluator;
  locate: Locate;
}

function isObjectSchemaLiteral(object: ObjectExpression): boolean {
  for (const prop of object.properties) {
    if (prop.type !== 'ObjectProperty') continue;
    const key = staticKey(prop.key, prop.computed);
    if (key === 'properties' || key === '$schema') return true;
    if (key === 'type') {
      const value = unwrap(prop.value);
      if (value.type === 'StringLiteral' && value.value === 'object') return true;
    }
  }
  return false;
}

function typeText(ctx: Ctx, node: Node, scope: Scope): string | undefined {
  const resolved = ctx.ev.resolve(node, scope);
  if (resolved.node.type === 'ArrayExpression') {
    const names = resolved.node.elements.flatMap((e) => (e && e.type !== 'SpreadElement' ? [ctx.ev.string(e, resolved.scope)?.text ?? ''] : []));
    return names.filter((n) => n !== '').join('|') || undefined;
  }
  const text = ctx.ev.string(resolved.node, resolved.scope);
  return text?.complete ? text.text : undefined;
}

function requiredNames(ctx: Ctx, object: ObjectExpression, scope: Scope): Set<string> | undefined {
  const required = ctx.ev.resolvedProperty(object, 'required', scope);
  if (required?.node.type !== 'ArrayExpression') return undefined;
  const names = new Set<string>();
  for (const element of required.node.elements.slice(0, MAX_PARAMS * 2)) {
    if (!element || element.type === 'SpreadElement') continue;
    const name = ctx.ev.string(element, required.scope);
    if (name?.complete) names.add(name.text);
  }
  return names;
}

function jsonSchemaParams(ctx: Ctx, object: ObjectExpression, scope: Scope): ExtractedParam[] {
  const properties = ctx.ev.resolvedProperty(object, 'properties', scope);
  if (properties?.node.type !== 'ObjectExpression') return [];
  const required = requiredNames(ctx, object, scope);
  const params: ExtractedParam[] = [];
  for (const prop of properties.node.properties) {
    if (params.length >= MAX_PARAMS) break;
    if (prop.type !== 'ObjectProperty') continue;
    const name = staticKey(prop.key, prop.computed);
    if (name === undefined) continue;
    const param: ExtractedParam = { name, required: required?.has(name) ?? false, location: ctx.locate(prop, properties.scope.file) };
    const value = ctx.ev.resolve(prop.value, properties.scope);
    if (value.node.type === 'ObjectExpression') {
      const description = ctx.ev.resolvedProperty(value.node, 'description', value.scope);
      const text = description ? ctx.ev.string(description.node, description.scope) : undefined;
      if (text !== undefined) {
        param.description = text.text;
        if (text.at) param.location = ctx.locate(text.at, text.atFile);
      }
      const type = ctx.ev.property(value.node, 'type', value.scope);
      const typeName = type ? typeText(ctx, type.node, type.scope) : undefined;
      if (typeName !== undefined) param.type = typeName;
    }
    params.push(param);
  }
  return params;
}

interface ZodInfo {
  description?: string;
  descriptionAt?: Node;
  descriptionFile?: string;
  type?: string;
  required: boolean;
}

function describeArgument(ctx: Ctx, method: string, args: readonly Node[], scope: Scope): Str | undefined {
  const arg = args[0];
  if (!arg) return undefined;
  if (method === 'describe') return ctx.ev.string(arg, scope);
  // .meta({ description }) in zod 4.
  const meta = ctx.ev.resolve(arg, scope);
  if (meta.node.type !== 'ObjectExpression') return undefined;
  const description = ctx.ev.property(meta.node, 'description', meta.scope);
  return description ? ctx.ev.string(description.node, description.scope) : undefined;
}

function describeWith(info: ZodInfo, text: Str): void {
  info.description = text.text;
  if (text.at) info.descriptionAt = text.at;
  if (text.atFile !== undefined) info.descriptionFile = text.atFile;
}

/** Reads a zod chain from the outside in: the outermost `.describe()` is the one that counts. */
function zodInfo(ctx: Ctx, node: Node, scope: Scope): ZodInfo {
  const info: ZodInfo = { required: true };
  let current = ctx.ev.resolve(node, scope);
  for (let i = 0; i < MAX_CHAIN; i += 1) {
    const n = current.node;
    if (n.type !== 'CallExpression' && n.type !== 'OptionalCallExpression') break;
    const args = n.arguments.filter((a): a is Exclude<typeof a, { type: 'SpreadElement' | 'ArgumentPlaceholder' }> => a.type !== 'SpreadElement' && a.type !== 'ArgumentPlaceholder');
    const callee = unwrap(n.callee);
    if (callee.type === 'Identifier') {
      // A constructor imported by name (`string()` from zod/mini) or a wrapper we cannot see into.
      if (ZOD_TYPES.has(callee.name)) info.type ??= callee.name;
      break;
    }
    const method = memberKey(callee);
    if (method === undefined || (callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression')) break;
    if ((method === 'describe' || method === 'meta') && info.description === undefined) {
      const described = describeArgument(ctx, method, args, current.scope);
      if (described) describeWith(info, described);
    }
    if (OPTIONAL_METHODS.has(method)) info.required = false;
    const object = ctx.ev.resolve(callee.object, current.scope);
    const isConstructor = object.node.type === 'Identifier' || object.node.type === 'MemberExpression';
    if (isConstructor && ZOD_TYPES.has(method)) {
      // `z.optional(x)` and friends wrap their argument; `z.string()` is the base of the chain.
      info.type ??= method;
      break;
    }
    if (isConstructor && OPTIONAL_METHODS.has(method) && args[0]) {
      current = ctx.ev.resolve(args[0], current.scope);
      continue;
    }
    current = object;
  }
  return info;
}

/** A raw-shape entry: a zod chain, or mcp-framework's `{ type: z.string(), description: '…' }`. */
function shapeEntryInfo(ctx: Ctx, node: Node, scope: Scope): ZodInfo {
  const value = ctx.ev.resolve(node, scope);
  if (value.node.type !== 'ObjectExpression') return zodInfo(ctx, value.node, value.scope);
  const type = ctx.ev.property(value.node, 'type', value.scope);
  const info: ZodInfo = type ? zodInfo(ctx, type.node, type.scope) : { required: true };
  const description = ctx.ev.property(value.node, 'description', value.scope);
  const text = description ? ctx.ev.string(description.node, description.scope) : undefined;
  if (text) describeWith(info, text);
  return info;
}

function zodShapeParams(ctx: Ctx, object: ObjectExpression, scope: Scope): ExtractedParam[] {
  const params: ExtractedParam[] = [];
  for (const prop of object.properties) {
    if (params.length >= MAX_PARAMS) break;
    if (prop.type !== 'ObjectProperty') continue;
    const name = staticKey(prop.key, prop.computed);
    if (name === undefined) continue;
    const info = shapeEntryInfo(ctx, prop.value, scope);
    const location = info.descriptionAt ? ctx.locate(info.descriptionAt, info.descriptionFile) : ctx.locate(prop, scope.file);
    const param: ExtractedParam = { name, required: info.required, location };
    if (info.description !== undefined) param.description = info.description;
    if (info.type !== undefined) param.type = info.type;
    params.push(param);
  }
  return params;
}

function fromCall(ctx: Ctx, callee: Node, args: readonly Node[], scope: Scope, depth: number): ExtractedParam[] | undefined {
  const method = memberKey(callee);
  const name = method ?? (callee.type === 'Identifier' ? callee.name : undefined);
  if (name === undefined) return undefined;
  const first = args[0];
  if (OBJECT_CONSTRUCTORS.has(name) && first) return params(ctx, first, scope, depth + 1);
  if (/json.?schema/i.test(name) && first) return params(ctx, first, scope, depth + 1);
  if (name === 'preprocess' && args[1]) return params(ctx, args[1], scope, depth + 1);
  if (method === undefined || (callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression')) return undefined;
  if (method === 'extend' || method === 'merge' || method === 'and') {
    const base = params(ctx, callee.object, scope, depth + 1) ?? [];
    const extra = first ? (params(ctx, first, scope, depth + 1) ?? []) : [];
    const names = new Set(extra.map((p) => p.name));
    return [...base.filter((p) => !names.has(p.name)), ...extra].slice(0, MAX_PARAMS);
  }
  if (SHAPE_KEEPING.has(method)) return params(ctx, callee.object, scope, depth + 1);
  return undefined;
}

function params(ctx: Ctx, node: Node, scope: Scope, depth: number): ExtractedParam[] | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const resolved = ctx.ev.resolve(node, scope);
  const n = resolved.node;
  if (n.type === 'ObjectExpression') {
    return isObjectSchemaLiteral(n) ? jsonSchemaParams(ctx, n, resolved.scope) : zodShapeParams(ctx, n, resolved.scope);
  }
  if (n.type === 'CallExpression' || n.type === 'OptionalCallExpression') {
    const args = n.arguments.filter((a) => a.type !== 'SpreadElement' && a.type !== 'ArgumentPlaceholder');
    return fromCall(ctx, unwrap(n.callee), args, resolved.scope, depth);
  }
  // `Schema.shape` is the raw shape of a z.object.
  if ((n.type === 'MemberExpression' || n.type === 'OptionalMemberExpression') && memberKey(n) === 'shape') {
    return params(ctx, n.object, resolved.scope, depth + 1);
  }
  return undefined;
}

/** Parameters declared by a schema node, or undefined when the schema is not literal enough to read. */
export function extractParams(ev: Evaluator, locate: Locate, node: Node, scope: Scope): ExtractedParam[] | undefined {
  return params({ ev, locate }, node, scope, 0);
}
