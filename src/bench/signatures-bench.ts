/**
 * The signature stage of `npm run bench`: every rule under signatures/ over every file of every cached corpus
 * tarball, on the wasm engine, YARA-X (where installed) and the native `yara` command, side by side.
 * The wasm stage runs in a child process (`node dist/bench/signatures-bench.js --engine wasm --root R --tree T`)
 * that reads the corpus from disk a batch at a time, so its peak RSS is the engine's cost, not the corpus's.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { extract } from 'tar';
import { WasmEngine, type WasmRuleSet } from '../analyzers/signatures/engine/wasm.js';
import { YaraXEngine } from '../analyzers/signatures/engine/yarax.js';
import type { CompiledRuleSet, RuleSource, ScanInput } from '../analyzers/signatures/engine/types.js';

const run = promisify(execFile);
const YARA_CLI = '/usr/bin/yara';

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'samples') walk(p, out); } else if (e.isFile()) out.push(p);
  }
  return out;
}

function allFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) allFiles(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

function loadRules(signaturesDir: string): RuleSource[] {
  if (!existsSync(signaturesDir)) return [];
  return walk(signaturesDir).filter((f) => f.endsWith('.yar')).sort().map((f) => ({ path: path.relative(signaturesDir, f), text: readFileSync(f, 'utf8') }));
}

function rssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function line(label: string, ms: number, bytes: number, extra: string): void {
  const mbps = bytes / 1024 / 1024 / (ms / 1000);
  process.stdout.write(`  ${label.padEnd(8)} ${ms.toFixed(0).padStart(7)} ms  ${mbps.toFixed(1).padStart(7)} MB/s  ${extra}\n`);
}

async function timeEngine(set: CompiledRuleSet, files: ScanInput[]): Promise<{ ms: number; matched: number; errors: number }> {
  const started = performance.now();
  const out = await set.scan(files);
  const ms = performance.now() - started;
  let matched = 0;
  for (const m of out.matches.values()) matched += m.length;
  return { ms, matched, errors: out.errors.length };
}

export async function benchSignatures(root: string, cacheDir: string): Promise<void> {
  const rules = loadRules(path.join(root, 'signatures'));
  const tarballs = existsSync(cacheDir) ? readdirSync(cacheDir).filter((f) => f.endsWith('.tgz')) : [];
  process.stdout.write(`\nsignatures: ${rules.length} rule files over ${tarballs.length} cached tarballs\n`);
  if (rules.length === 0 || tarballs.length === 0) { process.stdout.write('  nothing to measure\n'); return; }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-sigbench-'));
  try {
    const tree = path.join(dir, 'tree');
    for (const t of tarballs) {
      const dest = path.join(tree, t);
      mkdirSync(dest, { recursive: true });
      // Regular files and directories only: the corpus is still third-party input.
      await extract({ file: path.join(cacheDir, t), cwd: dest, filter: (_p, e) => 'type' in e && (e.type === 'File' || e.type === 'Directory') });
    }
    const paths = allFiles(tree);
    const files: ScanInput[] = paths.map((p) => ({ name: path.relative(tree, p), data: readFileSync(p) }));
    const bytes = files.reduce((n, f) => n + f.data.length, 0);
    process.stdout.write(`  corpus   ${files.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB; rss before ${rssMiB().toFixed(0)} MiB\n`);

    const child = await run(process.execPath, [fileURLToPath(import.meta.url), '--engine', 'wasm', '--root', root, '--tree', tree], { maxBuffer: 1024 * 1024 });
    const w = wasmStageSchema(JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}'));
    line('wasm', w.ms, w.bytes, `${w.matched} matches, ${w.errors} file errors, ${w.calls} wasm calls, compile ${w.compileMs.toFixed(0)} ms, ${w.badRules} bad rules, peak RSS ${w.maxRssMiB.toFixed(0)} MiB (child process, corpus read ${(WASM_STAGE_BATCH_BYTES / 1024 / 1024).toFixed(0)} MiB at a time)`);

    const yx = new YaraXEngine();
    if (await yx.available()) {
      const set = await yx.compile(rules);
      const r = await timeEngine(set, files);
      line('yara-x', r.ms, bytes, `${r.matched} matches, ${r.errors} file errors, peak RSS ${rssMiB().toFixed(0)} MiB`);
      await set.close();
    } else {
      process.stdout.write('  yara-x   skipped: @litko/yara-x is not installed on this platform\n');
    }

    if (existsSync(YARA_CLI) && statSync(YARA_CLI).isFile()) {
      const ruleFile = path.join(dir, 'all.yar');
      writeFileSync(ruleFile, rules.map((r) => r.text).join('\n'));
      const started = performance.now();
      const res = await run(YARA_CLI, ['-r', '-p', String(Math.min(2, os.availableParallelism())), ruleFile, tree], { maxBuffer: 64 * 1024 * 1024 }).catch((e: { stdout?: string; message: string }) => ({ stdout: e.stdout ?? '', stderr: e.message }));
      const ms = performance.now() - started;
      const hitsCount = res.stdout.split('\n').filter((l) => l.trim() !== '').length;
      line('yara', ms, bytes, `${hitsCount} rule hits (native CLI, separate process)`);
    } else {
      process.stdout.write(`  yara     skipped: ${YARA_CLI} not found (apt-get install yara)\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bytes of corpus the wasm child holds at once (the analyzer scans one package at a time, similarly). */
const WASM_STAGE_BATCH_BYTES = 32 * 1024 * 1024;

interface WasmStage { ms: number; bytes: number; matched: number; errors: number; calls: number; compileMs: number; badRules: number; maxRssMiB: number }

/** The child's one-line JSON report; our own output, still checked field by field. */
function wasmStageSchema(v: unknown): WasmStage {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const num = (k: keyof WasmStage): number => {
    const x = o[k];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`wasm bench child: missing ${k}`);
    return x;
  };
  return { ms: num('ms'), bytes: num('bytes'), matched: num('matched'), errors: num('errors'), calls: num('calls'), compileMs: num('compileMs'), badRules: num('badRules'), maxRssMiB: num('maxRssMiB') };
}

/** Child entry: scans `tree` with the wasm engine, reading files batch by batch; time counts scanning only. */
async function wasmStage(root: string, tree: string): Promise<WasmStage> {
  const rules = loadRules(path.join(root, 'signatures'));
  const compileStart = performance.now();
  const set = (await new WasmEngine().compile(rules)) as WasmRuleSet;
  const compileMs = performance.now() - compileStart;
  const stage: WasmStage = { ms: 0, bytes: 0, matched: 0, errors: 0, calls: 0, compileMs, badRules: set.errors.length, maxRssMiB: 0 };
  try {
    const paths = allFiles(tree);
    for (let i = 0; i < paths.length;) {
      const batch: ScanInput[] = [];
      let size = 0;
      for (; i < paths.length && (batch.length === 0 || size < WASM_STAGE_BATCH_BYTES); i++) {
        const p = paths[i] ?? '';
        const data = readFileSync(p);
        batch.push({ name: path.relative(tree, p), data });
        size += data.length;
      }
      const r = await timeEngine(set, batch);
      stage.ms += r.ms;
      stage.bytes += size;
      stage.matched += r.matched;
      stage.errors += r.errors;
    }
    stage.calls = set.calls;
  } finally {
    await set.close();
  }
  stage.maxRssMiB = rssMiB();
  return stage;
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]) && argValue('--engine') === 'wasm') {
  const root = argValue('--root');
  const tree = argValue('--tree');
  if (root === undefined || tree === undefined) {
    process.stderr.write('usage: signatures-bench.js --engine wasm --root DIR --tree DIR\n');
    process.exitCode = 2;
  } else {
    process.stdout.write(`${JSON.stringify(await wasmStage(root, tree))}\n`);
  }
}
