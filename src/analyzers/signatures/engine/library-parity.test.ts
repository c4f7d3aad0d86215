import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WasmEngine } from './wasm.js';
import { YaraXEngine } from './yarax.js';
import type { RuleSource, ScanInput, ScanOutcome } from './types.js';

const root = fileURLToPath(new URL('../../../../signatures', import.meta.url));

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

const all = walk(root);
const rules: RuleSource[] = all.filter((f) => f.endsWith('.yar') && !f.includes(`${path.sep}samples${path.sep}`)).map((f) => ({ path: path.relative(root, f), text: readFileSync(f, 'utf8') }));
const samples: ScanInput[] = all.filter((f) => f.includes(`${path.sep}samples${path.sep}`)).map((f) => ({ name: path.relative(root, f), data: readFileSync(f) }));
const yaraxPresent = await new YaraXEngine().available();

function shape(o: ScanOutcome): [string, string[]][] {
  return [...o.matches].map(([n, ms]) => [n, ms.map((m) => `${m.rule}:${m.strings.map((s) => `${s.id}@${s.offset}`).join(',')}`).sort()]);
}

describe('rule library on every engine', () => {
  it.runIf(yaraxPresent && rules.length > 0)('wasm (batched) and YARA-X agree on every sample', async () => {
    const wasm = await new WasmEngine().compile(rules);
    const yx = await new YaraXEngine().compile(rules);
    try {
      const [a, b] = [await wasm.scan(samples), await yx.scan(samples)];
      expect(a.errors).toEqual([]);
      expect(wasm.errors.map((e) => e.path)).toEqual(yx.errors.map((e) => e.path));
      expect(shape(a)).toEqual(shape(b));
    } finally {
      await wasm.close();
      await yx.close();
    }
  });
});

describe('YARA-X in worker threads', () => {
  it.runIf(yaraxPresent && rules.length > 0)('gives what the calling thread gives, file for file and in input order', async () => {
    const inline = await new YaraXEngine({ workers: 0 }).compile(rules);
    const pooled = await new YaraXEngine({ workers: 2 }).compile(rules);
    try {
      const [a, b] = [await inline.scan(samples), await pooled.scan(samples)];
      expect(b.errors).toEqual([]);
      expect([...b.matches.keys()]).toEqual(samples.map((s) => s.name));
      expect(shape(b)).toEqual(shape(a));
      // Evidence bytes come from the caller's buffers, not from the worker's copies.
      const hit = [...b.matches.values()].flat()[0]?.strings[0];
      expect(hit?.data.length).toBeGreaterThan(0);
    } finally {
      await inline.close();
      await pooled.close();
    }
  });

  it.runIf(yaraxPresent)('refuses to scan once closed', async () => {
    const set = await new YaraXEngine({ workers: 1 }).compile(rules.slice(0, 1));
    await set.close();
    await expect(set.scan(samples.slice(0, 1))).rejects.toThrow(/closed/);
  });
});
