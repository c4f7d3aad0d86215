import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AssayError } from '../core/errors.js';
import { DEFAULT_WORKSPACE_LIMITS, type WorkspaceLimits } from '../core/limits.js';
import type { Target } from '../core/target.js';
import type { Workspace } from '../core/workspace.js';
import { checkEntryPath, detectArchiveFormat } from './extract.js';
import { buildTar, buildTgz, encodeEntry, type TarEntry, tarHeader, TYPE } from './test-helpers/tar-builder.js';
import { rootOf } from './test-helpers/expect.js';
import { type MadeWorkspace, workspaceFromArchive } from './workspace.js';

const TARGET: Target = { kind: 'tarball', spec: 'fixture.tgz' };
const MANIFEST: TarEntry = { path: 'package/package.json', body: '{"name":"fixture","version":"1.0.0"}' };

let sandbox: string;
/** Fresh per test: the workspace's parent (ctx.tmpDir) and a directory hostile entries aim at. */
let tmpDir: string;
let outside: string;
let made: MadeWorkspace | undefined;

beforeAll(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 'assay-extract-'));
});

afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

let counter = 0;
beforeEach(async () => {
  counter += 1;
  tmpDir = path.join(sandbox, `tmp-${counter}`);
  outside = path.join(sandbox, `outside-${counter}`);
  await mkdir(tmpDir);
  await mkdir(outside);
  return async () => {
    await made?.dispose();
    made = undefined;
    // Whatever happened, nothing was ever written where hostile entries pointed, and nothing is left behind.
    expect(await readdir(outside)).toEqual([]);
    expect(await readdir(tmpDir)).toEqual([]);
  };
});

function ctx(limits: Partial<WorkspaceLimits> = {}, signal: AbortSignal = new AbortController().signal) {
  return { limits: { ...DEFAULT_WORKSPACE_LIMITS, ...limits }, signal, tmpDir };
}

async function extract(archive: Buffer | TarEntry[], limits: Partial<WorkspaceLimits> = {}): Promise<Workspace> {
  const bytes = Buffer.isBuffer(archive) ? archive : buildTgz(archive);
  made = await workspaceFromArchive(bytes, TARGET, {}, ctx(limits));
  return made.workspace;
}

async function failure(archive: Buffer | TarEntry[], limits: Partial<WorkspaceLimits> = {}): Promise<AssayError> {
  const bytes = Buffer.isBuffer(archive) ? archive : buildTgz(archive);
  try {
    made = await workspaceFromArchive(bytes, TARGET, {}, ctx(limits));
  } catch (error) {
    expect(error).toBeInstanceOf(AssayError);
    return error as AssayError;
  }
  throw new Error('expected extraction to fail');
}

function paths(ws: Workspace): string[] {
  return ws.files.map((file) => file.path);
}

function findingsOf(ws: Workspace, ruleId: string) {
  return ws.findings.filter((finding) => finding.ruleId === ruleId);
}

/** From the private dir (tmpDir/mcp-assay-ws-*), `../../outside-N` is the sentinel directory. */
function escapeTo(name: string): string {
  return `../../${path.basename(outside)}/${name}`;
}

describe('hostile paths', () => {
  const cases: [string, () => string][] = [
    ['../ at the start', () => escapeTo('evil')],
    ['../ after the package folder', () => `package/../${escapeTo('evil')}`],
    ['absolute path into the sentinel dir', () => path.join(outside, 'abs')],
    ['windows drive path', () => 'C:\\Windows\\evil'],
    ['windows drive with slashes', () => 'C:/evil'],
    ['UNC path', () => '\\\\server\\share\\evil'],
    ['backslash traversal', () => 'package\\..\\..\\evil'],
    ['dot segments around ..', () => 'package/./sub/../../../evil'],
  ];

  it.each(cases)('refuses %s with a threat finding', async (_label, entryPath) => {
    const raw = entryPath();
    const ws = await extract([MANIFEST, { path: raw, body: 'pwned' }, { path: 'package/index.js', body: 'ok' }]);
    expect(paths(ws)).toEqual(['index.js', 'package.json']);
    const [finding] = findingsOf(ws, 'workspace/path-traversal-entry');
    expect(finding).toMatchObject({ kind: 'threat', severity: 'high', analyzer: 'workspace', evidence: raw });
    expect(finding?.location?.file).toBe(raw);
    expect(existsSync(path.resolve(rootOf(ws), raw))).toBe(false);
    expect(ws.incomplete).toBe(false);
  });

  it('refuses traversal through a directory entry too', async () => {
    const ws = await extract([MANIFEST, { path: `${escapeTo('dir')}/`, type: TYPE.directory }]);
    expect(findingsOf(ws, 'workspace/path-traversal-entry')).toHaveLength(1);
  });

  it('refuses a name the file system cannot hold under the temp dir, and goes on', async () => {
    // Under 4096 bytes as a name, over PATH_MAX once joined to the workspace directory.
    const dirs = `package/${Array.from({ length: 16 }, (_, i) => `${i}`.padEnd(250, 'd')).join('/')}/`;
    const deep = `${dirs}${'x'.repeat(4090 - dirs.length)}`;
    expect(Buffer.byteLength(deep)).toBe(4090);
    const ws = await extract([MANIFEST, { path: deep, body: 'x' }, { path: 'package/after.js', body: 'a' }]);
    expect(paths(ws)).toEqual(['after.js', 'package.json']);
    expect(findingsOf(ws, 'workspace/invalid-entry-name')).toHaveLength(1);
  });

  it.each([
    ['a component over 255 bytes', `package/${'a'.repeat(256)}.js`],
    ['a name over 4096 bytes', `package/${'abcdefgh/'.repeat(500)}x.js`],
  ])('skips %s with a finding', async (_label, raw) => {
    const ws = await extract([MANIFEST, { path: raw, body: 'x' }]);
    expect(paths(ws)).toEqual(['package.json']);
    expect(findingsOf(ws, 'workspace/invalid-entry-name')).toHaveLength(1);
  });
});

describe('checkEntryPath', () => {
  it.each([
    ['package/index.js', ['package', 'index.js']],
    ['./package//lib/./a.js', ['package', 'lib', 'a.js']],
    ['package/', ['package']],
    ['./', []],
    ['package/..hidden/...', ['package', '..hidden', '...']],
  ])('accepts %j', (raw, parts) => {
    expect(checkEntryPath(raw)).toEqual({ ok: true, parts });
  });

  it.each([
    ['package/a\0/../../x', 'traversal'],
    ['/etc/passwd', 'traversal'],
    ['//server/share', 'traversal'],
    ['C:\\x', 'traversal'],
    ['c:x', 'traversal'],
    ['\\\\server\\share', 'traversal'],
    ['a\\b', 'traversal'],
    ['..', 'traversal'],
    ['a/../b', 'traversal'],
    ['x'.repeat(4097), 'invalid'],
    [`a/${'é'.repeat(128)}`, 'invalid'],
  ])('refuses %# as %s', (raw, rule) => {
    expect(checkEntryPath(raw)).toMatchObject({ ok: false, rule });
  });
});

describe('links, devices and unknown entries', () => {
  it('refuses symbolic and hard links without creating them', async () => {
    const ws = await extract([
      MANIFEST,
      { path: 'package/etc', type: TYPE.symlink, linkpath: outside },
      { path: 'package/up', type: TYPE.symlink, linkpath: '../../..' },
      { path: 'package/passwd', type: TYPE.hardLink, linkpath: path.join(outside, 'passwd') },
      { path: 'package/copy', type: TYPE.hardLink, linkpath: 'package/package.json' },
    ]);
    expect(paths(ws)).toEqual(['package.json']);
    const links = findingsOf(ws, 'workspace/link-entry');
    expect(links.map((f) => f.evidence)).toEqual([
      `package/etc -> ${outside}`,
      'package/up -> ../../..',
      `package/passwd => ${path.join(outside, 'passwd')}`,
      'package/copy => package/package.json',
    ]);
    expect(links.every((f) => f.kind === 'capability' && f.severity === 'low')).toBe(true);
    for (const name of ['etc', 'up', 'passwd', 'copy']) expect(existsSync(path.join(rootOf(ws), name))).toBe(false);
  });

  it('writes a file "through" a refused link inside the workspace, never outside', async () => {
    const ws = await extract([
      MANIFEST,
      { path: 'package/x', type: TYPE.symlink, linkpath: outside },
      { path: 'package/x/f', body: 'through the link' },
      { path: 'package/y', type: TYPE.symlink, linkpath: '../../../..' },
      { path: 'package/y/g', body: 'also' },
    ]);
    expect(paths(ws)).toEqual(['package.json', 'x/f', 'y/g']);
    const x = await lstat(path.join(rootOf(ws), 'x'));
    expect(x.isDirectory() && !x.isSymbolicLink()).toBe(true);
    expect(await readFile(path.join(rootOf(ws), 'x', 'f'), 'utf8')).toBe('through the link');
    expect(findingsOf(ws, 'workspace/link-entry')).toHaveLength(2);
  });

  it.each([
    ['character device', TYPE.charDevice],
    ['block device', TYPE.blockDevice],
    ['FIFO', TYPE.fifo],
  ])('refuses a %s', async (_label, type) => {
    const ws = await extract([MANIFEST, { path: 'package/dev', type }]);
    expect(paths(ws)).toEqual(['package.json']);
    expect(findingsOf(ws, 'workspace/special-entry')).toMatchObject([{ kind: 'threat', severity: 'medium' }]);
    expect(existsSync(path.join(rootOf(ws), 'dev'))).toBe(false);
  });

  it.each([
    ['an unknown type flag', 'Z'],
    ['a sparse file', TYPE.sparse],
  ])('refuses %s and keeps reading the archive', async (_label, type) => {
    const ws = await extract([MANIFEST, { path: 'package/odd', type, body: 'data' }, { path: 'package/after.js', body: 'ok' }]);
    expect(paths(ws)).toEqual(['after.js', 'package.json']);
    expect(findingsOf(ws, 'workspace/special-entry')).toHaveLength(1);
  });

  it('reports 100 links as 20 findings and one summary', async () => {
    const links: TarEntry[] = Array.from({ length: 100 }, (_, i) => ({ path: `package/l${i}`, type: TYPE.symlink, linkpath: '/etc/passwd' }));
    const ws = await extract([MANIFEST, ...links]);
    const found = findingsOf(ws, 'workspace/link-entry');
    expect(found).toHaveLength(21);
    expect(found.at(-1)?.message).toMatch(/^80 more/);
  });
});

describe('layout', () => {
  it('strips the one top-level folder whatever its name', async () => {
    const ws = await extract([
      { path: 'repo-1a2b3c/', type: TYPE.directory },
      { path: 'repo-1a2b3c/package.json', body: '{"name":"gh"}' },
      { path: 'repo-1a2b3c/src/index.ts', body: 'export {}' },
    ]);
    expect(paths(ws)).toEqual(['package.json', 'src/index.ts']);
    expect(path.basename(rootOf(ws))).toBe('repo-1a2b3c');
    expect(ws.name).toBe('gh');
    expect(ws.findings).toEqual([]);
  });

  it('keeps paths as they are without a shared folder, with an info finding', async () => {
    const ws = await extract([
      { path: 'package.json', body: '{"name":"flat","version":"0.1.0"}' },
      { path: 'lib/a.js', body: 'a' },
      { path: './index.js', body: 'i' },
    ]);
    expect(paths(ws)).toEqual(['index.js', 'lib/a.js', 'package.json']);
    expect(ws).toMatchObject({ name: 'flat', version: '0.1.0' });
    expect(findingsOf(ws, 'workspace/nonstandard-layout')).toMatchObject([{ severity: 'info', kind: 'capability' }]);
  });

  it('does not strip a folder that is the only file', async () => {
    const ws = await extract([{ path: 'README', body: 'r' }]);
    expect(paths(ws)).toEqual(['README']);
  });
});

describe('duplicates', () => {
  it('keeps the last copy of a duplicated file, with a finding', async () => {
    const ws = await extract([
      MANIFEST,
      { path: 'package/index.js', body: 'console.log("reviewed")' },
      { path: 'package/index.js', body: 'require("child_process").exec("curl evil")' },
    ]);
    expect(paths(ws)).toEqual(['index.js', 'package.json']);
    expect(await readFile(path.join(rootOf(ws), 'index.js'), 'utf8')).toContain('curl evil');
    expect(ws.files.find((f) => f.path === 'index.js')?.size).toBe(42);
    expect(findingsOf(ws, 'workspace/duplicate-entry')).toMatchObject([{ kind: 'threat', location: { file: 'index.js' } }]);
  });

  it('refuses a file where a directory was and the other way round', async () => {
    const ws = await extract([
      MANIFEST,
      { path: 'package/lib/a.js', body: 'a' },
      { path: 'package/lib', body: 'file over a dir' },
      { path: 'package/x', body: 'file' },
      { path: 'package/x/y.js', body: 'under a file' },
    ]);
    expect(paths(ws)).toEqual(['lib/a.js', 'package.json', 'x']);
    expect(findingsOf(ws, 'workspace/duplicate-entry')).toHaveLength(2);
  });
});

describe('corrupt input', () => {
  const good = (): Buffer => buildTgz([MANIFEST, { path: 'package/big.js', body: 'x'.repeat(100_000) }]);

  it.each([
    ['a truncated gzip', () => good().subarray(0, Math.floor(good().length / 2))],
    ['a gzip without its trailer', () => good().subarray(0, good().length - 4)],
    ['a truncated plain tar', () => buildTar([MANIFEST, { path: 'package/big.js', body: 'x'.repeat(100_000) }]).subarray(0, 60_000)],
    ['a header with a bad checksum', () => {
      const tar = buildTar([MANIFEST, { path: 'package/a.js', body: 'a' }]);
      tar.writeUInt8(tar.readUInt8(1034) ^ 0xff, 1034);
      return gzipSync(tar);
    }],
    ['a body shorter than its header says', () => gzipSync(Buffer.concat([tarHeader({ path: 'package/a.js', type: '0', size: 4096 }), Buffer.alloc(512, 0x61)]))],
    ['gzip of something that is not tar', () => gzipSync(Buffer.from('just some text, not an archive'))],
    ['gzip inside gzip', () => gzipSync(good())],
  ])('%s → invalidInput, no temp dir left', async (_label, archive) => {
    const error = await failure(archive());
    expect(error.category).toBe('invalidInput');
    expect(error.message).toMatch(/^archive is truncated or corrupt: /);
  });

  it('rejects bytes that are neither gzip nor tar', async () => {
    const error = await failure(Buffer.from('<html>not found</html>'.repeat(40)));
    expect(error.message).toBe('archive is truncated or corrupt: not a gzip or tar archive');
  });
});

describe('caps', () => {
  it('refuses an archive over maxArchiveBytes before unpacking anything', async () => {
    const archive = buildTgz([MANIFEST, { path: 'package/a.bin', body: Buffer.alloc(4096, 1) }], { level: 0 });
    const error = await failure(archive, { maxArchiveBytes: 1024 });
    expect(error.category).toBe('invalidInput');
    expect(error.message).toMatch(/over the archive-size cap of 1\.0 KiB \(1024 bytes\); change it with --max-archive-size$/);
  });

  it('stops at maxFiles with a finding naming the cap and flag', async () => {
    const entries: TarEntry[] = Array.from({ length: 10 }, (_, i) => ({ path: `package/f${i}.js`, body: `${i}` }));
    const ws = await extract([MANIFEST, ...entries], { maxFiles: 4 });
    expect(ws.files).toHaveLength(4);
    expect(ws.incomplete).toBe(true);
    const [finding] = findingsOf(ws, 'workspace/file-count-limit');
    expect(finding?.message).toContain('file-count cap of 4');
    expect(finding?.message).toContain('--max-files');
    expect(await readdir(rootOf(ws))).toHaveLength(4);
  });

  it('lists a file over maxFileBytes as omitted and keeps the rest', async () => {
    const ws = await extract([MANIFEST, { path: 'package/huge.bin', body: Buffer.alloc(10_000, 0x7f) }, { path: 'package/z.js', body: 'z' }], {
      maxFileBytes: 4096,
    });
    expect(ws.files).toEqual([
      { path: 'huge.bin', size: 10_000, type: 'text', omitted: true },
      { path: 'package.json', size: 36, type: 'json' },
      { path: 'z.js', size: 1, type: 'javascript' },
    ]);
    expect(existsSync(path.join(rootOf(ws), 'huge.bin'))).toBe(false);
    expect(ws.incomplete).toBe(false);
    expect(ws.totalBytes).toBe(37);
    const [finding] = findingsOf(ws, 'workspace/file-too-large');
    expect(finding?.location?.file).toBe('huge.bin');
    expect(finding?.message).toContain('--max-file-size');
  });

  it('stops at maxUnpackedBytes and drops the file it was writing', async () => {
    const ws = await extract(
      [MANIFEST, { path: 'package/a.js', body: 'a' }, { path: 'package/big.bin', body: Buffer.alloc(200_000, 0x41) }, { path: 'package/after.js', body: 'x' }],
      { maxUnpackedBytes: 50_000 },
    );
    expect(paths(ws)).toEqual(['a.js', 'package.json']);
    expect(existsSync(path.join(rootOf(ws), 'big.bin'))).toBe(false);
    expect(ws.incomplete).toBe(true);
    const [finding] = findingsOf(ws, 'workspace/unpacked-size-limit');
    expect(finding?.message).toContain('50000 bytes');
    expect(finding?.message).toContain('--max-unpacked-size');
  });

  it('stops reading junk after the end-of-archive blocks without calling it a cut', async () => {
    const archive = gzipSync(Buffer.concat([buildTar([MANIFEST]), Buffer.alloc(32 * 1024 * 1024)]));
    const ws = await extract(archive, { maxUnpackedBytes: 8 * 1024 * 1024 });
    expect(paths(ws)).toEqual(['package.json']);
    expect(ws.incomplete).toBe(false);
    expect(ws.findings).toEqual([]);
  });

  it('is not cut short by an archive exactly at the unpacked cap', async () => {
    const tar = buildTar([MANIFEST]);
    const ws = await extract(tar, { maxUnpackedBytes: tar.length });
    expect(ws.incomplete).toBe(false);
  });
});

describe('empty archives', () => {
  it.each([
    ['an archive with only end blocks', () => buildTgz([]), /^nothing to scan: fixture\.tgz is empty \(no regular files\)$/],
    ['a zero-byte file', () => Buffer.alloc(0), /^nothing to scan: fixture\.tgz is empty/],
    ['only directories and links', () => buildTgz([{ path: 'package/', type: TYPE.directory }, { path: 'package/l', type: TYPE.symlink, linkpath: '/' }]), /1 entries refused/],
  ])('%s → nothing to scan', async (_label, archive, message) => {
    const error = await failure(archive());
    expect(error.category).toBe('invalidInput');
    expect(error.message).toMatch(message);
  });
});

describe('tar builder', () => {
  it('writes archives tar itself reads back, hostile fields intact', async () => {
    const archive = buildTar([
      { path: 'package/a.js', body: 'hello' },
      { path: `package/${'long/'.repeat(40)}b.js`, body: 'b' },
      { path: '../escape', body: 'e' },
      { path: 'package/l', type: TYPE.symlink, linkpath: '/etc/shadow' },
      { path: 'package/d/', type: TYPE.directory },
    ]);
    const seen: string[] = [];
    const parser = new Parser({ strict: true });
    parser.on('entry', (entry: ReadEntry) => {
      seen.push(`${entry.type} ${entry.path}${entry.linkpath ? ` -> ${entry.linkpath}` : ''} ${entry.size}`);
      entry.resume();
    });
    parser.end(archive);
    expect(seen).toEqual([
      'File package/a.js 5',
      `File package/${'long/'.repeat(40)}b.js 1`,
      'File ../escape 1',
      'SymbolicLink package/l -> /etc/shadow 0',
      'Directory package/d/ 0',
    ]);
    expect(encodeEntry({ path: 'x', body: 'abc' }).length).toBe(1024);
  });

  it('is recognised by magic bytes', () => {
    expect(detectArchiveFormat(buildTgz([MANIFEST]))).toBe('gzip');
    expect(detectArchiveFormat(buildTar([MANIFEST]))).toBe('tar');
    expect(detectArchiveFormat(buildTar([]))).toBe('tar');
    expect(detectArchiveFormat(Buffer.alloc(600, 0x41))).toBeUndefined();
  });
});
