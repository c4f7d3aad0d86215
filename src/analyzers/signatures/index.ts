/**
 * The signatures analyzer: the YARA rule library over every file of the workspace, text and binary.
 * The rule list is read from the library folder when first asked for (the runner needs it to accept
 * findings), the rules are compiled once per process, and one finding is made per rule per file.
 */
import type { Analyzer, AnalyzerContext, AnalyzerOutput } from '../../core/analyzer.js';
import { errorMessage } from '../../core/errors.js';
import type { Finding, RuleMeta } from '../../core/finding.js';
import { makeFinding } from '../../core/finding.js';
import { formatBytes } from '../../core/limits.js';
import type { WorkspaceFile } from '../../core/workspace.js';
import { compileOnce, requireEngine } from './compiled.js';
import type { EngineFactory } from './compiled.js';
import type { EngineName, RuleMatch, ScanInput, StringMatch } from './engine/types.js';
import type { LibraryRule, RuleLibrary } from './library.js';
import { defaultSignaturesDir, loadRuleLibrarySync } from './library.js';
import { isBinaryType, locateOffset, printableBytes } from './locate.js';
import { SIGNATURES_ANALYZER_ID, ruleMetaOf } from './rules.js';

export { SIGNATURES_ANALYZER_ID } from './rules.js';

const MiB = 1024 * 1024;
/** Largest file scanned; a bigger one is a per-file error (partial), never silently clean. */
export const MAX_SCAN_BYTES = 16 * MiB;
/** Bytes and files handed to the engine per call: bounds memory while amortising each call's cost. */
const BATCH_BYTES = 32 * MiB;
const BATCH_FILES = 500;

export interface SignaturesOptions {
  /** Engine to scan with; wasm unless told. */
  engine?: EngineName;
  /** Rule folders (or `.yar` files); the project's `signatures/` unless told. */
  dirs?: readonly string[];
  /** A library already loaded (hunt, tests); wins over `dirs`. */
  library?: RuleLibrary;
  /** How engines are made; the real engines unless told (tests pass a fake). */
  engineFactory?: EngineFactory;
}

async function realEngineFactory(): Promise<EngineFactory> {
  const mod = await import('./engine/index.js');
  return mod.createEngine;
}

interface Located {
  rule: LibraryRule;
  matches: RuleMatch[];
}

class Scan {
  readonly findings: Finding[] = [];
  readonly errors: { file?: string; message: string }[] = [];

  constructor(
    private readonly byMetaId: ReadonlyMap<string, LibraryRule>,
    private readonly byName: ReadonlyMap<string, LibraryRule>,
    private readonly metas: ReadonlyMap<string, RuleMeta>,
  ) {}

  error(message: string, file?: string): void {
    this.errors.push({ ...(file !== undefined ? { file } : {}), message: message.length > 300 ? `${message.slice(0, 299)}…` : message });
  }

  private ruleFor(match: RuleMatch): LibraryRule | undefined {
    const id = match.meta.id;
    return (typeof id === 'string' ? this.byMetaId.get(id) : undefined) ?? this.byName.get(match.rule);
  }

  addMatches(file: WorkspaceFile, data: Buffer, matches: readonly RuleMatch[]): void {
    const grouped = new Map<string, Located>();
    for (const match of matches) {
      const rule = this.ruleFor(match);
      if (rule === undefined) continue;
      const entry = grouped.get(rule.id) ?? { rule, matches: [] };
      entry.matches.push(match);
      grouped.set(rule.id, entry);
    }
    for (const { rule, matches: ms } of grouped.values()) this.findings.push(this.finding(file, data, rule, ms));
  }

  private finding(file: WorkspaceFile, data: Buffer, rule: LibraryRule, matches: readonly RuleMatch[]): Finding {
    const meta = this.metas.get(rule.id) as RuleMeta;
    const strings = matches.flatMap((m) => m.strings);
    const binary = isBinaryType(file.type);
    const first = strings.reduce<StringMatch | undefined>((best, s) => (best === undefined || s.offset < best.offset ? s : best), undefined);
    if (first === undefined) {
      return makeFinding(meta, SIGNATURES_ANALYZER_ID, { location: { file: file.path, line: 1, column: 1 }, message: `${rule.id} matched the file as a whole` });
    }
    const position = locateOffset(data, first.offset, binary);
    const count = strings.length === 1 ? '1 match' : `${strings.length} matches`;
    const where = binary ? `; first ${first.id} at offset ${first.offset}` : `; first ${first.id}`;
    return makeFinding(meta, SIGNATURES_ANALYZER_ID, {
      location: { file: file.path, line: position.line, column: position.column },
      message: `${rule.id}: ${count}${where}`,
      evidence: printableBytes(first.data.subarray(0, Math.max(0, Math.min(first.length, first.data.length)))),
    });
  }
}

function batches(files: readonly WorkspaceFile[]): WorkspaceFile[][] {
  const out: WorkspaceFile[][] = [];
  let current: WorkspaceFile[] = [];
  let bytes = 0;
  for (const file of files) {
    if (current.length > 0 && (bytes + file.size > BATCH_BYTES || current.length >= BATCH_FILES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += file.size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export class SignaturesAnalyzer implements Analyzer {
  readonly id = SIGNATURES_ANALYZER_ID;
  readonly version = 1;
  readonly description = 'YARA rules from the signature library over every file, text and binary.';
  readonly requirements = {};
  private loaded: RuleLibrary | undefined;
  private metaList: RuleMeta[] | undefined;

  constructor(private readonly options: SignaturesOptions = {}) {}

  /** The library, read on first use; a folder that cannot be read gives problems, never a throw. */
  get library(): RuleLibrary {
    this.loaded ??= this.options.library ?? loadRuleLibrarySync(this.options.dirs ?? [defaultSignaturesDir()]);
    return this.loaded;
  }

  get rules(): readonly RuleMeta[] {
    this.metaList ??= this.library.rules.map(ruleMetaOf);
    return this.metaList;
  }

  get engineName(): EngineName {
    return this.options.engine ?? 'wasm';
  }

  private cacheKey(): string {
    return this.library.rules.map((r) => `${r.file}:${r.version}:${r.text.length}`).join('\n');
  }

  async analyze(ctx: AnalyzerContext): Promise<AnalyzerOutput> {
    const library = this.library;
    if (library.rules.length === 0) {
      const why = library.problems[0] ? `: ${library.problems[0].file}: ${library.problems[0].message}` : '';
      return { findings: [], status: 'skipped', reason: `no signature rules loaded${why}` };
    }
    const factory = this.options.engineFactory ?? (await realEngineFactory());
    const engine = await requireEngine(this.engineName, factory);
    const compiled = await compileOnce(factory, this.cacheKey(), engine, library.rules);
    ctx.signal.throwIfAborted();

    const metas = new Map(library.rules.map((r, i) => [r.id, this.rules[i] as RuleMeta]));
    const byName = new Map<string, LibraryRule>();
    for (const rule of library.rules) for (const name of rule.ruleNames) byName.set(name, rule);
    const scan = new Scan(new Map(library.rules.map((r) => [r.id, r])), byName, metas);
    for (const problem of library.problems) scan.error(`rule ${problem.file}${problem.line ? `:${problem.line}` : ''} left out: ${problem.message}`);
    for (const error of compiled.errors) scan.error(`rule ${error.path}${error.line ? `:${error.line}` : ''} does not compile: ${error.message}`);

    const files = ctx.workspace.files.filter((f) => !f.omitted);
    for (const batch of batches(files)) {
      ctx.signal.throwIfAborted();
      await this.scanBatch(ctx, batch, compiled, scan);
    }
    const partial = scan.errors.length > 0;
    return {
      findings: scan.findings,
      errors: scan.errors,
      status: partial ? 'partial' : 'succeeded',
      ...(partial ? { reason: `${scan.errors.length} problem(s): some files or rules were not scanned` } : {}),
    };
  }

  private async scanBatch(ctx: AnalyzerContext, batch: readonly WorkspaceFile[], compiled: Awaited<ReturnType<typeof compileOnce>>, scan: Scan): Promise<void> {
    const inputs: ScanInput[] = [];
    const byName = new Map<string, { file: WorkspaceFile; data: Buffer }>();
    for (const file of batch) {
      if (file.size > MAX_SCAN_BYTES) {
        scan.error(`${formatBytes(file.size)}, over the ${formatBytes(MAX_SCAN_BYTES)} signature scan cap; not scanned`, file.path);
        continue;
      }
      try {
        const data = await ctx.reader.readBytes(file, MAX_SCAN_BYTES);
        inputs.push({ name: file.path, data });
        byName.set(file.path, { file, data });
      } catch (error) {
        scan.error(`cannot read: ${errorMessage(error)}`, file.path);
      }
    }
    if (inputs.length === 0) return;
    const outcome = await compiled.scan(inputs, ctx.signal);
    for (const failed of outcome.errors) scan.error(`not scanned: ${failed.message}`, failed.name);
    for (const [name, matches] of outcome.matches) {
      const entry = byName.get(name);
      if (entry) scan.addMatches(entry.file, entry.data, matches);
    }
  }
}

export function createSignaturesAnalyzer(options: SignaturesOptions = {}): SignaturesAnalyzer {
  return new SignaturesAnalyzer(options);
}

/** The registered analyzer: the project's library on the WebAssembly engine. */
export const signaturesAnalyzer: Analyzer = createSignaturesAnalyzer();
