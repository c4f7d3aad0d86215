import { describe, it, expect, afterEach } from 'vitest';
import { WasmEngine, type WasmRuleSet } from './wasm.js';
import { YaraXEngine } from './yarax.js';
import { availableEngines, createEngine } from './index.js';
import type { CompiledRuleSet, RuleSource, ScanInput } from './types.js';

const yaraxPresent = await new YaraXEngine().available();
const open: CompiledRuleSet[] = [];
afterEach(async () => { await Promise.all(open.splice(0).map((s) => s.close())); });

function src(path: string, text: string): RuleSource {
  return { path, text };
}
function file(name: string, data: string | Buffer): ScanInput {
  return { name, data: typeof data === 'string' ? Buffer.from(data, 'latin1') : data };
}
async function compile(engine: 'wasm' | 'yara-x', sources: RuleSource[], wasm?: ConstructorParameters<typeof WasmEngine>[0]): Promise<CompiledRuleSet> {
  const set = engine === 'wasm' ? await new WasmEngine(wasm).compile(sources) : await new YaraXEngine().compile(sources);
  open.push(set);
  return set;
}
function hits(out: Awaited<ReturnType<CompiledRuleSet['scan']>>): Record<string, string[]> {
  const r: Record<string, string[]> = {};
  for (const [name, ms] of out.matches) r[name] = ms.map((m) => m.rule).sort();
  return r;
}

const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(200)]);
const RULES = [
  src('a/hello.yar', 'rule hello { meta: id = "hello" severity = "low" version = 2 strings: $h = "hello world" condition: $h }'),
  src('a/small.yar', 'rule small_text { strings: $t = "tiny" condition: $t and filesize < 100 }'),
  src('a/elf.yar', 'rule elf_magic { condition: uint32(0) == 0x464c457f }'),
  src('a/pair.yar', 'rule pair { strings: $a = "alpha-token" $b = "beta-token" condition: all of them }'),
  src('a/count.yar', 'rule twice { strings: $x = "dup!" condition: #x >= 2 }'),
  src('a/at0.yar', 'rule starts_mz { strings: $mz = "MZ" condition: $mz at 0 }'),
];
const FILES = [
  file('hello.txt', 'xx hello world yy'),
  file('tiny.txt', 'a tiny file'),
  file('big-tiny.txt', `tiny ${'z'.repeat(300)}`),
  file('bin/tool', ELF),
  file('notelf.bin', Buffer.concat([Buffer.from('pad'), ELF])),
  file('half-a.js', 'const k = "alpha-token";'),
  file('half-b.js', 'const k = "beta-token";'),
  file('both.js', 'alpha-token beta-token'),
  file('once.txt', 'dup!'),
  file('twice-split-1.txt', 'dup! '),
  file('twice.txt', 'dup! dup!'),
  file('mz.exe', 'MZ header'),
  file('late-mz.txt', 'no MZ here'),
  file('empty', Buffer.alloc(0)),
];
const EXPECTED: Record<string, string[]> = {
  'hello.txt': ['hello'],
  'tiny.txt': ['small_text'],
  'big-tiny.txt': [],
  'bin/tool': ['elf_magic'],
  'notelf.bin': [],
  'half-a.js': [],
  'half-b.js': [],
  'both.js': ['pair'],
  'once.txt': [],
  'twice-split-1.txt': [],
  'twice.txt': ['twice'],
  'mz.exe': ['starts_mz'],
  'late-mz.txt': [],
  empty: [],
};

const engines = ['wasm', ...(yaraxPresent ? ['yara-x' as const] : [])] as const;

describe.each(engines)('%s engine', (engine) => {
  it('keeps whole-file conditions right when files share one call', async () => {
    const set = await compile(engine, RULES);
    expect(set.errors).toEqual([]);
    const out = await set.scan(FILES);
    expect(out.errors).toEqual([]);
    expect(hits(out)).toEqual(EXPECTED);
  });

  it('maps offsets back to each file and returns typed meta and capped data', async () => {
    const set = await compile(engine, RULES);
    const out = await set.scan([file('pre', 'hello world'), file('x', '0123456789hello world')]);
    const m = out.matches.get('x')?.[0];
    expect(m?.meta).toEqual({ id: 'hello', severity: 'low', version: 2 });
    expect(m?.strings.map((s) => [s.id, s.offset, s.length, s.data.toString()])).toEqual([['$h', 10, 11, 'hello world']]);
    expect(out.matches.get('pre')?.[0]?.strings[0]?.offset).toBe(0);
  });

  it('caps matches per string and bytes per match', async () => {
    const set = await compile(engine, [src('c.yar', 'rule many { strings: $a = "ab" $long = /Q{300}/ condition: any of them }')]);
    const out = await set.scan([file('f', `${'ab'.repeat(100)}${'Q'.repeat(400)}`)]);
    const strings = out.matches.get('f')?.[0]?.strings ?? [];
    expect(strings.filter((s) => s.id === '$a').length).toBe(20);
    expect(Math.max(...strings.map((s) => s.data.length))).toBeLessThanOrEqual(256);
  });

  it('names a broken rule with path and line and keeps the others', async () => {
    const set = await compile(engine, [
      src('good/one.yar', 'rule one { strings: $a = "needle" condition: $a }'),
      src('bad/broken.yar', 'rule broken {\n  strings:\n    $a = "x"\n  condition:\n    $a and nosuchthing\n}'),
      src('good/dup.yar', 'rule one { condition: true }'),
    ]);
    expect(set.errors.map((e) => [e.path, e.line])).toEqual([['bad/broken.yar', 5], ['good/dup.yar', 1]]);
    expect(set.rules).toEqual(['one']);
    const out = await set.scan([file('f', 'a needle')]);
    expect(hits(out)).toEqual({ f: ['one'] });
  });
});

describe('engines agree', () => {
  it.runIf(yaraxPresent)('gives the same matches on both engines', async () => {
    const [a, b] = await Promise.all([compile('wasm', RULES), compile('yara-x', RULES)]);
    const [x, y] = await Promise.all([a.scan(FILES), b.scan(FILES)]);
    const shape = (o: typeof x): unknown => [...o.matches].map(([n, ms]) => [n, ms.map((m) => [m.rule, m.strings.map((s) => [s.id, s.offset, s.length])])]);
    expect(shape(x)).toEqual(shape(y));
  });

  it('lists wasm first and creates engines by name', async () => {
    const names = await availableEngines();
    expect(names[0]).toBe('wasm');
    expect(names.includes('yara-x')).toBe(yaraxPresent);
    expect(createEngine('yara-x').name).toBe('yara-x');
  });
});

describe('wasm engine resources', () => {
  it('batches many files into few calls', async () => {
    const set = (await compile('wasm', [RULES[0] as RuleSource, RULES[3] as RuleSource])) as WasmRuleSet;
    const files = Array.from({ length: 300 }, (_v, i) => file(`f${i}`, i === 150 ? 'hello world' : `plain ${i}`));
    const out = await set.scan(files);
    expect(hits(out)['f150']).toEqual(['hello']);
    expect(set.calls).toBeLessThanOrEqual(2);
  });

  it('recycles the wasm instance after N calls and keeps working', async () => {
    const set = (await compile('wasm', [RULES[2] as RuleSource], { recycleCalls: 2, size: 1 })) as WasmRuleSet;
    for (let i = 0; i < 3; i++) expect(hits(await set.scan([file('t', ELF)]))).toEqual({ t: ['elf_magic'] });
    expect(set.pool.recycles).toBeGreaterThanOrEqual(2);
  });

  it('turns a call over the time limit into per-file errors, then recovers', async () => {
    const set = (await compile('wasm', [RULES[0] as RuleSource], { size: 1 })) as WasmRuleSet;
    const slow = new WasmEngine({ size: 1, callTimeoutMs: 1 });
    const tight: CompiledRuleSet | Error = await slow.compile([RULES[0] as RuleSource]).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    // Compiling itself may already time out at 1 ms; both outcomes must be errors, not hangs.
    if (tight instanceof Error) {
      expect(tight.message).toMatch(/exceeded 1 ms/);
    } else {
      open.push(tight);
      const out = await tight.scan([file('a', 'hello world'), file('b', 'x')]);
      expect(out.errors.map((e) => e.name).sort()).toEqual(['a', 'b']);
      expect(out.errors[0]?.message).toMatch(/exceeded/);
    }
    expect(hits(await set.scan([file('a', 'hello world')]))).toEqual({ a: ['hello'] });
  });

  it('close() terminates every worker', async () => {
    const set = (await new WasmEngine({ size: 2 }).compile(RULES)) as WasmRuleSet;
    await set.scan(FILES);
    expect(set.pool.liveWorkers).toBeGreaterThan(0);
    await set.close();
    expect(set.pool.liveWorkers).toBe(0);
    await expect(set.scan(FILES)).rejects.toThrow(/closed/);
  });
});
