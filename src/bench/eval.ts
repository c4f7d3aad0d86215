/**
 * `npm run eval`: scans every fixture in test/fixtures/ (expectations.json says what each must get) and
 * the reference corpus (cached by `npm run bench` in .bench-cache/), and prints a confusion table.
 * Usage: node dist/bench/eval.js [--corpus FILE] [--no-corpus]
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_ANALYZER_LIMITS, DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import type { Report } from '../core/report.js';
import type { Target } from '../core/target.js';
import { runScan } from '../queue/scan-job.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixturesDir = path.join(root, 'test', 'fixtures');

export const ExpectationSchema = z.object({
  fixture: z.string().min(1),
  expect: z.enum(['pass', 'review', 'fail']),
  rules: z.array(z.string()),
  reference: z.string().nullable().optional(),
});
export type Expectation = z.infer<typeof ExpectationSchema>;

export function readExpectations(dir = fixturesDir): Expectation[] {
  return z.array(ExpectationSchema).parse(JSON.parse(readFileSync(path.join(dir, 'expectations.json'), 'utf8')));
}

export async function scanQuietly(target: Target): Promise<Report> {
  return runScan(target, { signal: AbortSignal.timeout(120_000), limits: DEFAULT_WORKSPACE_LIMITS, analyzerLimits: DEFAULT_ANALYZER_LIMITS });
}

interface Row {
  name: string;
  malicious: boolean;
  verdict: string;
  value: number;
  missing: string[];
  threats: string[];
}

function threatRules(report: Report): string[] {
  return [...new Set(report.findings.filter((f) => f.kind === 'threat' && f.severity !== 'info').map((f) => `${f.ruleId}:${f.severity}`))];
}

async function evalFixtures(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const e of readExpectations()) {
    const report = await scanQuietly({ kind: 'dir', spec: path.join(fixturesDir, e.fixture) });
    const found = new Set(report.findings.map((f) => f.ruleId));
    rows.push({
      name: e.fixture,
      malicious: e.expect === 'fail',
      verdict: report.score.verdict,
      value: report.score.value,
      missing: e.rules.filter((r) => !found.has(r)),
      threats: threatRules(report),
    });
  }
  return rows;
}

async function evalCorpus(corpus: string): Promise<Row[]> {
  const rows: Row[] = [];
  const lines = readFileSync(corpus, 'utf8').split('\n').slice(1).map((l) => l.trim().split('\t'));
  for (const [name, version] of lines) {
    if (!name || !version) continue;
    const file = path.join(root, '.bench-cache', `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
    if (!existsSync(file)) {
      process.stdout.write(`  (not cached: ${name}@${version}; run npm run bench first)\n`);
      continue;
    }
    const report = await scanQuietly({ kind: 'tarball', spec: file });
    rows.push({ name: `${name}@${version}`, malicious: false, verdict: report.score.verdict, value: report.score.value, missing: [], threats: threatRules(report) });
  }
  return rows;
}

function printRows(title: string, rows: readonly Row[]): void {
  process.stdout.write(`\n${title}\n`);
  for (const r of rows) {
    const flag = r.malicious ? (r.verdict === 'fail' ? 'caught' : 'MISSED') : r.verdict === 'fail' ? 'FALSE POSITIVE' : r.verdict === 'review' ? 'review' : 'ok';
    const extra = [r.missing.length ? `missing rules: ${r.missing.join(', ')}` : '', r.threats.length ? `threats: ${r.threats.join(', ')}` : ''].filter(Boolean).join('  ');
    process.stdout.write(`  ${r.name.padEnd(44)} ${r.verdict.padEnd(6)} ${String(r.value).padStart(3)}  ${flag.padEnd(14)} ${extra}\n`);
  }
}

function confusion(rows: readonly Row[]): string {
  const count = (malicious: boolean, verdict: string): number => rows.filter((r) => r.malicious === malicious && r.verdict === verdict).length;
  return [
    '                 fail  review  pass',
    `  malicious      ${String(count(true, 'fail')).padStart(4)}  ${String(count(true, 'review')).padStart(6)}  ${String(count(true, 'pass')).padStart(4)}`,
    `  benign         ${String(count(false, 'fail')).padStart(4)}  ${String(count(false, 'review')).padStart(6)}  ${String(count(false, 'pass')).padStart(4)}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const fixtures = await evalFixtures();
  printRows('Fixtures (test/fixtures/expectations.json)', fixtures);
  process.stdout.write(`\n${confusion(fixtures)}\n`);
  const missing = fixtures.filter((r) => r.missing.length > 0).length;
  process.stdout.write(`  reconstructions caught with every expected rule: ${fixtures.filter((r) => r.malicious && r.verdict === 'fail' && r.missing.length === 0).length}/${fixtures.filter((r) => r.malicious).length}; fixtures missing an expected rule: ${missing}\n`);
  if (process.argv.includes('--no-corpus')) return;
  const i = process.argv.indexOf('--corpus');
  const corpus = (i >= 0 ? process.argv[i + 1] : undefined) ?? path.join(root, '..', 'shared', 'corpus', 'benign-visible.tsv');
  const real = await evalCorpus(corpus);
  printRows(`Reference corpus (${path.relative(root, corpus)})`, real);
  const fails = real.filter((r) => r.verdict === 'fail').length;
  const reviews = real.filter((r) => r.verdict === 'review').length;
  process.stdout.write(`\n  real servers: ${real.length}; fail ${fails} (target 0), review ${reviews} (target ≤ 5), pass ${real.length - fails - reviews}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
