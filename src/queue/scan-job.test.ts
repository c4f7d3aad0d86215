import { createHash } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestAnalyzer } from '../analyzers/manifest/index.js';
import type { Analyzer } from '../core/analyzer.js';
import { DEFAULT_ANALYZER_LIMITS, DEFAULT_WORKSPACE_LIMITS } from '../core/limits.js';
import { ReportSchema } from '../core/report.js';
import { buildTgz } from '../fetch/test-helpers/tar-builder.js';
import { writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import { runScan } from './scan-job.js';

const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(57)]);
let work: string;
let tmpDir: string;
let tarball: string;

const crashing: Analyzer = {
  id: 'crashy',
  version: 1,
  description: 'always throws',
  requirements: {},
  rules: [],
  analyze: () => Promise.reject(new Error('parser exploded')),
};

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'assay-job-'));
  tmpDir = path.join(work, 'tmp');
  await (await import('node:fs/promises')).mkdir(tmpDir);
  tarball = path.join(work, 'pkg.tgz');
  await writeFile(
    tarball,
    buildTgz([
      { path: 'package/package.json', body: JSON.stringify({ name: 'job-test', version: '1.0.0' }) },
      { path: 'package/index.js', body: 'module.exports = 1;\n' },
      { path: 'package/build/addon.node', body: ELF },
      { path: 'package/../../escape.txt', body: 'x' },
    ]),
  );
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const options = () => ({ signal: new AbortController().signal, limits: DEFAULT_WORKSPACE_LIMITS, analyzerLimits: DEFAULT_ANALYZER_LIMITS, tmpDir });

describe('runScan', () => {
  it('reports a crashed analyzer as failed and never lets the verdict look clean', async () => {
    const report = await runScan({ kind: 'tarball', spec: tarball }, { ...options(), analyzers: [manifestAnalyzer, crashing] });
    expect(ReportSchema.parse(report)).toEqual(report);
    expect(report.analyzers.find((a) => a.id === 'crashy')).toMatchObject({ status: 'failed', reason: 'crashed: parser exploded' });
    expect(report.score.complete).toBe(false);
    expect(report.score.verdict).not.toBe('pass');
    expect(report.score.breakdown[0]?.reason).toContain('crashy failed: crashed: parser exploded');
  });

  it('carries workspace findings into the report and score, and removes the workspace afterwards', async () => {
    const report = await runScan({ kind: 'tarball', spec: tarball }, options());
    expect(report.findings.map((f) => f.ruleId)).toContain('workspace/path-traversal-entry');
    expect(report.score.verdict).toBe('fail');
    expect(report.target).toMatchObject({ name: 'job-test', version: '1.0.0' });
    expect(report.files.binaries).toEqual([{ path: 'build/addon.node', size: ELF.length, type: 'elf', sha256: createHash('sha256').update(ELF).digest('hex') }]);
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('removes the workspace when the caller aborts', async () => {
    const controller = new AbortController();
    const slow: Analyzer = { ...crashing, id: 'slow', analyze: () => new Promise(() => controller.abort()) };
    await expect(runScan({ kind: 'tarball', spec: tarball }, { ...options(), signal: controller.signal, analyzers: [slow] })).rejects.toThrow();
    expect(await readdir(tmpDir)).toEqual([]);
  });
});
