/**
 * A stand-in engine for unit tests: text and plain hex strings, condition read as "any of them", and a
 * compile error for any rule containing the word `syntax_error`. Not a YARA implementation.
 */
import type { CompileError, CompiledRuleSet, EngineName, RuleMatch, RuleSource, ScanInput, ScanOutcome, SignatureEngine, StringMatch } from '../engine/types.js';
import { parseYarFile } from '../yar-parse.js';

interface FakeRule {
  name: string;
  meta: RuleMatch['meta'];
  strings: { id: string; bytes: Buffer }[];
}

function bytesOf(kind: string, value: string): Buffer | undefined {
  if (kind === 'text') return Buffer.from(value, 'latin1');
  if (kind !== 'hex') return undefined;
  const compact = value.replace(/\s+/g, '');
  return /^(?:[0-9a-fA-F]{2})+$/.test(compact) ? Buffer.from(compact, 'hex') : undefined;
}

function findAll(data: Buffer, needle: Buffer, id: string): StringMatch[] {
  const out: StringMatch[] = [];
  for (let at = data.indexOf(needle); at >= 0 && out.length < 10; at = data.indexOf(needle, at + 1)) {
    out.push({ id, offset: at, length: needle.length, data: data.subarray(at, at + needle.length) });
  }
  return out;
}

export function fakeEngine(name: EngineName = 'wasm', options: { available?: boolean; failFiles?: ReadonlySet<string> } = {}): SignatureEngine {
  return {
    name,
    available: async () => options.available ?? true,
    async compile(sources: readonly RuleSource[]): Promise<CompiledRuleSet> {
      const rules: FakeRule[] = [];
      const errors: CompileError[] = [];
      for (const source of sources) {
        const broken = source.text.indexOf('syntax_error');
        if (broken >= 0) {
          errors.push({ path: source.path, line: source.text.slice(0, broken).split('\n').length, message: 'syntax error, unexpected identifier' });
          continue;
        }
        for (const rule of parseYarFile(source.text).rules) {
          const strings = rule.strings.flatMap((s) => {
            const bytes = bytesOf(s.kind, s.value);
            return bytes ? [{ id: s.id, bytes }] : [];
          });
          rules.push({ name: rule.name, meta: rule.meta, strings });
        }
      }
      return {
        engine: name,
        rules: rules.map((r) => r.name),
        errors,
        async scan(files: readonly ScanInput[]): Promise<ScanOutcome> {
          const matches = new Map<string, RuleMatch[]>();
          const failed: ScanOutcome['errors'] = [];
          for (const file of files) {
            if (options.failFiles?.has(file.name)) {
              failed.push({ name: file.name, message: 'scan timed out' });
              continue;
            }
            const hits = rules.flatMap((r) => {
              const strings = r.strings.flatMap((s) => findAll(file.data, s.bytes, s.id));
              return strings.length > 0 ? [{ rule: r.name, meta: r.meta, strings }] : [];
            });
            if (hits.length > 0) matches.set(file.name, hits);
          }
          return { matches, errors: failed };
        },
        close: async () => undefined,
      };
    },
  };
}
