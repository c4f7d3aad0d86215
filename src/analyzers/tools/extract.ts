/**
 * Static extraction of tool definitions from one file: MCP SDK calls (`server.tool`, `registerTool`,
 * `setRequestHandler` for tools/list and tools/call), FastMCP `addTool`, tool-shaped object literals and
 * JSON tool lists. One walk collects scopes and candidates; candidates are resolved afterwards, so
 * constants declared after their use are still found.
 */
import { parseExpression } from '@babel/parser';
import type { Class, Node, ObjectExpression, Program } from '@babel/types';
import type { Location } from '../../core/finding.js';
import { memberPath, positionsIn, sourceOf, type Position } from '../lib/ast.js';
import { parseScript, type ParseOutcome } from '../lib/parse.js';
import type { AnyCall, Collected, ObjectCandidate } from './collect.js';
import { collect } from './collect.js';
import type { HandlerTarget } from './handler.js';
import { analyzeHandler, childNodes } from './handler.js';
import type { AnnotationValue, ExtractedParam, ExtractedTool, ToolPattern } from './model.js';
import type { ModuleRecord } from './modules.js';
import { moduleRecord } from './modules.js';
import { extractParams } from './schema.js';
import type { ModuleLinker, Resolved, Str } from './scope.js';
import { Evaluator, Scope, isFunctionNode, memberKey, ownKeys, staticKey, unwrap } from './scope.js';

export interface ExtractOptions {
  /** performance.now() value after which the file is cut short. */
  deadline: number;
  /** Stop after this many tools (the caller's remaining allowance). */
  maxTools: number;
  /** Answers imports from other modules of the package. */
  linker?: ModuleLinker;
  /** The text of a linked module, so that its nodes are located and quoted in it. */
  textOf?: (file: string) => string | undefined;
}

export interface FileExtraction {
  tools: ExtractedTool[];
  /** The time budget or a cap stopped the file early: it may define more tools than were found. */
  truncated: boolean;
  /** More tools than `maxTools` were defined. */
  overflow: boolean;
}

export type ExtractOutcome = ({ ok: true } & FileExtraction) | { ok: false; error: string };

const SCHEMA_KEYS = ['inputSchema', 'input_schema', 'parameters', 'paramsSchema', 'argsSchema', 'schema'] as const;
const HANDLER_KEYS = ['handler', 'execute', 'run', 'callback', 'cb', 'func', 'fn', 'handle', 'invoke', 'call'] as const;
const ANNOTATION_KEYS = new Set(['title', 'readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']);
const MAX_NAME = 200;
const MAX_ANNOTATIONS = 40;
const METADATA_NAMES = /^(?:metadata|toolMetadata|TOOL_METADATA|toolDefinition|definition)$/;
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** A parsed file with its scopes and candidates, ready for extraction (possibly more than once). */
export interface PreparedModule {
  file: string;
  text: string;
  ast: Node;
  program: Program | undefined;
  collected: Collected;
  pattern: ToolPattern | undefined;
}

function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME && !/[\n\r\t]/.test(name);
}

function argumentsOf(call: AnyCall): Node[] {
  return call.arguments.filter((a) => a.type !== 'SpreadElement' && a.type !== 'ArgumentPlaceholder');
}

/** Builds the tools of one file from the collected candidates. */
class FileTools {
  readonly tools: ExtractedTool[] = [];
  overflow = false;
  truncated = false;
  private readonly consumed = new Set<Node>();
  private readonly ev: Evaluator;
  /** tools/call handlers that dispatch on the tool name, by name. */
  private readonly dispatch = new Map<string, HandlerTarget>();

  private readonly file: string;
  private readonly text: string;
  private readonly collected: Collected;
  private readonly pattern: ToolPattern | undefined;
  /** Line and column lookups, per module: this one's, and any linked one a node was followed into. */
  private readonly positions = new Map<string, (node: Node) => Position | undefined>();

  constructor(
    module: PreparedModule,
    private readonly options: ExtractOptions,
  ) {
    this.file = module.file;
    this.text = module.text;
    this.collected = module.collected;
    this.pattern = module.pattern;
    this.ev = new Evaluator(module.collected.functionScopes, options.linker);
  }

  /** The module `file` names and its text: a linked one we hold, else this file (nodes are this file's by default). */
  private moduleOf(file: string | undefined): { file: string; text: string } {
    if (file === undefined || file === '' || file === this.file) return { file: this.file, text: this.text };
    const text = this.options.textOf?.(file);
    return text === undefined ? { file: this.file, text: this.text } : { file, text };
  }

  readonly locate = (node: Node, file?: string): Location => {
    const module = this.moduleOf(file);
    let positionOf = this.positions.get(module.file);
    if (positionOf === undefined) {
      positionOf = positionsIn(module.text);
      this.positions.set(module.file, positionOf);
    }
    const position = positionOf(node);
    return position ? { file: module.file, line: position.line, column: position.column } : { file: module.file };
  };

  readonly evidence = (node: Node, file?: string): string => sourceOf(this.moduleOf(file).text, node, 200);

  private full(): boolean {
    if (this.tools.length >= this.options.maxTools) {
      this.overflow = true;
      return true;
    }
    if (performance.now() > this.options.deadline || this.ev.exhausted) {
      this.truncated = true;
      return true;
    }
    return false;
  }

  run(): void {
    for (const call of this.collected.calls) {
      if (this.full()) return;
      this.fromCall(call.node, call.scope);
    }
    for (const candidate of this.collected.classes) {
      if (this.full()) return;
      this.fromClass(candidate.node, candidate.scope);
    }
    for (const candidate of this.collected.objects) {
      if (this.full()) return;
      if (!this.consumed.has(candidate.node)) this.fromLiteral(candidate);
    }
    this.attachDispatch();
  }

  /**
   * Class-based tools: `getName()` / `getConfig()` / `exec()` (Salesforce's McpTool) and class fields
   * `name = …; description = …; schema = …; execute()` (mcp-framework's MCPTool).
   */
  private fromClass(node: Class, scope: Scope): void {
    const members = new Map<string, Node>();
    for (const member of node.body.body) {
      if ((member.type === 'ClassMethod' || member.type === 'ClassProperty') && !member.static) {
        const key = staticKey(member.key, member.computed);
        if (key !== undefined && !members.has(key)) members.set(key, member);
      }
    }
    const getName = members.get('getName');
    const getConfig = members.get('getConfig');
    if (getName?.type === 'ClassMethod' && getConfig?.type === 'ClassMethod') {
      const methodScope = this.collected.functionScopes.get(getName) ?? scope;
      const name = this.returnedValues(getName).map((n) => this.completeString(n, methodScope)).find((n) => n !== undefined);
      const configScope = this.collected.functionScopes.get(getConfig) ?? scope;
      const config = this.returnedValues(getConfig).map((n) => this.ev.resolve(n, configScope)).find((r) => r.node.type === 'ObjectExpression');
      if (name === undefined || config?.node.type !== 'ObjectExpression' || !isValidName(name)) return;
      this.fromObject(config.node, config.scope, 'class', name, this.classHandler(members, scope), { node, scope });
      return;
    }
    const nameField = members.get('name');
    const descriptionField = members.get('description');
    if (nameField?.type !== 'ClassProperty' || descriptionField?.type !== 'ClassProperty' || !nameField.value) return;
    const name = this.completeString(nameField.value, scope);
    if (name === undefined || !isValidName(name)) return;
    const description = descriptionField.value ? this.ev.string(descriptionField.value, scope) : undefined;
    const tool = this.makeTool(name, description, node, scope, 'class');
    const schema = members.get('schema') ?? members.get('inputSchema') ?? members.get('parameters');
    if (schema?.type === 'ClassProperty' && schema.value) tool.parameters = this.params(schema.value, scope);
    const annotations = members.get('annotations');
    const values = annotations?.type === 'ClassProperty' && annotations.value ? this.annotations(annotations.value, scope) : undefined;
    if (values) tool.annotations = values;
    this.add(tool, this.classHandler(members, scope));
  }

  private classHandler(members: ReadonlyMap<string, Node>, scope: Scope): HandlerTarget | undefined {
    for (const key of ['exec', 'execute', 'handler', 'run', 'call']) {
      const member = members.get(key);
      if (member?.type === 'ClassMethod') return { root: member, scope: this.collected.functionScopes.get(member) ?? scope };
    }
    return undefined;
  }

  private completeString(node: Node | undefined, scope: Scope): string | undefined {
    if (!node) return undefined;
    const value = this.ev.string(node, scope);
    return value?.complete ? value.text : undefined;
  }

  private annotations(node: Node, scope: Scope): Record<string, AnnotationValue> | undefined {
    const resolved = this.ev.resolve(node, scope);
    if (resolved.node.type !== 'ObjectExpression') return undefined;
    const out: Record<string, AnnotationValue> = {};
    let count = 0;
    for (const prop of resolved.node.properties) {
      if (prop.type !== 'ObjectProperty' || count >= MAX_ANNOTATIONS) continue;
      const key = staticKey(prop.key, prop.computed);
      if (key === undefined || key === '__proto__') continue;
      const value = this.literal(prop.value, resolved.scope);
      if (value === undefined) continue;
      out[key] = value;
      count += 1;
    }
    return count > 0 ? out : undefined;
  }

  private literal(node: Node, scope: Scope): AnnotationValue | undefined {
    const n = this.ev.resolve(node, scope).node;
    if (n.type === 'BooleanLiteral') return n.value;
    if (n.type === 'NumericLiteral') return n.value;
    // Minifiers write true and false as !0 and !1.
    if (n.type === 'UnaryExpression' && n.operator === '!' && n.argument.type === 'NumericLiteral') return !n.argument.value;
    const text = this.ev.string(n, scope);
    return text?.complete ? text.text : undefined;
  }

  private handlerTarget(node: Node | undefined, scope: Scope): HandlerTarget | undefined {
    if (!node) return undefined;
    const fn = this.ev.functionOf(node, scope);
    return fn ? { root: fn.node, scope: fn.scope } : undefined;
  }

  private params(node: Node | undefined, scope: Scope): ExtractedParam[] {
    if (!node) return [];
    return extractParams(this.ev, this.locate, node, scope) ?? [];
  }

  private add(tool: ExtractedTool, handler: HandlerTarget | undefined): void {
    if (handler) tool.handler = analyzeHandler(this.ev, this.locate, this.evidence, handler, tool.parameters.map((p) => p.name));
    this.tools.push(tool);
  }

  /** `site` is in the module of `siteScope` (a linked one, for a tool object imported from it). */
  private makeTool(name: string, description: Str | undefined, site: Node, siteScope: Scope, pattern: ToolPattern): ExtractedTool {
    const tool: ExtractedTool = {
      name,
      description: description?.text ?? '',
      descriptionComplete: description?.complete ?? true,
      parameters: [],
      location: this.locate(site, siteScope.file),
      pattern: this.pattern ?? pattern,
    };
    if (description?.at) tool.descriptionLocation = this.locate(description.at, description.atFile);
    return tool;
  }

  /**
   * A tool-shaped object: `{ name, description, inputSchema | parameters | schema, annotations, handler }`. The tool
   * is located at `site` (the call or class that declares it) when given, else at the object itself.
   */
  private fromObject(object: ObjectExpression, scope: Scope, pattern: ToolPattern, name: string | undefined, handler: HandlerTarget | undefined, site?: Resolved): void {
    this.consumed.add(object);
    const toolName = name ?? this.completeString(this.ev.property(object, 'name', scope)?.node, scope);
    if (toolName === undefined || !isValidName(toolName)) return;
    const descriptionNode = this.ev.property(object, 'description', scope);
    const description = descriptionNode ? this.ev.string(descriptionNode.node, descriptionNode.scope) : undefined;
    const tool = this.makeTool(toolName, description, site?.node ?? object, site?.scope ?? scope, pattern);
    const schema = SCHEMA_KEYS.map((key) => this.ev.property(object, key, scope)).find((p) => p !== undefined);
    if (schema) tool.parameters = this.params(schema.node, schema.scope);
    const annotations = this.ev.property(object, 'annotations', scope);
    const values = annotations ? this.annotations(annotations.node, annotations.scope) : undefined;
    if (values) tool.annotations = values;
    const title = this.ev.property(object, 'title', scope);
    const titleText = title ? this.completeString(title.node, title.scope) : undefined;
    if (titleText !== undefined) tool.title = titleText;
    else if (typeof values?.['title'] === 'string') tool.title = values['title'];
    const ownHandler = handler ?? this.objectHandler(object, scope);
    this.add(tool, ownHandler);
  }

  private objectHandler(object: ObjectExpression, scope: Scope): HandlerTarget | undefined {
    for (const key of HANDLER_KEYS) {
      const prop = this.ev.property(object, key, scope);
      const target = prop ? this.handlerTarget(prop.node, prop.scope) : undefined;
      if (target) return target;
    }
    return undefined;
  }

  private fromCall(call: AnyCall, scope: Scope): void {
    const method = memberKey(unwrap(call.callee));
    const args = argumentsOf(call);
    if (method === 'tool') this.fromToolCall(call, args, scope);
    else if (method === 'registerTool') this.fromRegisterTool(call, args, scope);
    else if (method === 'addTool') this.fromAddTool(call, args, scope);
    else if (method === 'setRequestHandler') this.fromRequestHandler(args, scope);
  }

  /** `server.tool(name, description?, paramsSchemaOrAnnotations?, annotations?, handler)` in all its overloads. */
  private fromToolCall(call: AnyCall, args: readonly Node[], scope: Scope): void {
    const [first, ...rest] = args;
    if (!first || rest.length === 0) return;
    const firstValue = this.ev.resolve(first, scope);
    if (firstValue.node.type === 'ObjectExpression') {
      // `server.tool({ name, description, schema }, handler)` (tmcp and similar).
      this.fromObject(firstValue.node, firstValue.scope, 'tool', undefined, this.handlerTarget(rest[rest.length - 1], scope));
      return;
    }
    const name = this.completeString(first, scope);
    if (name === undefined || !isValidName(name)) return;
    const last = rest[rest.length - 1];
    const handler = this.handlerTarget(last, scope);
    const middle = handler ? rest.slice(0, -1) : rest;
    let description: Str | undefined;
    let params: ExtractedParam[] | undefined;
    let annotations: Record<string, AnnotationValue> | undefined;
    for (const arg of middle) {
      const value = this.ev.resolve(arg, scope);
      if (value.node.type === 'ObjectExpression') {
        const keys = ownKeys(value.node);
        const isAnnotations = keys.size > 0 && [...keys].every((k) => ANNOTATION_KEYS.has(k));
        if (isAnnotations || params !== undefined) annotations = this.annotations(value.node, value.scope);
        else params = this.params(value.node, value.scope);
        continue;
      }
      const text = description === undefined ? this.ev.string(arg, scope) : undefined;
      if (text !== undefined) description = text;
      else if (params === undefined) params = extractParams(this.ev, this.locate, arg, scope);
    }
    const tool = this.makeTool(name, description, call, scope, 'tool');
    tool.parameters = params ?? [];
    if (annotations) tool.annotations = annotations;
    if (typeof annotations?.['title'] === 'string') tool.title = annotations['title'];
    this.add(tool, handler);
  }

  /** `server.registerTool(name, { title, description, inputSchema, outputSchema, annotations }, handler)`. */
  private fromRegisterTool(call: AnyCall, args: readonly Node[], scope: Scope): void {
    const [first, config, handlerNode] = args;
    const name = this.completeString(first, scope);
    if (name === undefined || !isValidName(name)) return;
    const handler = this.handlerTarget(handlerNode, scope);
    const object = config ? this.ev.resolve(config, scope) : undefined;
    if (object?.node.type === 'ObjectExpression') {
      this.fromObject(object.node, object.scope, 'registerTool', name, handler, { node: call, scope });
      return;
    }
    this.add(this.makeTool(name, undefined, call, scope, 'registerTool'), handler);
  }

  /** FastMCP `server.addTool({ name, description, parameters, execute })`. */
  private fromAddTool(call: AnyCall, args: readonly Node[], scope: Scope): void {
    const first = args[0];
    const object = first ? this.ev.resolve(first, scope) : undefined;
    if (object?.node.type === 'ObjectExpression') this.fromObject(object.node, object.scope, 'addTool', undefined, undefined, { node: call, scope });
  }

  private fromRequestHandler(args: readonly Node[], scope: Scope): void {
    const [schema, handlerNode] = args;
    if (!schema || !handlerNode) return;
    const path = memberPath(unwrap(schema)) ?? '';
    const fn = this.ev.functionOf(handlerNode, scope);
    if (!fn) return;
    if (path.endsWith('CallToolRequestSchema')) {
      this.collectDispatch(fn);
      return;
    }
    const returned = this.returnedValues(fn.node).map((node) => this.ev.resolve(node, fn.scope));
    const lists = returned.flatMap((r) => (r.node.type === 'ObjectExpression' ? [this.ev.resolvedProperty(r.node, 'tools', r.scope)] : []));
    if (!path.endsWith('ListToolsRequestSchema') && lists.length === 0) return;
    for (const list of lists) if (list) for (const element of this.arrayElements(list, 0)) {
      if (this.full()) return;
      if (element.node.type === 'ObjectExpression' && !this.consumed.has(element.node)) {
        this.fromObject(element.node, element.scope, 'listTools', undefined, undefined);
      }
    }
  }

  /** Elements of an array literal, through spreads, `Object.values(obj)` and `[...].concat(...)`. */
  private arrayElements(value: Resolved, depth: number): Resolved[] {
    if (depth > 4) return [];
    const n = value.node;
    if (n.type === 'ArrayExpression') {
      return n.elements.flatMap((element) => {
        if (!element) return [];
        if (element.type === 'SpreadElement') return this.arrayElements(this.ev.resolve(element.argument, value.scope), depth + 1);
        return [this.ev.resolve(element, value.scope)];
      });
    }
    if (n.type === 'ObjectExpression') {
      return n.properties.flatMap((prop) => (prop.type === 'ObjectProperty' ? [this.ev.resolve(prop.value, value.scope)] : []));
    }
    if (n.type === 'CallExpression') {
      const callee = memberPath(unwrap(n.callee));
      const [first] = argumentsOf(n);
      if (callee === 'Object.values' && first) return this.arrayElements(this.ev.resolve(first, value.scope), depth + 1);
      if (callee?.endsWith('.concat') && n.callee.type === 'MemberExpression') {
        return [n.callee.object, ...argumentsOf(n)].flatMap((part) => this.arrayElements(this.ev.resolve(part, value.scope), depth + 1));
      }
    }
    return [];
  }

  /** Expressions a handler returns (not looking into nested functions). */
  private returnedValues(fn: Node): Node[] {
    if (fn.type === 'ArrowFunctionExpression' && fn.body.type !== 'BlockStatement') return [fn.body];
    const body = 'body' in fn ? (fn.body as Node) : undefined;
    if (!body) return [];
    const out: Node[] = [];
    const stack: Node[] = [body];
    let steps = 0;
    while (stack.length > 0 && steps < 20_000 && out.length < 20) {
      steps += 1;
      const n = stack.pop();
      if (!n || isFunctionNode(n)) continue;
      if (n.type === 'ReturnStatement' && n.argument) out.push(n.argument);
      else stack.push(...childNodes(n));
    }
    return out;
  }

  /** `switch (name) { case 'x': … }` and `if (name === 'x') …` inside a tools/call handler. */
  private collectDispatch(fn: Resolved): void {
    const wholeArgs: string[] = [];
    const stack: Node[] = ['body' in fn.node ? (fn.node.body as Node) : fn.node];
    const cases: [string, Node][] = [];
    let steps = 0;
    while (stack.length > 0 && steps < 50_000) {
      steps += 1;
      const n = stack.pop();
      if (!n) break;
      if (n.type === 'VariableDeclarator') {
        if (n.id.type === 'ObjectPattern') {
          for (const prop of n.id.properties) {
            if (prop.type === 'ObjectProperty' && staticKey(prop.key, prop.computed) === 'arguments' && prop.value.type === 'Identifier') wholeArgs.push(prop.value.name);
          }
        } else if (n.id.type === 'Identifier' && n.init && memberPath(unwrap(n.init))?.endsWith('.arguments')) wholeArgs.push(n.id.name);
      }
      if (n.type === 'SwitchCase' && n.test) {
        const name = this.completeString(n.test, fn.scope);
        if (name !== undefined) cases.push([name, n]);
      }
      if (n.type === 'IfStatement' && n.test.type === 'BinaryExpression' && (n.test.operator === '===' || n.test.operator === '==')) {
        const left = n.test.left.type === 'PrivateName' ? undefined : this.completeString(n.test.left, fn.scope);
        const name = left ?? this.completeString(n.test.right, fn.scope);
        if (name !== undefined) cases.push([name, n.consequent]);
      }
      stack.push(...childNodes(n));
    }
    for (const [name, root] of cases) if (!this.dispatch.has(name)) this.dispatch.set(name, { root, scope: fn.scope, wholeArgs });
  }

  private attachDispatch(): void {
    if (this.dispatch.size === 0) return;
    for (const tool of this.tools) {
      const target = this.dispatch.get(tool.name);
      if (tool.handler === undefined && target) {
        tool.handler = analyzeHandler(this.ev, this.locate, this.evidence, target, tool.parameters.map((p) => p.name));
      }
    }
  }

  private fromLiteral(candidate: ObjectCandidate): void {
    const keys = ownKeys(candidate.node);
    const hasHandler = HANDLER_KEYS.some((k) => keys.has(k));
    const openApiLike = keys.has('in') || keys.has('operationId') || keys.has('responses') || keys.has('requestBody');
    const hasSchema = keys.has('inputSchema') || keys.has('input_schema') || keys.has('paramsSchema') || (keys.has('parameters') && !openApiLike);
    const toolLike = hasSchema || (keys.has('schema') && (hasHandler || keys.has('annotations')) && !openApiLike);
    if (keys.has('name') && (candidate.inToolsArray || toolLike)) {
      this.fromObject(candidate.node, candidate.scope, 'literal', undefined, undefined);
      return;
    }
    // A map of tools keyed by name: `{ list_tables: { description, parameters, annotations } }`.
    if (!keys.has('name') && candidate.keyedAs !== undefined && hasSchema && !HTTP_METHODS.has(candidate.keyedAs.toLowerCase())) {
      this.fromObject(candidate.node, candidate.scope, 'literal', candidate.keyedAs, undefined);
      return;
    }
    if (!keys.has('name')) return;
    // `export const metadata = { name, description }` beside `export const inputSchema` and `handler`.
    if (candidate.declaredAs !== undefined && METADATA_NAMES.test(candidate.declaredAs)) this.fromMetadata(candidate);
  }

  private fromMetadata(candidate: ObjectCandidate): void {
    const root = this.collected.root;
    const name = this.completeString(this.ev.property(candidate.node, 'name', candidate.scope)?.node, candidate.scope);
    if (name === undefined || !isValidName(name)) return;
    const descriptionNode = this.ev.property(candidate.node, 'description', candidate.scope);
    const description = descriptionNode ? this.ev.string(descriptionNode.node, descriptionNode.scope) : undefined;
    const tool = this.makeTool(name, description, candidate.node, candidate.scope, 'metadata');
    const schema = root.lookup('inputSchema');
    if (schema?.kind === 'value') tool.parameters = this.params(schema.init, schema.scope);
    const handler = root.lookup('handler');
    const target = handler?.kind === 'function' ? { root: handler.node, scope: this.collected.functionScopes.get(handler.node) ?? root } : undefined;
    this.consumed.add(candidate.node);
    this.add(tool, target);
  }
}

/** Tools defined in a prepared module. Pure with respect to the module: it can run again once more imports are known. */
export function extractTools(module: PreparedModule, options: ExtractOptions): FileExtraction {
  const builder = new FileTools(module, options);
  builder.run();
  return { tools: builder.tools, truncated: module.collected.truncated || builder.truncated, overflow: builder.overflow };
}

/** What the module exports, for other modules' imports (scripts only). */
export function exportsOf(module: PreparedModule): ModuleRecord | null {
  return module.program ? moduleRecord(module.program, module.collected.root) : null;
}

export type PrepareOutcome = { ok: true; module: PreparedModule } | { ok: false; error: string };

/**
 * Parses and walks one script; `budgetMs` bounds the walk (parsing itself cannot be interrupted). `handed` is
 * a parse another analyzer already made of this exact text.
 */
export function prepareScript(file: string, text: string, budgetMs: number, functionScopes = new WeakMap<Node, Scope>(), handed?: ParseOutcome): PrepareOutcome {
  const parsed = handed ?? parseScript(file, text);
  if (!parsed.ok) return { ok: false, error: `could not parse ${file}: ${parsed.error}` };
  const collected = collect(parsed.ast, file, performance.now() + budgetMs, functionScopes);
  return { ok: true, module: { file, text, ast: parsed.ast, program: parsed.ast.program, collected, pattern: undefined } };
}

export function prepareJson(file: string, text: string, budgetMs: number): PrepareOutcome {
  // A BOM is not JSON; dropping it keeps every line number and shifts only the first line's columns.
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let ast: Node;
  try {
    ast = parseExpression(source, { errorRecovery: true });
  } catch (error) {
    return { ok: false, error: `could not parse ${file}: ${(error as Error).message}` };
  }
  const collected = collect(ast, file, performance.now() + budgetMs, new WeakMap());
  return { ok: true, module: { file, text: source, ast, program: undefined, collected, pattern: 'json' } };
}

export { mayDefineTools } from '../lib/shared-parse.js';

/** Parses and extracts one file on its own (no cross-module imports). */
export function extractFromScript(file: string, text: string, options: ExtractOptions): ExtractOutcome {
  const prepared = prepareScript(file, text, Math.max(0, options.deadline - performance.now()));
  return prepared.ok ? { ok: true, ...extractTools(prepared.module, options) } : prepared;
}

export function extractFromJson(file: string, text: string, options: ExtractOptions): ExtractOutcome {
  const prepared = prepareJson(file, text, Math.max(0, options.deadline - performance.now()));
  return prepared.ok ? { ok: true, ...extractTools(prepared.module, options) } : prepared;
}
