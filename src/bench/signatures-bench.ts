/**
 * The signature stage of `npm run bench`: every rule under signatures/ over every file of every cached corpus
 * tarball, on the wasm engine, YARA-X (where installed) and the native `yara` command, side by side.
 * Each engine runs in a child process (`node dist/bench/signatures-bench.js --engine wasm|yara-x --root R --tree T`)
 * that reads the corpus from disk a batch at a time, so its peak RSS is the engine's cost, not the corpus's.
 * Files over the analyzer's scan cap (MAX_SCAN_BYTES) are left out for every engine, native yara included:
 * the analyzer reports them as not scanned, so they are not part of the signature stage's work.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { extract } from 'tar';
import { MAX_SCAN_BYTES } from '../analyzers/signatures/index.js';
import { WasmEngine, WasmRuleSet } from '../analyzers/signatures/engine/wasm.js';
import { YaraXEngine } from '../analyzers/signatures/engine/yarax.js';
import type { CompiledRuleSet, EngineName, RuleSource, ScanInput } from '../analyzers/signatures/engine/types.js';

const run = promisify(execFile);
const YARA_CLI = '/usr/bin/yara';
const GNU_TIME = '/usr/bin/time';

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
    const skipped = removeOverCap(tree);
    const paths = allFiles(tree);
    const bytes = paths.reduce((n, p) => n + statSync(p).size, 0);
    process.stdout.write(`  corpus   ${paths.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
    process.stdout.write(skipped.length === 0 ? '\n' : `; left out over the ${(MAX_SCAN_BYTES / 1024 / 1024).toFixed(0)} MiB scan cap, as the analyzer does: ${skipped.map((s) => `${s.name} (${(s.size / 1024 / 1024).toFixed(1)} MiB)`).join(', ')}\n`);

    const ruleFile = path.join(dir, 'all.yar');
    writeFileSync(ruleFile, rules.map((r) => r.text).join('\n'));
    const haveYaraX = await new YaraXEngine().available();
    const haveNative = existsSync(YARA_CLI) && statSync(YARA_CLI).isFile();
    if (!haveYaraX) process.stdout.write('  yara-x   skipped: @litko/yara-x is not installed on this platform\n');
    if (!haveNative) process.stdout.write(`  yara     skipped: ${YARA_CLI} not found (apt-get install yara)\n`);
    // Rounds interleave the engines, so a busy spell on the machine hits all three alike; medians are compared.
    const times: Record<string, number[]> = { wasm: [], 'yara-x': [], yara: [] };
    const rounds = roundsFlag();
    for (let round = 1; round <= rounds; round++) {
      process.stdout.write(`  round ${round}/${rounds}\n`);
      times.wasm?.push(await engineStage('wasm', root, tree));
      if (haveYaraX) times['yara-x']?.push(await engineStage('yara-x', root, tree));
      if (haveNative) times.yara?.push(await nativeStage(ruleFile, tree, bytes));
    }
    const native = median(times.yara ?? []);
    process.stdout.write(`  medians over ${rounds} round(s):\n`);
    for (const [engine, list] of Object.entries(times)) {
      const ms = median(list);
      if (ms === undefined) continue;
      line(engine, ms, bytes, native === undefined || engine === 'yara' ? '' : `${(native / ms).toFixed(2)}x native yara's throughput`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bytes of corpus a child holds at once: the analyzer hands the engine the same amount per call. */
const STAGE_BATCH_BYTES = 32 * 1024 * 1024;

function removeOverCap(tree: string): { name: string; size: number }[] {
  const out: { name: string; size: number }[] = [];
  for (const p of allFiles(tree)) {
    const size = statSync(p).size;
    if (size <= MAX_SCAN_BYTES) continue;
    out.push({ name: path.relative(tree, p), size });
    rmSync(p);
  }
  return out;
}

async function engineStage(engine: EngineName, root: string, tree: string): Promise<number> {
  const child = await run(process.execPath, [fileURLToPath(import.meta.url), '--engine', engine, '--root', root, '--tree', tree], { maxBuffer: 1024 * 1024 });
  const w = wasmStageSchema(JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}'));
  const calls = engine === 'wasm' ? `${w.calls} wasm calls, ` : '';
  line(engine, w.ms, w.bytes, `${w.matched} matches, ${w.errors} file errors, ${calls}compile ${w.compileMs.toFixed(0)} ms, ${w.badRules} bad rules, peak RSS ${w.maxRssMiB.toFixed(0)} MiB (child process, corpus read ${(STAGE_BATCH_BYTES / 1024 / 1024).toFixed(0)} MiB at a time)`);
  return w.ms;
}

/** Native `yara` over the same tree and rules, its wall time including its own start and compile (about 20 ms). */
async function nativeStage(ruleFile: string, tree: string, bytes: number): Promise<number> {
  const args = ['-r', '-p', String(Math.min(2, os.availableParallelism())), ruleFile, tree];
  // GNU time reports the native process's peak RSS; without it only throughput is shown.
  const timed = existsSync(GNU_TIME);
  const started = performance.now();
  const res = await run(timed ? GNU_TIME : YARA_CLI, timed ? ['-f', 'assay-maxrss-kb=%M', YARA_CLI, ...args] : args, { maxBuffer: 64 * 1024 * 1024 }).catch((e: { stdout?: string; stderr?: string; message: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? e.message }));
  const ms = performance.now() - started;
  const hitsCount = res.stdout.split('\n').filter((l) => l.trim() !== '').length;
  const kb = /assay-maxrss-kb=(\d+)/.exec(res.stderr)?.[1];
  line('yara', ms, bytes, `${hitsCount} rule hits (native CLI, separate process, ${args[2]} threads${kb === undefined ? '' : `, peak RSS ${(Number(kb) / 1024).toFixed(0)} MiB`})`);
  return ms;
}

function median(list: readonly number[]): number | undefined {
  if (list.length === 0) return undefined;
  const sorted = [...list].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function roundsFlag(): number {
  const v = Number(argValue('--rounds') ?? '5');
  return Number.isSafeInteger(v) && v > 0 && v <= 50 ? v : 5;
}

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

/** Child entry: scans `tree` with one engine, reading files batch by batch; time counts scanning only. */
async function engineChild(engine: EngineName, root: string, tree: string): Promise<WasmStage> {
  const rules = loadRules(path.join(root, 'signatures'));
  const compileStart = performance.now();
  const set: CompiledRuleSet = engine === 'wasm' ? await new WasmEngine().compile(rules) : await new YaraXEngine().compile(rules);
  const compileMs = performance.now() - compileStart;
  const stage: WasmStage = { ms: 0, bytes: 0, matched: 0, errors: 0, calls: 0, compileMs, badRules: set.errors.length, maxRssMiB: 0 };
  try {
    const paths = allFiles(tree);
    for (let i = 0; i < paths.length;) {
      const batch: ScanInput[] = [];
      let size = 0;
      for (; i < paths.length && (batch.length === 0 || size < STAGE_BATCH_BYTES); i++) {
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
    stage.calls = set instanceof WasmRuleSet ? set.calls : 0;
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

const childEngine = argValue('--engine');
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]) && childEngine !== undefined) {
  const root = argValue('--root');
  const tree = argValue('--tree');
  if (root === undefined || tree === undefined || (childEngine !== 'wasm' && childEngine !== 'yara-x')) {
    process.stderr.write('usage: signatures-bench.js --engine wasm|yara-x --root DIR --tree DIR\n');
    process.exitCode = 2;
  } else {
    process.stdout.write(`${JSON.stringify(await engineChild(childEngine, root, tree))}\n`);
  }
}
