/**
 * The one interface every YARA engine sits behind (WebAssembly libyara by default, native YARA-X where
 * installed). Rule sets are compiled once and scan many buffers.
 */

export const ENGINE_NAMES = ['wasm', 'yara-x'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** One rule file: `signatures/<category>/<rule-id>.yar`, one rule per file. */
export interface RuleSource {
  /** Path as shown to people (relative to the signatures folder, or absolute for a researcher's folder). */
  path: string;
  text: string;
}

export interface CompileError {
  path: string;
  line?: number;
  message: string;
}

export type MetaValue = string | number | boolean;

export interface StringMatch {
  /** `$name` of the pattern. */
  id: string;
  offset: number;
  length: number;
  /** The matched bytes, capped (evidence is truncated later anyway). */
  data: Buffer;
}

export interface RuleMatch {
  rule: string;
  meta: Record<string, MetaValue>;
  strings: StringMatch[];
}

export interface ScanInput {
  /** Workspace-relative path; the key of the result map. */
  name: string;
  data: Buffer;
}

export interface ScanOutcome {
  matches: Map<string, RuleMatch[]>;
  /** Files the engine could not scan (timeout, engine error), with the reason: per-file errors, not a crash. */
  errors: { name: string; message: string }[];
}

/** A compiled rule set. Rules that failed to compile are left out and reported; the rest still work. */
export interface CompiledRuleSet {
  readonly engine: EngineName;
  readonly rules: readonly string[];
  readonly errors: readonly CompileError[];
  scan(files: readonly ScanInput[], signal?: AbortSignal): Promise<ScanOutcome>;
  close(): Promise<void>;
}

export interface SignatureEngine {
  readonly name: EngineName;
  /** False when the engine's package is not installed on this platform. */
  available(): Promise<boolean>;
  compile(sources: readonly RuleSource[]): Promise<CompiledRuleSet>;
}
