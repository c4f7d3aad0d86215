import { createRequire } from 'node:module';
import { MAX_MATCH_BYTES, MAX_MATCHES_PER_STRING } from './wasm.js';
import { parseRules, type ParsedRule } from './yara-syntax.js';
import type { CompileError, CompiledRuleSet, RuleMatch, RuleSource, ScanInput, ScanOutcome, SignatureEngine } from './types.js';

/** The slice of @litko/yara-x we use; typed here so the optional package is not needed to typecheck. */
interface YaraXMatch { offset: number; length: number; identifier: string }
interface YaraXRule { ruleIdentifier: string; matches: YaraXMatch[] }
interface YaraXScanner {
  scan(data: Buffer): YaraXRule[];
  setMaxMatchesPerPattern(n: number): void;
}
interface YaraXModule {
  compile(source: string): YaraXScanner;
  validate(source: string): { errors: { message: string; line?: number }[] };
}

let cached: YaraXModule | null | undefined;

function load(): YaraXModule | null {
  if (cached !== undefined) return cached;
  try {
    cached = createRequire(import.meta.url)('@litko/yara-x') as YaraXModule;
  } catch {
    cached = null;
  }
  return cached;
}

/** YARA-X reports positions inside the message (`--> line:12:5`). */
function lineOf(e: { message: string; line?: number }): number | undefined {
  if (e.line !== undefined) return e.line;
  const m = /--> line:(\d{1,9})/.exec(e.message.slice(0, 2000));
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

function firstLineOf(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/^error\[[A-Z0-9]{1,10}\]: /, '');
}

export class YaraXEngine implements SignatureEngine {
  readonly name = 'yara-x' as const;

  available(): Promise<boolean> {
    return Promise.resolve(load() !== null);
  }

  compile(sources: readonly RuleSource[]): Promise<CompiledRuleSet> {
    const mod = load();
    if (mod === null) return Promise.reject(new Error('the yara-x engine (@litko/yara-x) is not installed on this platform'));
    const errors: CompileError[] = [];
    let good = sources.filter((s) => {
      const first = mod.validate(s.text).errors[0];
      if (first === undefined) return true;
      const line = lineOf(first);
      errors.push({ path: s.path, ...(line === undefined ? {} : { line }), message: firstLineOf(first.message) });
      return false;
    });
    // Files that are fine alone can still clash together (a rule name used twice): drop the later one.
    for (;;) {
      const firstLines: number[] = [];
      let line = 1;
      for (const s of good) { firstLines.push(line); line += s.text.split('\n').length; }
      const first = mod.validate(good.map((s) => s.text).join('\n')).errors[0];
      if (first === undefined) break;
      const at = lineOf(first) ?? 1;
      let k = 0;
      firstLines.forEach((l, i) => { if (l <= at) k = i; });
      const bad = good[k];
      if (bad === undefined) break;
      errors.push({ path: bad.path, line: at - (firstLines[k] ?? 1) + 1, message: firstLineOf(first.message) });
      good = good.filter((_s, i) => i !== k);
    }
    const scanner = mod.compile(good.map((s) => s.text).join('\n'));
    return Promise.resolve(new YaraXRuleSet(scanner, good, errors));
  }
}

/** Capped when reported, not while scanning: a scanner-side cap would also change `#a` counts in conditions. */
function capPerString(matches: readonly YaraXMatch[]): YaraXMatch[] {
  const seen = new Map<string, number>();
  return matches.filter((m) => {
    const n = seen.get(m.identifier) ?? 0;
    seen.set(m.identifier, n + 1);
    return n < MAX_MATCHES_PER_STRING;
  });
}

class YaraXRuleSet implements CompiledRuleSet {
  readonly engine = 'yara-x' as const;
  readonly rules: readonly string[];
  private readonly parsed = new Map<string, ParsedRule>();

  constructor(private scanner: YaraXScanner | null, sources: readonly RuleSource[], readonly errors: readonly CompileError[]) {
    for (const s of sources) for (const r of parseRules(s.text)) this.parsed.set(r.name, r);
    this.rules = [...this.parsed.keys()];
  }

  scan(files: readonly ScanInput[], signal?: AbortSignal): Promise<ScanOutcome> {
    const outcome: ScanOutcome = { matches: new Map(), errors: [] };
    for (const f of files) {
      signal?.throwIfAborted();
      if (this.scanner === null) throw new Error('signature engine is closed');
      try {
        outcome.matches.set(f.name, this.scanner.scan(f.data).map((r) => this.toMatch(r, f.data)));
      } catch (err) {
        outcome.errors.push({ name: f.name, message: err instanceof Error ? err.message : String(err) });
      }
    }
    return Promise.resolve(outcome);
  }

  close(): Promise<void> {
    this.scanner = null;
    return Promise.resolve();
  }

  private toMatch(r: YaraXRule, data: Buffer): RuleMatch {
    return {
      rule: r.ruleIdentifier,
      meta: { ...(this.parsed.get(r.ruleIdentifier)?.meta ?? {}) },
      strings: capPerString(r.matches).map((m) => ({
        id: m.identifier,
        offset: m.offset,
        length: m.length,
        data: Buffer.from(data.subarray(m.offset, m.offset + Math.min(m.length, MAX_MATCH_BYTES))),
      })),
    };
  }
}
