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

  it('puts the starting heap back after every call, with the results of a heap left to grow', async () => {
    const options = { size: 1, recycleCalls: 1000, heapLimitBytes: 1024 * 1024 * 1024 };
    const restored = (await compile('wasm', RULES, options)) as WasmRuleSet;
    const grown = (await compile('wasm', RULES, { ...options, restoreHeap: false })) as WasmRuleSet;
    const sizes = { restored: [] as (number | undefined)[], grown: [] as (number | undefined)[] };
    for (let round = 0; round < 6; round++) {
      // A different file alone each round, then the whole set: batches, per-file scans and matches all run.
      const files = [FILES[round % FILES.length] as ScanInput];
      for (const input of [files, FILES]) {
        const [a, b] = [await restored.scan(input), await grown.scan(input)];
        expect(hits(a)).toEqual(hits(b));
      }
      sizes.restored.push(restored.pool.heapBytes);
      sizes.grown.push(grown.pool.heapBytes);
    }
    expect(hits(await restored.scan(FILES))).toEqual(EXPECTED);
    expect(restored.pool.recycles).toBe(0);
    expect(sizes.restored.at(-1)).toBe(sizes.restored[0]);
    expect(sizes.grown.at(-1)).toBeGreaterThan(sizes.grown[0] ?? 0);
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

  it('scans a file that fills a batch alone once, instead of for candidates and again alone', async () => {
    const rules = [RULES[2] as RuleSource, RULES[0] as RuleSource];
    const phased = (await compile('wasm', rules, { size: 1 })) as WasmRuleSet;
    // Over batchBytes by default: the file would have a batch of its own.
    const direct = (await compile('wasm', rules, { size: 1, batchBytes: ELF.length })) as WasmRuleSet;
    for (const set of [phased, direct]) expect(hits(await set.scan([file('bin/tool', ELF)]))).toEqual({ 'bin/tool': ['elf_magic'] });
    expect([phased.calls, direct.calls]).toEqual([2, 1]);
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

/** Pure string conditions, decided in JS from batch hits; the reference path rescans every candidate alone. */
const STRING_RULES = [
  src('s/any.yar', 'rule s_any { strings: $a = "alpha" $b = "bravo" condition: any of them }'),
  src('s/all.yar', 'rule s_all { strings: $a = "alpha" $b = "bravo" condition: all of them }'),
  src('s/one.yar', 'rule s_one { meta: id = "one" strings: $c = "charlie" condition: $c }'),
  src('s/andor.yar', 'rule s_andor { strings: $a = "alpha" $b = "bravo" $c = "charlie" condition: ($a and $b) or $c }'),
  src('s/andnot.yar', 'rule s_andnot { strings: $a = "alpha" $b = "bravo" condition: $a and not $b }'),
  src('s/not.yar', 'rule s_not { strings: $a = "alpha" condition: not $a }'),
  src('s/nof.yar', 'rule s_nof { strings: $x1 = "one1" $x2 = "two2" $x3 = "three3" condition: 2 of ($x*) }'),
  src('s/prefix.yar', 'rule s_prefix { strings: $p1 = "pp-1" $p2 = "pp-2" $q = "qq" condition: any of ($p*) and not any of ($q) }'),
  src('s/nocase.yar', 'rule s_nocase { strings: $n = "SeCrEt" nocase condition: $n }'),
  src('s/wide.yar', 'rule s_wide { strings: $w = "widestr" wide condition: $w or not any of them }'),
  src('s/xor.yar', 'rule s_xor { strings: $x = "xor-me-please" xor condition: $x }'),
  src('s/b64.yar', 'rule s_b64 { strings: $b = "base64 payload here" base64 condition: $b }'),
  src('s/regex.yar', 'rule s_regex { strings: $r = /ab+c?d/ condition: $r }'),
  src('s/greedy.yar', 'rule s_greedy { strings: $r = /zq+/ condition: $r }'),
  src('s/anchor.yar', 'rule s_anchor { strings: $r = /^start/ condition: $r }'),
  src('s/fullword.yar', 'rule s_fullword { strings: $f = "word" fullword condition: $f }'),
  src('s/wordb.yar', 'rule s_wordb { strings: $r = /\\btok\\b/ condition: $r }'),
  src('s/fwide.yar', 'rule s_fwide { strings: $w = "fw" wide fullword condition: $w }'),
  src('s/many.yar', 'rule s_many { strings: $m = "mm" $a = "alpha" condition: any of them }'),
];
const utf16 = (s: string): Buffer => Buffer.from(s, 'utf16le');
const xored = (s: string, k: number): Buffer => Buffer.from([...Buffer.from(s)].map((b) => b ^ k));
const STRING_FILES = [
  file('alpha-only', 'x alpha y'),
  file('bravo-only', 'bravo'),
  file('both', 'alpha and bravo'),
  file('charlie', 'say charlie'),
  file('nof-1', 'one1 alpha'),
  file('nof-2', 'one1 three3'),
  file('prefix-ok', 'pp-2'),
  file('prefix-no', 'pp-1 qq'),
  file('nocase', 'the sEcReT is out'),
  file('wide', Buffer.concat([Buffer.from('w:'), utf16('widestr')])),
  file('xor', Buffer.concat([Buffer.from('k'), xored('xor-me-please', 0x21)])),
  file('b64', `eval(atob("${Buffer.from('xx base64 payload here yy').toString('base64')}"))`),
  file('regex-ok', 'abbbcd abd'),
  // A greedy match runs from this file into the next; alone each file matches a shorter span.
  file('greedy-a', 'xxzqq'),
  file('greedy-b', 'qqq end'),
  file('anchor-late', 'xxxx'),
  file('anchor', 'start of file'),
  file('fw-prev', 'prefixx'),
  file('fullword', 'word at the start'),
  // Word boundaries at a file's edges must not see the neighbouring file's letters.
  file('wb-a', 'tok'),
  file('wb-b', 'abc tok'),
  file('wb-c', 'tokyo'),
  file('fwide-prev', utf16('ab')),
  file('fwide', utf16('fw x')),
  file('fwide-tail', utf16('x fw')),
  file('fwide-next', utf16('cd')),
  file('fwide-no', utf16('afw')),
  file('many', `${'mm '.repeat(30)} alpha`),
  file('nothing', 'plain text'),
  file('empty', Buffer.alloc(0)),
];

function fullShape(o: Awaited<ReturnType<CompiledRuleSet['scan']>>): unknown {
  return [...o.matches].map(([n, ms]) => [n, ms.map((m) => [m.rule, m.meta, m.strings.map((s) => [s.id, s.offset, s.length, s.data.toString('hex')])])]);
}

describe('wasm engine: string conditions decided from batch hits', () => {
  it('gives exactly the per-file results for every condition shape', async () => {
    const fast = (await compile('wasm', STRING_RULES)) as WasmRuleSet;
    const slow = (await compile('wasm', STRING_RULES, { stringConditionsInJs: false })) as WasmRuleSet;
    expect(fast.errors).toEqual([]);
    const [a, b] = [await fast.scan(STRING_FILES), await slow.scan(STRING_FILES)];
    expect(a.errors).toEqual([]);
    expect(fullShape(a)).toEqual(fullShape(b));
    expect(fast.calls).toBeLessThan(slow.calls);
    const h = hits(a);
    expect(h['both']).toEqual(['s_all', 's_andor', 's_any', 's_many', 's_wide']);
    expect(h['alpha-only']).toEqual(['s_andnot', 's_any', 's_many', 's_wide']);
    expect(h['bravo-only']).toEqual(['s_any', 's_not', 's_wide']);
    expect(h['empty']).toEqual(['s_not', 's_wide']);
    expect(h['greedy-a']).toEqual(['s_greedy', 's_not', 's_wide']);
    expect(h['anchor']).toContain('s_anchor');
    expect(h['fullword']).toContain('s_fullword');
    expect(['wb-a', 'wb-b', 'wb-c', 'fwide', 'fwide-tail', 'fwide-no'].map((n) => h[n]?.filter((r) => r === 's_wordb' || r === 's_fwide')))
      .toEqual([['s_wordb'], ['s_wordb'], [], ['s_fwide'], ['s_fwide'], []]);
    expect(h['nocase']).toContain('s_nocase');
    expect(h['xor']).toContain('s_xor');
    expect(h['b64']).toContain('s_b64');
    expect(h['nof-2']).toContain('s_nof');
    expect(h['nof-1']).not.toContain('s_nof');
    expect(h['prefix-ok']).toContain('s_prefix');
    expect(h['prefix-no']).not.toContain('s_prefix');
    expect(a.matches.get('many')?.find((m) => m.rule === 's_many')?.strings.filter((s) => s.id === '$m').length).toBe(20);
  });

  it.runIf(yaraxPresent)('agrees with YARA-X on the same table', async () => {
    const [w, y] = await Promise.all([compile('wasm', STRING_RULES), compile('yara-x', STRING_RULES)]);
    const shape = (o: Awaited<ReturnType<CompiledRuleSet['scan']>>): unknown => [...o.matches].map(([n, ms]) => [n, ms.map((m) => `${m.rule}:${m.strings.map((s) => `${s.id}@${s.offset}+${s.length}`).join(',')}`).sort()]);
    expect(shape(await w.scan(STRING_FILES))).toEqual(shape(await y.scan(STRING_FILES)));
  });

  it('gives the per-file results for files scanned directly, one call each', async () => {
    const direct = (await compile('wasm', STRING_RULES, { directBytes: 1 })) as WasmRuleSet;
    const slow = (await compile('wasm', STRING_RULES, { stringConditionsInJs: false })) as WasmRuleSet;
    const files = STRING_FILES.filter((f) => f.data.length > 0);
    const [a, b] = [await direct.scan(files), await slow.scan(files)];
    expect(a.errors).toEqual([]);
    expect(fullShape(a)).toEqual(fullShape(b));
    expect(direct.calls).toBe(files.length);
  });

  it('decides a batch of files in one call when nothing needs a rescan', async () => {
    const rules = STRING_RULES.filter((r) => /\/(any|all|andnot|not|nof|nocase)\.yar$/.test(r.path));
    const files = Array.from({ length: 200 }, (_v, i) => file(`f${i}`, i % 7 === 0 ? 'alpha bravo' : i % 5 === 0 ? 'SECRET one1 two2' : `plain ${i}`));
    const fast = (await compile('wasm', rules)) as WasmRuleSet;
    const slow = (await compile('wasm', rules, { stringConditionsInJs: false })) as WasmRuleSet;
    const [a, b] = [await fast.scan(files), await slow.scan(files)];
    expect(fullShape(a)).toEqual(fullShape(b));
    expect(fast.calls).toBe(1);
    expect(slow.calls).toBeGreaterThan(100);
  });

  it('rescans alone only files whose hits can satisfy the string part of a richer condition', async () => {
    const rules = [src('n/tag.yar', 'rule n_tag { strings: $tag = "<tag>" $doc = "docs" $x = "xx" condition: $tag and not $doc and for any i in (1..#tag): ($x in (@tag[i]..@tag[i] + 20)) }')];
    const files = [file('n1', '<tag> xx'), file('n2', '<tag> docs xx'), file('n3', 'docs xx'), file('n4', 'xx'), file('n5', `<tag>${' '.repeat(30)}xx`)];
    const fast = (await compile('wasm', rules)) as WasmRuleSet;
    const slow = (await compile('wasm', rules, { stringConditionsInJs: false })) as WasmRuleSet;
    const [a, b] = [await fast.scan(files), await slow.scan(files)];
    expect(fullShape(a)).toEqual(fullShape(b));
    expect(hits(a)).toEqual({ n1: ['n_tag'], n2: [], n3: [], n4: [], n5: [] });
    expect(fast.calls).toBe(3); // one batch, then n1 and n5 alone
    expect(slow.calls).toBe(6);
  });

  it('keeps rule references and per-file conditions on the per-file path', async () => {
    const rules = [
      src('r/base.yar', 'rule base_hit { strings: $a = "alpha" condition: $a }'),
      src('r/ref.yar', 'rule uses_base { strings: $b = "bravo" condition: base_hit and $b }'),
      src('r/size.yar', 'rule sized { strings: $a = "alpha" condition: $a and filesize < 8 }'),
    ];
    const fast = await compile('wasm', rules);
    const slow = await compile('wasm', rules, { stringConditionsInJs: false });
    const files = [file('a', 'alpha'), file('ab', 'alpha bravo'), file('b', 'bravo')];
    const [a, b] = [await fast.scan(files), await slow.scan(files)];
    expect(fullShape(a)).toEqual(fullShape(b));
    expect(hits(a)).toEqual({ a: ['base_hit', 'sized'], ab: ['base_hit', 'uses_base'], b: [] });
  });
});

describe('wasm engine: bulk copy into the wasm heap', () => {
  // High bytes (0x80–0xff) are where a signed/unsigned slip would show: every byte value appears.
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_v, i) => i));
  const highRules = [
    src('h/high.yar', 'rule high_bytes { strings: $h = { 80 fe ff 00 7f } condition: $h }'),
    src('h/tail.yar', 'rule tail { condition: uint8(filesize - 1) == 0xff }'),
  ];
  const inputs = [
    file('all.bin', Buffer.concat([allBytes, Buffer.from([0x80, 0xfe, 0xff, 0x00, 0x7f]), allBytes])),
    file('low.bin', Buffer.from('plain ascii only')),
    file('ends-ff.bin', Buffer.from([1, 2, 3, 0xff])),
  ];

  it('is active on the pinned libyara-wasm and gives what the byte loop gives', async () => {
    const fast = (await compile('wasm', highRules)) as WasmRuleSet;
    const slow = (await compile('wasm', highRules, { fastCopy: false })) as WasmRuleSet;
    const [a, b] = [await fast.scan(inputs), await slow.scan(inputs)];
    expect(fast.pool.fastCopyActive).toBe(true);
    expect(slow.pool.fastCopyActive).toBe(false);
    expect(hits(a)).toEqual({ 'all.bin': ['high_bytes', 'tail'], 'low.bin': [], 'ends-ff.bin': ['tail'] });
    expect(hits(a)).toEqual(hits(b));
    expect(a.matches.get('all.bin')?.[0]?.strings[0]?.offset).toBe(256);
  });
});
