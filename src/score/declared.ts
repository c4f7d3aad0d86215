import type { CapabilityClass, Finding } from '../core/finding.js';
import type { ToolInfo } from '../core/tool.js';

/**
 * Words by which a tool openly tells the model (and the user reading the tool list) that it holds a
 * capability. Bounded, linear patterns: tool text is package-supplied.
 */
export const DECLARING_WORDS: Readonly<Record<CapabilityClass, RegExp>> = {
  process: /\b(?:shell|commands?|terminal|exec(?:ute|utes|uting|ution)?|run(?:s|ning)?|process(?:es)?|scripts?|spawn|launch(?:es)?|browsers?|chrom(?:e|ium)|playwright|puppeteer|cli|git|npm|npx|docker|kubectl)\b/i,
  'code-execution': /\b(?:eval(?:uate|uates)?|execut(?:e|es|ing)|code|scripts?|javascript|typescript|python|repl|sandbox)\b/i,
  filesystem: /\b(?:files?|director(?:y|ies)|folders?|paths?|disk)\b/i,
  network: /\b(?:fetch|https?|urls?|api|web|requests?|download|search)\b/i,
  credentials: /\b(?:ssh|credentials?|keychain|secrets?|wallets?|passwords?)\b/i,
  clipboard: /\bclipboard\b/i,
  environment: /\b(?:environment|env)\b/i,
};

const MAX_TEXT = 16 * 1024;

function toolText(tool: ToolInfo): string {
  return `${tool.name.replace(/[_-]+/g, ' ')} ${tool.title ?? ''} ${tool.description}`.slice(0, MAX_TEXT);
}

/** The first tool whose name or description declares the class, if any. */
export function declaringTool(capability: CapabilityClass, tools: readonly ToolInfo[]): string | undefined {
  const pattern = DECLARING_WORDS[capability];
  return tools.find((tool) => pattern.test(toolText(tool)))?.name;
}

/**
 * Marks capability findings that a tool openly declares (`declaredBy`). Pure: the same findings and
 * tools give the same answer, so it can be recomputed from the store.
 */
export function annotateDeclared(findings: readonly Finding[], tools: readonly ToolInfo[]): Finding[] {
  if (tools.length === 0) return [...findings];
  const cache = new Map<CapabilityClass, string | undefined>();
  return findings.map((finding) => {
    if (finding.kind !== 'capability' || finding.capability === undefined) return finding;
    if (!cache.has(finding.capability)) cache.set(finding.capability, declaringTool(finding.capability, tools));
    const by = cache.get(finding.capability);
    return by === undefined ? finding : { ...finding, declaredBy: by };
  });
}
