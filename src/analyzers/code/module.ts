/**
 * One source file in, findings out: parse, collect facts under the time budget, run the checks, and
 * aggregate repeats so a bundle with a thousand `spawn` calls gives a short report.
 */
import type { Node } from '@babel/types';
import type { Finding, Location, RuleMeta } from '../../core/finding.js';
import { makeFinding } from '../../core/finding.js';
import { positionsIn, sourceOf, type Position } from '../lib/ast.js';
import { parseTimed, type TimedParse } from '../lib/shared-parse.js';
import type { Hit } from './checks.js';
import { runChecks } from './checks.js';
import { collectFacts } from './collect.js';
import { CODE_ANALYZER_ID, RULES } from './rules.js';

/** Findings kept per rule per file before the rest are summarised in one. */
export const MAX_FINDINGS_PER_RULE = 5;
export const DEFAULT_FILE_BUDGET_MS = 2000;
const EVIDENCE_CHARS = 160;

export interface SourceOptions {
  /** Time for the walk; the checks get half as much again. */
  budgetMs?: number;
  signal?: AbortSignal;
  /** Parses the file (default: `parseTimed`); the analyzer passes one that keeps the tree for the tools analyzer. */
  parse?: (file: string, text: string) => TimedParse;
}

export interface SourceResult {
  findings: Finding[];
  /** Set when the file could not be parsed at all. */
  parseError?: string;
  cutShort: boolean;
  /** Nodes visited, for diagnostics. */
  nodes: number;
}

function evidenceOf(text: string, node: Node | undefined): string | undefined {
  if (!node) return undefined;
  return sourceOf(text, node, EVIDENCE_CHARS).replace(/\s+/g, ' ').trim();
}

function locationOf(file: string, node: Node | undefined, positionOf: (node: Node) => Position | undefined): Location {
  const position = node ? positionOf(node) : undefined;
  return position ? { file, line: position.line, column: position.column } : { file };
}

function byPosition(a: Hit, b: Hit): number {
  return (a.node?.start ?? 0) - (b.node?.start ?? 0);
}

/** At most MAX_FINDINGS_PER_RULE findings per rule, one per distinct key, then one summary. */
export function aggregate(file: string, text: string, hits: readonly Hit[]): Finding[] {
  const positionOf = positionsIn(text);
  const byRule = new Map<RuleMeta, Hit[]>();
  for (const hit of hits) {
    const list = byRule.get(hit.rule);
    if (list) list.push(hit);
    else byRule.set(hit.rule, [hit]);
  }
  const findings: Finding[] = [];
  for (const [rule, list] of byRule) {
    const seen = new Set<string>();
    const distinct: Hit[] = [];
    for (const hit of [...list].sort(byPosition)) {
      const id = hit.key ?? `${hit.node?.start ?? -1}:${hit.message}`;
      if (seen.has(id)) continue;
      seen.add(id);
      distinct.push(hit);
    }
    for (const hit of distinct.slice(0, MAX_FINDINGS_PER_RULE)) {
      findings.push(makeFinding(rule, CODE_ANALYZER_ID, { location: locationOf(file, hit.node, positionOf), evidence: evidenceOf(text, hit.node), message: hit.message }));
    }
    const rest = distinct.slice(MAX_FINDINGS_PER_RULE);
    const first = rest[0];
    if (first) {
      const more = rest.length === 1 ? '1 more like it' : `${rest.length} more like it`;
      findings.push(
        makeFinding(rule, CODE_ANALYZER_ID, {
          location: locationOf(file, first.node, positionOf),
          evidence: evidenceOf(text, first.node),
          message: `${more} in ${file} (not listed one by one), the first: ${first.message}`,
        }),
      );
    }
  }
  return dedupeFingerprints(findings);
}

function dedupeFingerprints(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    if (seen.has(f.fingerprint)) return false;
    seen.add(f.fingerprint);
    return true;
  });
}

/** The parser's message, except a stack overflow, which says what it means here. */
export function describeParseError(message: string): string {
  if (/maximum call stack size exceeded/i.test(message)) return 'nested too deeply for the parser (its stack overflowed)';
  return message.slice(0, 200);
}

/** Analyses one JavaScript or TypeScript source text. Never throws for bad input. */
export function analyseSource(file: string, text: string, options: SourceOptions = {}): SourceResult {
  const budget = options.budgetMs ?? DEFAULT_FILE_BUDGET_MS;
  // The budget counts parsing too: a bundle that takes the whole budget to parse is cut short, not waited for.
  const started = performance.now();
  const { outcome: parsed, ms } = (options.parse ?? parseTimed)(file, text);
  if (!parsed.ok) return { findings: [], parseError: describeParseError(parsed.error), cutShort: false, nodes: 0 };
  const parseMs = Math.round(ms);
  const collectOptions = options.signal ? { deadline: started + budget, signal: options.signal } : { deadline: started + budget };
  const facts = collectFacts(parsed.ast, text, collectOptions);
  // The checks still run over what was collected, with a quarter of the budget again, so a cut file keeps its findings.
  const checked = runChecks({ file, text, facts, deadline: Math.max(performance.now(), started + budget) + budget / 4, signal: options.signal });
  const findings = aggregate(file, text, checked.hits);
  if (checked.cutShort) {
    findings.push(
      makeFinding(RULES.analysisCutShort, CODE_ANALYZER_ID, {
        location: { file },
        message: `analysis of ${file} stopped at its ${budget} ms budget (parsing took ${parseMs} ms) after ${facts.visited} syntax nodes; the rest of the file was not checked`,
      }),
    );
  }
  return { findings, cutShort: checked.cutShort, nodes: facts.visited };
}
