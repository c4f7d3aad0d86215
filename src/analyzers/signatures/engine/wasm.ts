import { segmentAt } from '../../../core/text.js';
import { WasmPool, type PoolOptions, type WasmReply } from './pool.js';
import { parseRules, referencedNames, requirementOf, type ParsedRule, type Requirement } from './yara-syntax.js';
import { compileStringCondition, impliedStringCondition, parseStringDefs, widenForCandidates, type StringCondition } from './string-condition.js';
import type {
  CompileError, CompiledRuleSet, RuleMatch, RuleSource, ScanInput, ScanOutcome, SignatureEngine, StringMatch,
} from './types.js';

/** Bytes of matched data kept per match, and matches kept per string per file. */
export const MAX_MATCH_BYTES = 256;
export const MAX_MATCHES_PER_STRING = 20;

export interface WasmOptions extends PoolOptions {
  /** Files are concatenated into buffers of at most this many bytes (a larger file goes alone). */
  batchBytes?: number;
  batchFiles?: number;
  /**
   * A file of at least this many bytes (default: `batchBytes`) skips the candidate phase: it is scanned alone,
   * once, with every rule file. Such a file fills a batch by itself, so its candidate scan shares its compile
   * with no other file, and whenever a rule might match it (a binary's magic bytes) it would be scanned twice.
   */
  directBytes?: number;
  /**
   * Evaluate pure string-presence conditions in JavaScript from the batch hits instead of rescanning each
   * candidate file alone (default true). Off, every candidate goes to the per-file scan: the reference path.
   */
  stringConditionsInJs?: boolean;
}

/** A rule whose condition is decided by which of its strings are present. */
interface JsRule {
  name: string;
  ids: string[];
  test: StringCondition;
}

/**
 * One rule file, compiled and classified. `need` says what must hit in a file before any of its rules can
 * match there; `undefined` means "can match on anything", so it runs on every file alone.
 */
interface Unit {
  index: number;
  source: RuleSource;
  rules: ParsedRule[];
  need: Requirement | undefined;
  global: boolean;
  deps: number[];
  /** Set when every rule of the file is a pure string condition over batch-safe strings. */
  js: JsRule[] | undefined;
  /**
   * For other string-requiring units over batch-safe strings: true where some rule's condition can hold
   * given the batch hits, so only those files are rescanned alone (otherwise: any hit makes a candidate).
   */
  narrow: StringCondition | undefined;
}

export class WasmEngine implements SignatureEngine {
  readonly name = 'wasm' as const;

  constructor(private readonly options: WasmOptions = {}) {}

  available(): Promise<boolean> {
    return Promise.resolve(true);
  }

  async compile(sources: readonly RuleSource[]): Promise<WasmRuleSet> {
    const pool = new WasmPool(this.options);
    try {
      const { good, errors } = await findCompilable(pool, sources);
      const units = classify(good, this.options.stringConditionsInJs ?? true);
      const candidates = await buildCandidateText(pool, units);
      return new WasmRuleSet(pool, units, candidates, errors, this.options);
    } catch (err) {
      await pool.close();
      throw err;
    }
  }
}

const EMPTY = new Uint8Array(0);
/**
 * Two NUL bytes between files in a batch: to `fullword` (ascii and wide) and to regex `\b`/`\B` they look
 * exactly like the start or end of data, so a file's matches inside a batch are those it has alone.
 */
const GAP = Buffer.alloc(2);

async function compileErrors(pool: WasmPool, text: string): Promise<WasmReply['errors']> {
  const reply = await pool.call({ rules: text, data: EMPTY, maxPerString: 1 });
  return reply.errors.filter((e) => !e.warning);
}

/** Joins texts and remembers the first line of each, so a compiler line maps back to its file. */
function joinWithLines(texts: readonly string[]): { text: string; firstLines: number[] } {
  const firstLines: number[] = [];
  let line = 1;
  for (const t of texts) {
    firstLines.push(line);
    line += t.split('\n').length;
  }
  return { text: texts.join('\n'), firstLines };
}

function owner(firstLines: readonly number[], line: number): number {
  let k = 0;
  for (let i = 0; i < firstLines.length; i++) if ((firstLines[i] ?? 0) <= line) k = i;
  return k;
}

/**
 * One broken rule makes libyara reject the whole set, so: try everything together; if that fails, compile
 * each file alone to name the bad ones, then drop files blamed by the combined compile (duplicate names)
 * until the rest compiles.
 */
async function findCompilable(pool: WasmPool, sources: readonly RuleSource[]): Promise<{ good: RuleSource[]; errors: CompileError[] }> {
  const errors: CompileError[] = [];
  let good = [...sources];
  if (good.length === 0) return { good, errors };
  if ((await compileErrors(pool, joinWithLines(good.map((s) => s.text)).text)).length === 0) return { good, errors };
  const singles = await Promise.all(good.map((s) => compileErrors(pool, s.text)));
  good = good.filter((s, i) => {
    const first = singles[i]?.[0];
    if (first === undefined) return true;
    errors.push({ path: s.path, line: first.line, message: first.message });
    return false;
  });
  for (;;) {
    if (good.length === 0) break;
    const joined = joinWithLines(good.map((s) => s.text));
    const first = (await compileErrors(pool, joined.text))[0];
    if (first === undefined) break;
    const k = owner(joined.firstLines, first.line);
    const bad = good[k];
    if (bad === undefined) break;
    errors.push({ path: bad.path, line: first.line - (joined.firstLines[k] ?? 1) + 1, message: first.message });
    good.splice(k, 1);
  }
  return { good, errors };
}

function classify(sources: readonly RuleSource[], jsConditions: boolean): Unit[] {
  const units: Unit[] = sources.map((source, index) => {
    const rules = parseRules(source.text);
    const needs = rules.filter((r) => !r.global).map((r) => requirementOf(r.condition));
    const global = rules.some((r) => r.global);
    const unknown = rules.length === 0 || needs.some((n) => n === undefined);
    const need: Requirement | undefined = unknown || global ? undefined : {
      strings: needs.some((n) => n?.strings === true),
      magic: needs.flatMap((n) => n?.magic ?? []),
    };
    const js = jsConditions ? jsRules(rules) : undefined;
    const narrow = jsConditions && js === undefined && need?.strings === true && need.magic.length === 0 ? narrowing(rules) : undefined;
    return { index, source, rules, need, global, deps: [], js, narrow };
  });
  // A global rule that fails suppresses every other rule in the namespace: leave that to libyara.
  if (units.some((u) => u.global)) for (const u of units) { u.js = undefined; u.narrow = undefined; }
  const byName = new Map<string, number>();
  for (const u of units) for (const r of u.rules) byName.set(r.name, u.index);
  const names = new Set(byName.keys());
  for (const u of units) {
    const refs = u.rules.flatMap((r) => referencedNames(r.condition, names));
    u.deps = [...new Set(refs.map((n) => byName.get(n)).filter((k): k is number => k !== undefined && k !== u.index))];
  }
  return units;
}

function jsRules(rules: readonly ParsedRule[]): JsRule[] | undefined {
  if (rules.length === 0) return undefined;
  const out: JsRule[] = [];
  for (const r of rules) {
    if (r.global || r.isPrivate) return undefined;
    const defs = parseStringDefs(r.stringsText);
    if (defs === undefined || defs.some((d) => !d.batchSafe)) return undefined;
    const ids = defs.map((d) => d.id);
    const test = compileStringCondition(r.condition, ids);
    if (test === undefined) return undefined;
    out.push({ name: r.name, ids, test });
  }
  return out;
}

function narrowing(rules: readonly ParsedRule[]): StringCondition | undefined {
  const tests: StringCondition[] = [];
  for (const r of rules) {
    const defs = parseStringDefs(r.stringsText);
    if (defs === undefined || defs.some((d) => !d.batchSafe)) return undefined;
    tests.push(impliedStringCondition(r.condition, defs.map((d) => d.id)));
  }
  return (present) => tests.some((t) => t(present));
}

const MAGIC_PREFIX = '$__assay_magic';

function candidateRule(unit: Unit): string {
  if (unit.js !== undefined) {
    const strings = unit.rules.map((r) => r.stringsText).filter((s) => s.trim() !== '').join('\n');
    return strings === '' ? '' : `rule assay_candidate_${unit.index} {\nstrings:\n${strings}\ncondition:\nany of them\n}`;
  }
  const need = unit.need;
  if (need === undefined) return '';
  const magic = need.magic.map((b, i) => `${MAGIC_PREFIX}${i} = { ${[...b].map((x) => x.toString(16).padStart(2, '0')).join(' ')} }`);
  const body = unit.rules.map((r) => (need.strings ? widenForCandidates(r.stringsText) : '')).filter((s) => s.trim() !== '');
  const strings = [...body, ...magic].join('\n');
  if (strings.trim() === '') return '';
  return `rule assay_candidate_${unit.index} {\nstrings:\n${strings}\ncondition:\nany of them\n}`;
}

/**
 * Rewrites each hit-requiring file into a rule that fires on any of its strings (or magic bytes), to find
 * candidate files in one call per batch. A unit whose rewrite does not compile falls back to per-file.
 */
async function buildCandidateText(pool: WasmPool, units: Unit[]): Promise<string> {
  for (;;) {
    const parts = units.map((u) => ({ u, text: candidateRule(u) })).filter((p) => p.text !== '');
    if (parts.length === 0) return '';
    const joined = joinWithLines(parts.map((p) => p.text));
    const first = (await compileErrors(pool, joined.text))[0];
    if (first === undefined) return joined.text;
    const bad = parts[owner(joined.firstLines, first.line)];
    if (bad === undefined) return '';
    bad.u.need = undefined;
    bad.u.js = undefined;
    bad.u.narrow = undefined;
  }
}

interface Batch {
  files: ScanInput[];
  bytes: number;
}

/** Phase-1 results per file: candidate units for the per-file scan, and matches of JS-decided units. */
interface Phase1 {
  candidates: Map<string, Set<number>>;
  /** file → unit → matches (file-relative) of a JS-decided unit's strings, in libyara's order. */
  hits: Map<string, Map<number, [string, number, number][]>>;
}

export class WasmRuleSet implements CompiledRuleSet {
  readonly engine = 'wasm' as const;
  readonly rules: readonly string[];
  private readonly batchBytes: number;
  private readonly batchFiles: number;
  private readonly directBytes: number;
  /** Every rule file, as the compiled set was checked to compile. */
  private readonly fullText: string;
  private readonly metaByRule = new Map<string, ParsedRule>();
  private readonly textCache = new Map<string, string>();
  /** Rule name → position in the compiled set, so merged results come in libyara's order. */
  private readonly order = new Map<string, number>();
  private readonly jsUnits: readonly Unit[];
  /** Calls made to the wasm module by scans (not compile), for tests and the bench. */
  calls = 0;

  constructor(
    readonly pool: WasmPool,
    private readonly units: readonly Unit[],
    private readonly candidateText: string,
    readonly errors: readonly CompileError[],
    options: WasmOptions,
  ) {
    this.rules = units.flatMap((u) => u.rules.map((r) => r.name));
    for (const u of units) for (const r of u.rules) { this.metaByRule.set(r.name, r); this.order.set(r.name, this.order.size); }
    this.jsUnits = units.filter((u) => u.js !== undefined);
    this.batchBytes = options.batchBytes ?? 4 * 1024 * 1024;
    this.batchFiles = options.batchFiles ?? 4000;
    this.directBytes = options.directBytes ?? this.batchBytes;
    this.fullText = units.map((u) => u.source.text).join('\n');
  }

  async scan(files: readonly ScanInput[], signal?: AbortSignal): Promise<ScanOutcome> {
    if (this.pool.isClosed) throw new Error('signature engine is closed');
    const outcome: ScanOutcome = { matches: new Map(), errors: [] };
    if (this.units.length === 0) {
      for (const f of files) outcome.matches.set(f.name, []);
      return outcome;
    }
    const phase1: Phase1 = { candidates: new Map(), hits: new Map() };
    const failed = new Set<string>();
    const fail = (name: string, message: string): void => {
      if (failed.has(name)) return;
      failed.add(name);
      outcome.errors.push({ name, message });
    };
    const direct = files.filter((f) => f.data.length >= this.directBytes);
    const phased = direct.length === 0 ? files : files.filter((f) => f.data.length < this.directBytes);
    if (this.candidateText !== '') {
      await runLimited(this.batches(phased), this.pool.size, (b) => this.findCandidates(b, phase1, fail, signal));
    }
    this.narrowCandidates(phase1);
    const always = this.units.filter((u) => u.js === undefined && (u.need === undefined || u.global)).map((u) => u.index);
    await runLimited(direct, this.pool.size, async (file) => {
      try {
        outcome.matches.set(file.name, await this.scanWith(file, this.fullText, signal));
      } catch (err) {
        signal?.throwIfAborted();
        fail(file.name, errText(err));
      }
    });
    await runLimited(phased.filter((f) => !failed.has(f.name)), this.pool.size, async (file) => {
      const wanted = new Set([...(phase1.candidates.get(file.name) ?? []), ...always]);
      const decided = this.decideInJs(file, phase1, wanted);
      if (wanted.size === 0) { outcome.matches.set(file.name, decided); return; }
      try {
        outcome.matches.set(file.name, this.merge(await this.scanOne(file, wanted, signal), decided));
      } catch (err) {
        signal?.throwIfAborted();
        fail(file.name, errText(err));
      }
    });
    return inInputOrder(files, outcome);
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private *batches(files: readonly ScanInput[]): Generator<Batch> {
    let cur: Batch = { files: [], bytes: 0 };
    for (const f of files) {
      if (cur.files.length > 0 && (cur.bytes + f.data.length > this.batchBytes || cur.files.length >= this.batchFiles)) {
        yield cur;
        cur = { files: [], bytes: 0 };
      }
      cur.files.push(f);
      cur.bytes += f.data.length;
    }
    if (cur.files.length > 0) yield cur;
  }

  /**
   * Rules of JS-decided units whose strings were all seen completely in phase 1 (no match dropped at a file
   * edge). A unit that is already wanted for the per-file scan is left to libyara.
   */
  private decideInJs(file: ScanInput, phase1: Phase1, wanted: ReadonlySet<number>): RuleMatch[] {
    const out: RuleMatch[] = [];
    const perUnit = phase1.hits.get(file.name);
    for (const u of this.jsUnits) {
      if (wanted.has(u.index)) continue;
      const hits = perUnit?.get(u.index) ?? [];
      for (const r of u.js ?? []) {
        const own = hits.filter(([id]) => r.ids.includes(id));
        if (!r.test((id) => own.some(([x]) => x === id))) continue;
        out.push({
          rule: r.name,
          meta: { ...(this.metaByRule.get(r.name)?.meta ?? {}) },
          strings: own.map(([id, offset, length]) => stringMatch(file.data, id, offset, length)),
        });
      }
    }
    return out;
  }

  /** Files whose batch hits can satisfy a narrowed unit become its candidates. */
  private narrowCandidates(phase1: Phase1): void {
    for (const [name, perUnit] of phase1.hits) {
      for (const [k, hits] of perUnit) {
        const narrow = this.units[k]?.narrow;
        if (narrow !== undefined && narrow((id) => hits.some(([x]) => x === id))) addCandidate(phase1.candidates, name, k);
      }
    }
  }

  /** A rule found by the per-file scan (e.g. pulled in as a dependency) wins over the same rule decided in JS. */
  private merge(scanned: RuleMatch[], decided: RuleMatch[]): RuleMatch[] {
    if (decided.length === 0) return scanned;
    const seen = new Set(scanned.map((m) => m.rule));
    const all = [...scanned, ...decided.filter((m) => !seen.has(m.rule))];
    return all.sort((a, b) => (this.order.get(a.rule) ?? 0) - (this.order.get(b.rule) ?? 0));
  }

  private async findCandidates(batch: Batch, out: Phase1, fail: (n: string, m: string) => void, signal?: AbortSignal): Promise<void> {
    try {
      await this.candidateCall(batch, out, signal);
    } catch (err) {
      signal?.throwIfAborted();
      if (batch.files.length === 1) { fail(batch.files[0]?.name ?? '', errText(err)); return; }
      // One slow or poisonous file must not cost its neighbours their scan: retry each alone once.
      for (const f of batch.files) {
        try {
          await this.candidateCall({ files: [f], bytes: f.data.length }, out, signal);
        } catch (e) {
          signal?.throwIfAborted();
          fail(f.name, errText(e));
        }
      }
    }
  }

  private async candidateCall(batch: Batch, out: Phase1, signal?: AbortSignal): Promise<void> {
    const starts: number[] = [];
    const parts: Buffer[] = [];
    let pos = 0;
    for (const f of batch.files) {
      if (parts.length > 0) { parts.push(GAP); pos += GAP.length; }
      starts.push(pos);
      parts.push(f.data);
      pos += f.data.length;
    }
    const data = batch.files.length === 1 ? (batch.files[0]?.data ?? EMPTY) : Buffer.concat(parts, pos);
    this.calls++;
    // JS-decided units need every match a lone scan would report (up to the cap), not just the first.
    const maxPerString = this.jsUnits.length > 0 ? MAX_MATCHES_PER_STRING : 1;
    // A concatenation is ours to give away; a lone file's buffer still serves as evidence afterwards.
    const reply = await this.pool.call({ rules: this.candidateText, data, starts, gap: GAP.length, maxPerString, transfer: batch.files.length > 1 }, signal);
    for (const r of reply.rules) {
      const unit = Number(r.rule.slice('assay_candidate_'.length));
      const u = this.units[unit];
      const js = u?.js !== undefined || u?.narrow !== undefined;
      // A match dropped at a file edge (a greedy regex running into the next file) may be a shorter match
      // in the file alone: the batch saw those files incompletely, so they are rescanned alone.
      for (const k of r.straddled ?? []) {
        const file = batch.files[k];
        if (file !== undefined) addCandidate(out.candidates, file.name, unit);
      }
      for (const [id, offset, length] of r.matches) {
        const k = segmentAt(starts, offset);
        const file = batch.files[k];
        if (file === undefined) continue;
        const start = starts[k] ?? 0;
        if (id.startsWith(MAGIC_PREFIX) && offset !== start) continue;
        if (!js) { addCandidate(out.candidates, file.name, unit); continue; }
        let perUnit = out.hits.get(file.name);
        if (perUnit === undefined) out.hits.set(file.name, (perUnit = new Map()));
        let list = perUnit.get(unit);
        if (list === undefined) perUnit.set(unit, (list = []));
        list.push([id, offset - start, length]);
      }
    }
  }

  private async scanOne(file: ScanInput, wanted: Set<number>, signal?: AbortSignal): Promise<RuleMatch[]> {
    const closed = this.closure(wanted);
    const key = closed.join(',');
    let text = this.textCache.get(key);
    if (text === undefined) {
      text = closed.map((k) => this.units[k]?.source.text ?? '').join('\n');
      if (this.textCache.size > 1000) this.textCache.clear();
      this.textCache.set(key, text);
    }
    return this.scanWith(file, text, signal);
  }

  /** One file alone under the real text of some rule files: libyara decides every condition. */
  private async scanWith(file: ScanInput, text: string, signal?: AbortSignal): Promise<RuleMatch[]> {
    this.calls++;
    const reply = await this.pool.call({ rules: text, data: file.data, maxPerString: MAX_MATCHES_PER_STRING }, signal);
    const hard = reply.errors.find((e) => !e.warning);
    if (hard !== undefined) throw new Error(`rules failed to compile for this file: ${hard.message}`);
    return reply.rules.map((r) => ({
      rule: r.rule,
      meta: { ...(this.metaByRule.get(r.rule)?.meta ?? {}) },
      strings: r.matches.map(([id, offset, length]) => stringMatch(file.data, id, offset, length)),
    }));
  }

  private closure(wanted: Set<number>): number[] {
    const seen = new Set<number>();
    const stack = [...wanted];
    for (let k = stack.pop(); k !== undefined; k = stack.pop()) {
      if (seen.has(k)) continue;
      seen.add(k);
      stack.push(...(this.units[k]?.deps ?? []));
    }
    return [...seen].sort((a, b) => a - b);
  }
}

/** Workers finish in any order; callers (and the engine parity test) get files in the order given. */
export function inInputOrder(files: readonly ScanInput[], outcome: ScanOutcome): ScanOutcome {
  const matches = new Map<string, RuleMatch[]>();
  for (const f of files) {
    const m = outcome.matches.get(f.name);
    if (m !== undefined) matches.set(f.name, m);
  }
  return { matches, errors: outcome.errors };
}

function addCandidate(map: Map<string, Set<number>>, name: string, unit: number): void {
  let set = map.get(name);
  if (set === undefined) map.set(name, (set = new Set()));
  set.add(unit);
}

function stringMatch(data: Buffer, id: string, offset: number, length: number): StringMatch {
  return { id, offset, length, data: Buffer.from(data.subarray(offset, offset + Math.min(length, MAX_MATCH_BYTES))) };
}


function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs `fn` over items with at most `limit` in flight, pulling lazily so batches are built one at a time. */
export async function runLimited<T>(items: Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const it = items[Symbol.iterator]();
  const lane = async (): Promise<void> => {
    for (let next = it.next(); next.done !== true; next = it.next()) await fn(next.value);
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, lane));
}
