import type { Analyzer } from '../core/analyzer.js';
import { codeAnalyzer } from './code/index.js';
import { manifestAnalyzer } from './manifest/index.js';
import { sandboxAnalyzer } from './sandbox/index.js';
import { signaturesAnalyzer } from './signatures/index.js';
import { toolsAnalyzer } from './tools/index.js';

/**
 * Every analyzer, in the order they run. One folder each under src/analyzers/, named by its id. The
 * sandbox runs last: it compares the run-time tool list with the tools found before it.
 */
export const ANALYZERS: readonly Analyzer[] = [manifestAnalyzer, codeAnalyzer, toolsAnalyzer, signaturesAnalyzer, sandboxAnalyzer];

export function analyzerById(id: string): Analyzer | undefined {
  return ANALYZERS.find((a) => a.id === id);
}

/** The list with the analyzer of the same id swapped for `replacement` (one configured for this run). */
export function withAnalyzer(analyzers: readonly Analyzer[], replacement: Analyzer): Analyzer[] {
  return analyzers.map((a) => (a.id === replacement.id ? replacement : a));
}
