/**
 * The rule library: `<dir>/<category>/<rule-id>.yar`, one rule per file, samples beside it in
 * `<dir>/<category>/samples/<rule-id>/{match,nomatch}/`. Loading validates each rule's meta; `lint`
 * checks what makes a rule slow or untestable. Rule files are read with a size cap and parsed by a
 * linear scanner: a researcher's folder is trusted no more than a package.
 */
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FindingKindSchema, SeveritySchema } from '../../core/finding.js';
import type { FindingKind, Severity } from '../../core/finding.js';
import type { MetaValue, RuleSource } from './engine/types.js';
import { parseYarFile } from './yar-parse.js';
import type { YarString } from './yar-parse.js';

/** Largest rule file read; real rules are a few KiB. */
export const MAX_RULE_FILE_BYTES = 256 * 1024;
/** Most rule files loaded from one folder. */
export const MAX_RULES_PER_DIR = 5_000;
/** Most samples listed per rule and kind. */
export const MAX_SAMPLES_PER_KIND = 200;

export interface Problem {
  /** The rule file (or folder) as shown to people. */
  file: string;
  line?: number;
  /** Rule id, when known. */
  rule?: string;
  message: string;
}

const RULE_ID = /^[a-z0-9][a-z0-9-]{0,79}$/;

export const RuleFileMetaSchema = z.object({
  id: z.string().regex(RULE_ID, 'id must be lowercase letters, digits and dashes'),
  severity: SeveritySchema,
  kind: FindingKindSchema,
  description: z.string().trim().min(1, 'description is empty'),
  reference: z.union([z.literal(''), z.url()]),
  author: z.string().trim().min(1, 'author is empty'),
  version: z.number().int().positive(),
});
export type RuleFileMeta = z.infer<typeof RuleFileMetaSchema>;

export interface RuleSamples {
  /** Absolute paths of files the rule must match. */
  match: string[];
  /** Absolute paths of files it must not match. */
  nomatch: string[];
}

export interface LibraryRule {
  id: string;
  category: string;
  /** Absolute path of the `.yar` file. */
  file: string;
  /** Path as shown to people. */
  path: string;
  text: string;
  severity: Severity;
  kind: FindingKind;
  description: string;
  reference: string;
  author: string;
  version: number;
  meta: Record<string, MetaValue>;
  /** Every rule declared in the file (lint wants exactly one). */
  ruleNames: string[];
  strings: YarString[];
  samples: RuleSamples;
  /** Problems the scanner met in the file that did not stop the meta from being read. */
  syntax: { line: number; message: string }[];
}

export interface RuleLibrary {
  rules: LibraryRule[];
  problems: Problem[];
}

/** The project's own `signatures/` folder, found from this module whether it runs from src/ or dist/. */
export function defaultSignaturesDir(): string {
  return fileURLToPath(new URL('../../../signatures/', import.meta.url));
}

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Reads at most `max` bytes; returns undefined when the file is larger. */
function readCappedSync(file: string, max: number): Buffer | undefined {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(max + 1);
    let length = 0;
    while (length <= max) {
      const read = readSync(fd, buffer, length, max + 1 - length, null);
      if (read === 0) break;
      length += read;
    }
    return length > max ? undefined : buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => path.join(dir, e.name))
      .sort()
      .slice(0, MAX_SAMPLES_PER_KIND);
  } catch {
    return [];
  }
}

function samplesOf(ruleFile: string, id: string): RuleSamples {
  const base = path.join(path.dirname(ruleFile), 'samples', id);
  return { match: listFiles(path.join(base, 'match')), nomatch: listFiles(path.join(base, 'nomatch')) };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** `.yar` files directly in `dir` (a flat researcher folder) and in its category folders; never under samples/. */
function findRuleFiles(dir: string): string[] {
  const found: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'samples') continue;
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith('.yar')) found.push(full);
    if (!entry.isDirectory()) continue;
    for (const inner of readdirSync(full, { withFileTypes: true })) {
      if (inner.isFile() && inner.name.endsWith('.yar')) found.push(path.join(full, inner.name));
    }
  }
  return found.sort();
}

function describeIssue(issue: z.core.$ZodIssue, meta: Record<string, MetaValue>): string {
  const key = issue.path.join('.');
  if (!Object.hasOwn(meta, key)) return `meta ${key} is missing`;
  return `meta ${key}: ${issue.message}`;
}

function decode(bytes: Buffer): string {
  // Rule files are UTF-8 text; latin1 would turn non-ASCII string atoms into the wrong bytes.
  return bytes.toString('utf8');
}

/** Loads one rule file: a LibraryRule when its meta is valid, problems otherwise. */
export function loadRuleFile(file: string, category: string): { rule?: LibraryRule; problems: Problem[] } {
  const shown = displayPath(file);
  let bytes: Buffer | undefined;
  try {
    bytes = readCappedSync(file, MAX_RULE_FILE_BYTES);
  } catch (error) {
    return { problems: [{ file: shown, message: `cannot read: ${(error as Error).message}` }] };
  }
  if (bytes === undefined) return { problems: [{ file: shown, message: `over the ${MAX_RULE_FILE_BYTES}-byte rule file cap` }] };
  if (bytes.includes(0)) return { problems: [{ file: shown, message: 'contains NUL bytes; not a rule file' }] };
  const text = decode(bytes);
  const parsed = parseYarFile(text);
  const first = parsed.rules[0];
  const expectedId = path.basename(file, '.yar');
  if (first === undefined) {
    const syntax = parsed.errors[0];
    return { problems: [{ file: shown, ...(syntax ? { line: syntax.line } : {}), message: syntax ? syntax.message : 'no rule in the file' }] };
  }
  const meta = RuleFileMetaSchema.safeParse(first.meta);
  if (!meta.success) {
    return { problems: meta.error.issues.map((issue) => ({ file: shown, line: first.line, rule: expectedId, message: describeIssue(issue, first.meta) })) };
  }
  if (meta.data.id !== expectedId) {
    return { problems: [{ file: shown, line: first.line, rule: expectedId, message: `meta id "${meta.data.id}" is not the file name "${expectedId}"` }] };
  }
  const rule: LibraryRule = {
    ...meta.data,
    category,
    file,
    path: shown,
    text,
    meta: first.meta,
    ruleNames: parsed.rules.map((r) => r.name),
    strings: parsed.rules.flatMap((r) => r.strings),
    samples: samplesOf(file, meta.data.id),
    syntax: parsed.errors,
  };
  return { rule, problems: [] };
}

function loadInto(target: string, library: RuleLibrary, seen: Map<string, string>): void {
  const shown = displayPath(target);
  if (!isDirectory(target)) {
    if (target.endsWith('.yar')) return addRule(target, path.basename(path.dirname(target)), library, seen);
    library.problems.push({ file: shown, message: 'not a folder of rules or a .yar file' });
    return;
  }
  const files = findRuleFiles(target);
  if (files.length > MAX_RULES_PER_DIR) library.problems.push({ file: shown, message: `more than ${MAX_RULES_PER_DIR} rule files; the rest were not loaded` });
  for (const file of files.slice(0, MAX_RULES_PER_DIR)) {
    const category = path.dirname(file) === target ? path.basename(target) : path.basename(path.dirname(file));
    addRule(file, category, library, seen);
  }
}

function addRule(file: string, category: string, library: RuleLibrary, seen: Map<string, string>): void {
  const loaded = loadRuleFile(file, category);
  library.problems.push(...loaded.problems);
  const rule = loaded.rule;
  if (rule === undefined) return;
  const earlier = seen.get(rule.id);
  if (earlier !== undefined) {
    library.problems.push({ file: rule.path, rule: rule.id, message: `rule id ${rule.id} is already defined in ${earlier}; this one is left out` });
    return;
  }
  seen.set(rule.id, rule.path);
  library.rules.push(rule);
}

/** Synchronous form, for building the analyzer's rule list at module load. */
export function loadRuleLibrarySync(dirs: readonly string[]): RuleLibrary {
  const library: RuleLibrary = { rules: [], problems: [] };
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    try {
      loadInto(path.resolve(dir), library, seen);
    } catch (error) {
      library.problems.push({ file: displayPath(dir), message: `cannot read: ${(error as Error).message}` });
    }
  }
  return library;
}

/** Loads every rule from the given folders (or single `.yar` files); a broken rule is a problem, not a failure. */
export async function loadRuleLibrary(dirs: readonly string[]): Promise<RuleLibrary> {
  return loadRuleLibrarySync(dirs);
}

export function ruleSources(rules: readonly LibraryRule[]): RuleSource[] {
  return rules.map((r) => ({ path: r.path, text: r.text }));
}
export { lint, lintLibrary } from './lint.js';
