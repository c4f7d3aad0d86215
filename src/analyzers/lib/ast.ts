import type { Node } from '@babel/types';
import { segmentAt } from '../../core/text.js';

/** Keys that hold positions or comments, not child nodes. */
const SKIP_KEYS = new Set(['loc', 'start', 'end', 'extra', 'comments', 'leadingComments', 'trailingComments', 'innerComments', 'range', 'errors', 'tokens']);

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

export interface WalkControl {
  /** Stop the whole walk (the time budget ran out). */
  stop(): void;
  /** Nodes visited so far. */
  readonly visited: number;
}

/**
 * Visits every node depth-first, parents before children, with an explicit stack: minified bundles nest
 * deeper than the call stack allows. `enter` receives the node and its ancestors (nearest last).
 */
export function walk(root: Node, enter: (node: Node, ancestors: readonly Node[], control: WalkControl) => void): void {
  let stopped = false;
  let visited = 0;
  const control: WalkControl = {
    stop: () => {
      stopped = true;
    },
    get visited() {
      return visited;
    },
  };
  // Two parallel stacks rather than an object per node: large trees have millions of nodes.
  const nodes: Node[] = [root];
  const depths: number[] = [0];
  const ancestors: Node[] = [];
  while (nodes.length > 0 && !stopped) {
    const node = nodes.pop() as Node;
    const depth = depths.pop() as number;
    ancestors.length = depth;
    visited += 1;
    enter(node, ancestors, control);
    ancestors.push(node);
    // Last child pushed first, so children come off the stack in key order.
    const record = node as unknown as Record<string, unknown>;
    const keys = Object.keys(node);
    for (let k = keys.length - 1; k >= 0; k -= 1) {
      const key = keys[k] as string;
      if (SKIP_KEYS.has(key)) continue;
      const value = record[key];
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i -= 1) {
          const child: unknown = value[i];
          if (isNode(child)) {
            nodes.push(child);
            depths.push(depth + 1);
          }
        }
      } else if (isNode(value)) {
        nodes.push(value);
        depths.push(depth + 1);
      }
    }
  }
}

/** The literal string value of a node, when it is one (string literal, or template without expressions). */
export function stringValue(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'StringLiteral') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis.map((q) => q.value.cooked ?? q.value.raw).join('');
  return undefined;
}

/** `a.b.c` for member chains of identifiers and literal keys; undefined for anything computed. */
export function memberPath(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'Identifier') return node.name;
  if (node.type === 'ThisExpression') return 'this';
  if (node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression') {
    const object = memberPath(node.object);
    if (object === undefined) return undefined;
    if (!node.computed && node.property.type === 'Identifier') return `${object}.${node.property.name}`;
    const key = stringValue(node.property);
    return key === undefined ? undefined : `${object}.${key}`;
  }
  return undefined;
}

export interface Position {
  line: number;
  column: number;
}

/** JavaScript's line terminators (LF, CR, U+2028, U+2029), as Babel and acorn count lines. */
export function isLineBreak(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

/** Offsets where each line of `text` starts (CRLF is one break). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 13 && text.charCodeAt(i + 1) === 10) continue;
    if (isLineBreak(c)) starts.push(i + 1);
  }
  return starts;
}

/** 1-based line and column of a source offset, from the line starts. */
function positionAt(starts: readonly number[], offset: number): Position {
  const line = segmentAt(starts, offset);
  return { line: line + 1, column: offset - (starts[line] ?? 0) + 1 };
}

/**
 * 1-based line and column of the nodes of one parse of `text`, as findings report them. Babel's trees carry
 * them (`loc`); the fast path's trees do not (lib/fast-parse.ts), so their positions come from the node's
 * offset into `text`, with the line starts found once, on the first such node.
 */
export function positionsIn(text: string): (node: Node) => Position | undefined {
  let starts: number[] | undefined;
  return (node) => {
    const start = node.loc?.start;
    if (start) return { line: start.line, column: start.column + 1 };
    if (typeof node.start !== 'number') return undefined;
    starts ??= lineStarts(text);
    return positionAt(starts, Math.min(node.start, text.length));
  };
}

/** Source text of a node, bounded so evidence stays short even for a one-line bundle. */
export function sourceOf(text: string, node: Node, max = 300): string {
  const start = node.start ?? 0;
  const end = Math.min(node.end ?? start, start + max);
  return text.slice(start, end);
}
