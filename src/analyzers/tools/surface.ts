/**
 * Merges tool definitions found in several files (src/ and dist/, esm and cjs builds) into one
 * surface: one entry per tool name, keeping the copy that tells the most.
 */
import type { ToolInfo } from '../../core/tool.js';
import type { ExtractedTool } from './model.js';

function richness(tool: ExtractedTool): number {
  return (
    (tool.descriptionComplete ? 1_000_000 : 0) +
    Math.min(tool.description.length, 100_000) +
    tool.parameters.length * 1_000 +
    tool.parameters.filter((p) => p.description !== undefined).length * 500 +
    (tool.annotations ? 200 : 0) +
    (tool.title !== undefined ? 100 : 0) +
    (tool.handler ? 50 : 0)
  );
}

/** One tool per name, the richest copy; order is that of first appearance. */
export function mergeTools(tools: readonly ExtractedTool[]): ExtractedTool[] {
  const byName = new Map<string, ExtractedTool>();
  for (const tool of tools) {
    const kept = byName.get(tool.name);
    if (kept === undefined || richness(tool) > richness(kept)) byName.set(tool.name, tool);
  }
  return [...byName.values()];
}

/**
 * Distinct versions of each tool (same name, different text): rules run over every one, so a hostile
 * variant cannot hide behind a benign copy of the same name.
 */
export function distinctVariants(tools: readonly ExtractedTool[]): ExtractedTool[] {
  const seen = new Set<string>();
  const out: ExtractedTool[] = [];
  for (const tool of tools) {
    const key = JSON.stringify([
      tool.name,
      tool.description,
      tool.title ?? '',
      tool.parameters.map((p) => [p.name, p.description ?? '']),
      tool.annotations ?? {},
      tool.handler ? [tool.handler.effects.length, tool.handler.sent.map((s) => s.param)] : [],
    ]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(tool);
  }
  return out;
}

export function toToolInfo(tool: ExtractedTool): ToolInfo {
  const info: ToolInfo = { name: tool.name, description: tool.description, source: 'static', location: tool.location };
  if (tool.title !== undefined) info.title = tool.title;
  if (tool.parameters.length > 0) {
    info.parameters = tool.parameters.map((p) => {
      const param: NonNullable<ToolInfo['parameters']>[number] = { name: p.name };
      if (p.description !== undefined) param.description = p.description;
      if (p.type !== undefined) param.type = p.type;
      if (p.required !== undefined) param.required = p.required;
      return param;
    });
  }
  if (tool.annotations) info.annotations = { ...tool.annotations };
  return info;
}
