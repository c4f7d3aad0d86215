import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Parser } from 'tar';
import { SANDBOX_PATHS, imageTar, parseLdd, planImage } from './image.js';
import type { ImagePlan } from './image.js';

describe('parseLdd', () => {
  it('keeps resolved libraries and the loader, drops vdso and unresolved names', () => {
    const out = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f03)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f04)',
      '\tlibmissing.so.1 => not found',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f05)',
    ].join('\n');
    expect(parseLdd(out)).toEqual(['/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib64/ld-linux-x86-64.so.2']);
  });
});

interface TarEntry { path: string; mode: number; uid: number; type: string; size: number; body: string }

async function listTar(plan: ImagePlan): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  const parser = new Parser();
  parser.on('entry', (entry) => {
    const chunks: Buffer[] = [];
    const small = entry.size < 4096;
    entry.on('data', (c: Buffer) => { if (small) chunks.push(c); });
    entry.on('end', () => {
      entries.set(entry.path, { path: entry.path, mode: entry.mode ?? 0, uid: entry.uid ?? -1, type: entry.type, size: entry.size, body: Buffer.concat(chunks).toString('utf8') });
    });
  });
  const done = new Promise<void>((resolve, reject) => { parser.on('end', () => resolve()); parser.on('error', reject); });
  imageTar(plan).pipe(parser);
  await done;
  return entries;
}

describe('planImage / imageTar', () => {
  let harness: string;
  let plan: ImagePlan;
  let entries: Map<string, TarEntry>;

  beforeAll(async () => {
    harness = await mkdtemp(path.join(os.tmpdir(), 'sbx-harness-'));
    await mkdir(path.join(harness, 'lib'));
    await writeFile(path.join(harness, 'main.js'), 'console.log(1)\n');
    await writeFile(path.join(harness, 'lib', 'dns.js'), '// dns\n');
    plan = await planImage({ harnessDir: harness });
    entries = await listTar(plan);
  });

  afterAll(async () => {
    await rm(harness, { recursive: true, force: true });
  });

  it('names the image by a hash of its inputs, stable across plans', async () => {
    expect(plan.tag).toBe(`mcp-assay-sandbox:${plan.hash}`);
    expect((await planImage({ harnessDir: harness })).hash).toBe(plan.hash);
  });

  it('changes the hash when a harness file changes', async () => {
    await writeFile(path.join(harness, 'main.js'), 'console.log(2)\n');
    expect((await planImage({ harnessDir: harness })).hash).not.toBe(plan.hash);
    await writeFile(path.join(harness, 'main.js'), 'console.log(1)\n');
  });

  it.each([
    ['tmp', 'tmp/', 0o1777, 0],
    ['out', 'out/', 0o1777, 0],
    ['home', 'home/sandbox/', 0o700, 10001],
    ['pkg', 'pkg/', 0o755, 0],
  ])('creates the %s mount point with the mode its tmpfs or bind needs', (_label, p, mode, uid) => {
    const e = entries.get(p);
    expect(e?.type).toBe('Directory');
    expect((e?.mode ?? 0) & 0o7777).toBe(mode);
    expect(e?.uid).toBe(uid);
  });

  it('carries node, strace, the loader and a minimal /etc', () => {
    expect(entries.get(SANDBOX_PATHS.node.slice(1))?.size).toBeGreaterThan(1024 * 1024);
    expect(entries.get(SANDBOX_PATHS.strace.slice(1))?.mode).toBe(0o755);
    expect([...entries.keys()].some((p) => /ld-linux/.test(p))).toBe(true);
    expect(entries.get('etc/passwd')?.body).toMatch(/^sandbox:x:10001:10001:/m);
    expect(entries.get('etc/resolv.conf')?.body).toMatch(/^nameserver 127\.0\.0\.1$/m);
    expect(entries.get('etc/hosts')?.body).toMatch(/^127\.0\.0\.1\tlocalhost$/m);
  });

  it('copies the harness folder to /harness', () => {
    expect(entries.get('harness/main.js')?.body).toBe('console.log(1)\n');
    expect(entries.get('harness/lib/dns.js')?.body).toBe('// dns\n');
  });

  it('writes only files and directories owned by root or the sandbox user', () => {
    for (const e of entries.values()) {
      expect(['File', 'Directory']).toContain(e.type);
      expect([0, 10001]).toContain(e.uid);
      expect(e.path.startsWith('/') || e.path.split('/').includes('..')).toBe(false);
    }
  });
});
