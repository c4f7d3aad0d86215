/**
 * The signature stage of `npm run bench`: every rule under signatures/ over every file of every cached corpus
 * tarball, on the wasm engine, YARA-X (where installed) and the native `yara` command, side by side.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

    const compileStart = performance.now();
    const wasm = (await new WasmEngine().compile(rules)) as WasmRuleSet;
    const compileMs = performance.now() - compileStart;
    try {
      const r = await timeEngine(wasm, files);
      line('wasm', r.ms, bytes, `${r.matched} matches, ${r.errors} file errors, ${wasm.calls} wasm calls, compile ${compileMs.toFixed(0)} ms, ${wasm.errors.length} bad rules, peak RSS ${rssMiB().toFixed(0)} MiB`);
    } finally {
      await wasm.close();
    }

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
