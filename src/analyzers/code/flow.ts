/**
 * Follows values from sources to sinks within one module: through bindings (per scope), member access,
 * templates, concatenation, object and array literals, spreads, calls, await, `.then` callbacks and the
 * return values of local functions. It is neither sound nor complete; it is cheap (memoised per binding
 * and function, bounded in depth and in total steps) and good enough that "secrets reach the network" is
 * one finding with both ends located.
 */
import type { Node } from '@babel/types';
import type { Callee } from './apis.js';
import { PASS_THROUGH_TAILS, clipboardCall, decoderCall, execCall, fsReadCall, globCall, networkCall } from './apis.js';
import type { Site } from './collect.js';
import { thisKey } from './collect.js';
import { classifyCommand, classifyRead } from './paths.js';
import type { Resolver } from './resolve.js';
import { UNKNOWN, propertyOf } from './resolve.js';
import { isCall, isFunctionNode, memberName, unwrap } from './syntax.js';

export type LabelKind = 'credential' | 'mcp-config' | 'env' | 'clipboard' | 'decoded' | 'downloaded';

export interface Label {
  kind: LabelKind;
  /** What the source is, for messages: "~/.ssh/id_rsa (SSH private key)", "process.env". */
  what: string;
  origin: Node;
  /** The value is the environment object itself: reading one property of it is reading one variable. */
  rawEnv?: boolean;
}

/** Labels of secret data: their reaching a network sink is exfiltration. */
export const SECRET_KINDS: ReadonlySet<LabelKind> = new Set(['credential', 'mcp-config', 'env', 'clipboard']);

const MAX_DEPTH = 40;
const MAX_STEPS = 400_000;
const MAX_PROPERTIES = 100;
const MIN_ENCODED_LITERAL = 16;
const NONE: readonly Label[] = Object.freeze([]);

function merge(into: Label[], labels: readonly Label[], keep?: (label: Label) => boolean): void {
  for (const label of labels) {
    if (keep && !keep(label)) continue;
    if (!into.some((l) => l.kind === label.kind)) into.push(label);
  }
}

function derived(labels: readonly Label[]): Label[] {
  return labels.map((l) => (l.rawEnv ? { kind: l.kind, what: l.what, origin: l.origin } : l));
}

const isSecret = (label: Label): boolean => SECRET_KINDS.has(label.kind);

export class Flow {
  private readonly bindingMemo = new Map<string, readonly Label[]>();
  private readonly returnMemo = new Map<number, readonly Label[]>();
  private readonly active = new Set<string>();
  private steps = 0;

  constructor(private readonly resolver: Resolver) {}

  /** True when the step budget ran out and some flows may have been missed. */
  get exhausted(): boolean {
    return this.steps >= MAX_STEPS;
  }

  labelsOf(node: Node | null | undefined, scope: number, depth = 0): readonly Label[] {
    const inner = unwrap(node);
    if (!inner || depth > MAX_DEPTH || this.steps >= MAX_STEPS) return NONE;
    this.steps += 1;
    switch (inner.type) {
      case 'Identifier':
        return this.identifierLabels(inner.name, scope, depth);
      case 'MemberExpression':
      case 'OptionalMemberExpression':
        return this.memberLabels(inner, scope, depth);
      case 'CallExpression':
      case 'OptionalCallExpression':
      case 'NewExpression':
        return this.callLabels(inner, scope, depth);
      case 'TemplateLiteral':
        return this.union(inner.expressions, scope, depth, true);
      case 'TaggedTemplateExpression':
        return this.union(inner.quasi.expressions, scope, depth, true);
      case 'BinaryExpression':
        return inner.operator === '+' ? this.union([inner.left, inner.right], scope, depth, true) : NONE;
      case 'LogicalExpression':
        return this.union([inner.left, inner.right], scope, depth, false);
      case 'ConditionalExpression':
        return this.union([inner.consequent, inner.alternate], scope, depth, false);
      case 'AwaitExpression':
      case 'YieldExpression':
      case 'SpreadElement':
        return this.labelsOf(inner.argument, scope, depth + 1);
      case 'AssignmentExpression':
        return this.labelsOf(inner.right, scope, depth + 1);
      case 'ArrayExpression':
        return this.union(inner.elements.slice(0, MAX_PROPERTIES), scope, depth, false);
      case 'ObjectExpression':
        return this.objectLabels(inner, scope, depth);
      default:
        return NONE;
    }
  }

  private union(nodes: readonly (Node | null | undefined)[], scope: number, depth: number, stringify: boolean): readonly Label[] {
    const out: Label[] = [];
    for (const node of nodes) merge(out, this.labelsOf(node, scope, depth + 1));
    return stringify ? derived(out) : out;
  }

  private objectLabels(node: Extract<Node, { type: 'ObjectExpression' }>, scope: number, depth: number): readonly Label[] {
    const out: Label[] = [];
    for (const prop of node.properties.slice(0, MAX_PROPERTIES)) {
      if (prop.type === 'ObjectProperty') merge(out, this.labelsOf(prop.value, scope, depth + 1));
      else if (prop.type === 'SpreadElement') merge(out, this.labelsOf(prop.argument, scope, depth + 1));
    }
    return out;
  }

  private identifierLabels(name: string, scope: number, depth: number): readonly Label[] {
    if (name === 'undefined') return NONE;
    return this.bindingLabels(this.resolver.keyOf(name, scope), depth);
  }

  private bindingLabels(key: string, depth: number): readonly Label[] {
    const memo = this.bindingMemo.get(key);
    if (memo) return memo;
    const defs = this.resolver.facts.defs.get(key);
    if (!defs || this.active.has(key)) return NONE;
    this.active.add(key);
    const out: Label[] = [];
    for (const def of defs.slice(0, 32)) merge(out, this.defLabels(def, depth + 1));
    this.active.delete(key);
    this.bindingMemo.set(key, out);
    return out;
  }

  private defLabels(def: Site, depth: number): readonly Label[] {
    if (def.node.type === 'ImportDeclaration') return NONE;
    if (def.pick === undefined) return this.labelsOf(def.node, def.scope, depth);
    const value = unwrap(def.node);
    if (value?.type === 'ObjectExpression') {
      const picked = propertyOf(value, def.pick);
      return picked ? this.labelsOf(picked, def.scope, depth) : NONE;
    }
    // `const { FOO } = process.env` reads one variable; a destructured property of a secret is still secret.
    return this.labelsOf(def.node, def.scope, depth).filter((l) => !l.rawEnv);
  }

  private memberLabels(node: Extract<Node, { type: 'MemberExpression' | 'OptionalMemberExpression' }>, scope: number, depth: number): readonly Label[] {
    const object = unwrap(node.object);
    if (object?.type === 'Identifier' && object.name === 'process' && memberName(node) === 'env' && this.resolver.isGlobal('process', scope)) {
      return [{ kind: 'env', what: 'process.env', origin: node, rawEnv: true }];
    }
    if (object?.type === 'ThisExpression') {
      const key = thisKey(this.resolver.facts, memberName(node), scope);
      return key === undefined ? NONE : this.bindingLabels(key, depth + 1);
    }
    const labels = this.labelsOf(node.object, scope, depth + 1);
    if (labels.length === 0) return labels;
    return labels.filter((l) => !l.rawEnv);
  }

  private callLabels(node: Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }>, scope: number, depth: number): readonly Label[] {
    const callee = this.resolver.callee(node, scope);
    const source = this.sourceOf(node, callee, scope, depth);
    if (source) return [source];
    const out: Label[] = [];
    const calleeNode = unwrap(node.callee);
    const passThrough = callee.tail !== undefined && PASS_THROUGH_TAILS.has(callee.tail);
    if (calleeNode?.type === 'Identifier') {
      const fns = this.resolver.localFunctions(calleeNode.name, scope);
      for (const fn of fns.slice(0, 4)) merge(out, this.returnLabels(fn, depth + 1));
    }
    if (calleeNode && (calleeNode.type === 'MemberExpression' || calleeNode.type === 'OptionalMemberExpression')) {
      // A method of a value keeps what the value was (`data.toString()`, `res.text()`, `s.split('')…`).
      merge(out, derived(this.labelsOf(calleeNode.object, scope, depth + 1)));
    }
    for (const arg of node.arguments.slice(0, 8)) {
      if (isFunctionNode(arg)) continue;
      merge(out, derived(this.labelsOf(arg, scope, depth + 1)), passThrough ? undefined : isSecret);
    }
    return out;
  }

  private returnLabels(fnScope: number, depth: number): readonly Label[] {
    const memo = this.returnMemo.get(fnScope);
    if (memo) return memo;
    const key = `fn:${fnScope}`;
    if (this.active.has(key)) return NONE;
    this.active.add(key);
    const out: Label[] = [];
    for (const site of (this.resolver.facts.returns.get(fnScope) ?? []).slice(0, 16)) merge(out, this.labelsOf(site.node, site.scope, depth));
    this.active.delete(key);
    this.returnMemo.set(fnScope, out);
    return out;
  }

  /** The label a call produces by itself, when it reads a secret, decodes a blob or downloads. */
  sourceOf(node: Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }>, callee: Callee, scope: number, depth: number): Label | undefined {
    const isNew = node.type === 'NewExpression';
    const readArg = fsReadCall(callee);
    if (readArg !== undefined || globCall(callee)) {
      const match = this.readTarget(node.arguments[readArg ?? 0], scope);
      if (match) return { kind: match.category === 'credential' ? 'credential' : 'mcp-config', what: `${match.shown} (${match.what})`, origin: node };
      return undefined;
    }
    if (clipboardCall(callee)) return { kind: 'clipboard', what: 'the clipboard', origin: node };
    const exec = execCall(callee);
    if (exec) {
      const text = this.commandText(node, scope);
      for (const match of classifyCommand(text)) {
        if (match.category === 'clipboard') return { kind: 'clipboard', what: 'the clipboard', origin: node };
        if (match.category === 'credential') return { kind: 'credential', what: match.what.replace(/^reads /, ''), origin: node };
      }
      return undefined;
    }
    if (networkCall(callee, isNew) !== undefined) return { kind: 'downloaded', what: `the response of ${callee.name ?? 'a request'}`, origin: node };
    return this.decodedSource(node, callee, scope, depth);
  }

  private decodedSource(node: Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }>, callee: Callee, scope: number, depth: number): Label | undefined {
    const decoder = decoderCall(callee);
    const args = node.arguments;
    if (decoder === 'buffer') {
      const encoding = this.resolver.strings(args[1], scope)[0]?.toLowerCase();
      if (encoding !== 'base64' && encoding !== 'hex' && encoding !== 'base64url') return undefined;
      return this.opaqueInput(args[0], scope, depth) ? { kind: 'decoded', what: `${encoding} data`, origin: node } : undefined;
    }
    if (decoder === 'atob') return this.opaqueInput(args[0], scope, depth) ? { kind: 'decoded', what: 'base64 data', origin: node } : undefined;
    if (decoder === 'charcode') {
      const spread = args.length === 1 && (args[0]?.type === 'SpreadElement' || callee.name?.endsWith('.apply') === true);
      return args.length >= 8 || spread ? { kind: 'decoded', what: 'character codes', origin: node } : undefined;
    }
    if (decoder === 'uri') {
      const text = this.resolver.strings(args[0], scope).find((s) => !s.includes(UNKNOWN)) ?? '';
      return countPercentEscapes(text) >= 8 ? { kind: 'decoded', what: '%-encoded data', origin: node } : undefined;
    }
    if (callee.tail === 'join') {
      const reversed = reversedString(node);
      if (reversed && this.opaqueInput(reversed, scope, depth)) return { kind: 'decoded', what: 'a reversed string', origin: node };
    }
    return undefined;
  }

  /** Decoding counts as hiding when what is decoded is a literal blob or itself decoded or downloaded. */
  private opaqueInput(arg: Node | undefined, scope: number, depth: number): boolean {
    if (!arg) return false;
    const known = this.resolver.strings(arg, scope).filter((s) => !s.includes(UNKNOWN));
    if (known.some((s) => s.length >= MIN_ENCODED_LITERAL)) return true;
    return this.labelsOf(arg, scope, depth + 1).some((l) => l.kind === 'decoded' || l.kind === 'downloaded');
  }

  /** The first path candidate that names a credential store or another client's MCP config. */
  readTarget(arg: Node | undefined, scope: number): ReturnType<typeof classifyRead> {
    if (!arg) return undefined;
    for (const candidate of this.resolver.strings(arg, scope)) {
      const match = classifyRead(candidate);
      if (match) return match;
    }
    return undefined;
  }

  /** The static text of a process call's command line (program and argument array), unknown parts blanked. */
  commandText(node: Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }>, scope: number): string {
    const parts: string[] = [];
    const first = this.resolver.strings(node.arguments[0], scope);
    parts.push(first.join(' ; '));
    const second = unwrap(node.arguments[1]);
    if (second && second.type !== 'ObjectExpression' && !isFunctionNode(second)) parts.push(this.resolver.strings(second, scope).join(' ; '));
    return parts.join(' ').slice(0, 4096);
  }
}

function countPercentEscapes(text: string): number {
  let count = 0;
  for (let i = text.indexOf('%'); i !== -1 && count < 64; i = text.indexOf('%', i + 1)) {
    if (/^[0-9a-f]{2}$/i.test(text.slice(i + 1, i + 3))) count += 1;
  }
  return count;
}

/** The string reversed by `s.split('').reverse().join('')`, or undefined. */
function reversedString(node: Extract<Node, { type: 'CallExpression' | 'OptionalCallExpression' | 'NewExpression' }>): Node | undefined {
  const join = unwrap(node.callee);
  if (!join || (join.type !== 'MemberExpression' && join.type !== 'OptionalMemberExpression')) return undefined;
  const reverse = unwrap(join.object);
  if (!isCall(reverse)) return undefined;
  const reverseCallee = unwrap(reverse.callee);
  if (!reverseCallee || (reverseCallee.type !== 'MemberExpression' && reverseCallee.type !== 'OptionalMemberExpression') || memberName(reverseCallee) !== 'reverse') return undefined;
  const split = unwrap(reverseCallee.object);
  if (!isCall(split)) return undefined;
  const splitCallee = unwrap(split.callee);
  if (!splitCallee || (splitCallee.type !== 'MemberExpression' && splitCallee.type !== 'OptionalMemberExpression') || memberName(splitCallee) !== 'split') return undefined;
  return splitCallee.object;
}
