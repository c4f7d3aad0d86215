import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RuleMetaSchema } from '../core/finding.js';
import { WORKSPACE_RULES } from '../fetch/rules.js';
import { ANALYZERS, withAnalyzer } from './index.js';

// Shared code, not analyzers: test fixtures builders and the JavaScript parsing library.
const HELPER_FOLDERS = new Set(['test-helpers', 'lib']);

describe('the analyzer list', () => {
  it('swaps one analyzer by id, keeping the order and leaving the others and the original list alone', () => {
    const original = ANALYZERS.map((a) => a.id);
    const replacement = { ...ANALYZERS[2]!, description: 'configured for this run' };
    const swapped = withAnalyzer(ANALYZERS, replacement);
    expect(swapped.map((a) => a.id)).toEqual(original);
    expect(swapped[2]).toBe(replacement);
    expect(swapped.filter((a, i) => a !== ANALYZERS[i])).toEqual([replacement]);
    expect(ANALYZERS.map((a) => a.id)).toEqual(original);
  });

  it('has one entry per analyzer folder, each id equal to its folder name', () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const folders = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !HELPER_FOLDERS.has(e.name))
      .map((e) => e.name)
      .sort();
    expect(ANALYZERS.map((a) => a.id).sort()).toEqual(folders);
  });

  it.each(ANALYZERS.map((a) => [a.id, a] as const))('%s declares valid, namespaced, unique rules', (id, analyzer) => {
    expect(Number.isInteger(analyzer.version) && analyzer.version > 0).toBe(true);
    expect(analyzer.rules.length).toBeGreaterThan(0);
    for (const rule of analyzer.rules) {
      expect(RuleMetaSchema.safeParse(rule).success, rule.id).toBe(true);
      expect(rule.id.startsWith(`${id}/`), rule.id).toBe(true);
    }
    expect(new Set(analyzer.rules.map((r) => r.id)).size).toBe(analyzer.rules.length);
  });

  it('keeps rule ids unique across analyzers and the workspace stage', () => {
    const ids = [...ANALYZERS.flatMap((a) => a.rules), ...WORKSPACE_RULES].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
