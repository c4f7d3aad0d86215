import type { Node } from '@babel/types';

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
  const stack: { node: Node; depth: number }[] = [{ node: root, depth: 0 }];
  const ancestors: Node[] = [];
  while (stack.length > 0 && !stopped) {
    const item = stack.pop();
    if (item === undefined) break;
    ancestors.length = item.depth;
    visited += 1;
    enter(item.node, ancestors, control);
    ancestors.push(item.node);
    const children: Node[] = [];
    for (const key of Object.keys(item.node)) {
      if (SKIP_KEYS.has(key)) continue;
      const value = (item.node as unknown as Record<string, unknown>)[key];
      if (Array.isArray(value)) {
        for (const child of value) if (isNode(child)) children.push(child);
      } else if (isNode(value)) {
        children.push(value);
      }
    }
    for (let i = children.length - 1; i >= 0; i -= 1) {
      const child = children[i];
      if (child) stack.push({ node: child, depth: item.depth + 1 });
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

/** 1-based line and column of a node, as findings report them. */
export function positionOf(node: Node): { line: number; column: number } | undefined {
  const start = node.loc?.start;
  return start ? { line: start.line, column: start.column + 1 } : undefined;
}

/** Source text of a node, bounded so evidence stays short even for a one-line bundle. */
export function sourceOf(text: string, node: Node, max = 300): string {
  const start = node.start ?? 0;
  const end = Math.min(node.end ?? start, start + max);
  return text.slice(start, end);
}
