import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssayError } from '../core/errors.js';
import type { ErrorCategory } from '../core/errors.js';
import type { Target } from '../core/target.js';
import { parseGitSpec, parseNpmSpec, parseTargetSpec } from './spec.js';

let cwd = '';

beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'assay-spec-'));
  await mkdir(path.join(cwd, 'server'));
  await writeFile(path.join(cwd, 'pkg.tgz'), 'x');
  await writeFile(path.join(cwd, 'pkg.tar.gz'), 'x');
  await writeFile(path.join(cwd, 'pkg.tar'), 'x');
  await writeFile(path.join(cwd, 'notes.txt'), 'x');
  await mkdir(path.join(cwd, 'weird:name'));
});

afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function failure(input: string): Promise<AssayError> {
  try {
    await parseTargetSpec(input, { cwd });
  } catch (error) {
    expect(error).toBeInstanceOf(AssayError);
    return error as AssayError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

describe('parseTargetSpec: npm', () => {
  const cases: [string, Target][] = [
    ['npm:some-server', { kind: 'npm', spec: 'npm:some-server@latest', name: 'some-server' }],
    ['npm:some-server@1.2.3', { kind: 'npm', spec: 'npm:some-server@1.2.3', name: 'some-server', version: '1.2.3' }],
    ['npm:some-server@^1.2', { kind: 'npm', spec: 'npm:some-server@^1.2', name: 'some-server' }],
    ['npm:some-server@>=1 <2', { kind: 'npm', spec: 'npm:some-server@>=1 <2', name: 'some-server' }],
    ['npm:some-server@next', { kind: 'npm', spec: 'npm:some-server@next', name: 'some-server' }],
    ['npm:@scope/name@1.2.3', { kind: 'npm', spec: 'npm:@scope/name@1.2.3', name: '@scope/name', version: '1.2.3' }],
    ['npm:@scope/name', { kind: 'npm', spec: 'npm:@scope/name@latest', name: '@scope/name' }],
    ['  npm:padded@2.0.0  ', { kind: 'npm', spec: 'npm:padded@2.0.0', name: 'padded', version: '2.0.0' }],
  ];
  it.each(cases)('%s', async (input, expected) => {
    expect(await parseTargetSpec(input, { cwd })).toEqual(expected);
  });

  const refused: [string, ErrorCategory, RegExp][] = [
    ['npm:', 'usage', /needs a package name/],
    ['npm:foo@git+https://example.invalid/a/b.git', 'usage', /not a registry package spec/],
    ['npm:foo@github:owner/repo', 'usage', /not a registry package spec/],
    ['npm:foo@owner/repo', 'usage', /not a registry package spec/],
    ['npm:foo@file:../evil', 'usage', /not a registry package spec/],
    ['npm:foo@./evil', 'usage', /not a registry package spec/],
    ['npm:foo@https://example.invalid/evil.tgz', 'usage', /not a registry package spec/],
    ['npm:foo@npm:bar@1.0.0', 'usage', /not a registry package spec/],
    ['npm:../../etc', 'usage', /not a registry package spec/],
    ['npm:@scope/../x', 'usage', /not a registry package spec|invalid npm package spec/],
    ['npm:/etc/passwd', 'usage', /not a registry package spec/],
    ['npm:git+ssh://git@example.invalid/a/b.git', 'usage', /not a registry package spec/],
    ['npm:foo@bad tag!', 'usage', /invalid npm package spec/],
    ['npm:.hidden', 'usage', /not a registry package spec|invalid npm package spec/],
    ['npm:foo\u0000bar', 'usage', /control characters/],
    ['npm:foo@1.0.0\n--registry=x', 'usage', /control characters/],
  ];
  it.each(refused)('refuses %j', async (input, category, message) => {
    const error = await failure(input);
    expect(error.category).toBe(category);
    expect(error.message).toMatch(message);
  });
});

describe('parseTargetSpec: git', () => {
  const cases: [string, string][] = [
    ['https://git.example.test/owner/repo', 'https://git.example.test/owner/repo'],
    ['https://git.example.test/owner/repo.git#v1.2.0', 'https://git.example.test/owner/repo.git#v1.2.0'],
    ['git+https://git.example.test/owner/repo.git#main', 'https://git.example.test/owner/repo.git#main'],
    ['ssh://git@git.example.test/owner/repo.git', 'ssh://git@git.example.test/owner/repo.git'],
    ['git+ssh://git@git.example.test:2222/owner/repo.git#feature/x', 'ssh://git@git.example.test:2222/owner/repo.git#feature/x'],
    ['git@git.example.test:owner/repo.git', 'git@git.example.test:owner/repo.git'],
    ['git@git.example.test:owner/repo#0123456789abcdef0123456789abcdef01234567', 'git@git.example.test:owner/repo#0123456789abcdef0123456789abcdef01234567'],
    ['file:///srv/repos/tool.git', 'file:///srv/repos/tool.git'],
    ['file:///srv/repos/tool.git#v2', 'file:///srv/repos/tool.git#v2'],
  ];
  it.each(cases)('%s', async (input, spec) => {
    expect(await parseTargetSpec(input, { cwd })).toEqual({ kind: 'git', spec });
  });

  it('round-trips the normalised spec through parseGitSpec', () => {
    expect(parseGitSpec('https://git.example.test/o/r.git#v1')).toEqual({ url: 'https://git.example.test/o/r.git', ref: 'v1' });
    expect(parseGitSpec('git@git.example.test:o/r')).toEqual({ url: 'git@git.example.test:o/r' });
  });

  const refused: [string, ErrorCategory, RegExp][] = [
    ['ext::sh -c touch% /tmp/pwned', 'usage', /remote-helper/],
    ['fd::17', 'usage', /remote-helper/],
    ['ssh://-oProxyCommand=touch%20pwned/x/y', 'usage', /invalid (host|git URL)/],
    ['git+ssh://-oProxyCommand=x/repo', 'usage', /invalid (host|git URL)/],
    ['git@-oProxyCommand=touch:owner/repo', 'usage', /invalid host/],
    ['-oProxyCommand=x@host:repo', 'notFound', /no such file/],
    ['git@git.example.test:-u/repo', 'usage', /invalid repository path/],
    ['https://git.example.test/--upload-pack=touch', 'usage', /invalid repository path/],
    ['https://git.example.test/owner/repo#--upload-pack=touch', 'usage', /invalid git ref/],
    ['https://git.example.test/owner/repo#-b', 'usage', /invalid git ref/],
    ['https://git.example.test/owner/repo#a..b', 'usage', /invalid git ref/],
    ['https://git.example.test/owner/repo#a b', 'usage', /invalid git ref/],
    ['https://user:secret@git.example.test/owner/repo', 'usage', /credentials/],
    ['https://git.example.test/owner/repo?x=1', 'usage', /query/],
    ['https://git.example.test/', 'usage', /no repository path/],
    ['file://remote-host/srv/repo.git', 'usage', /must be local/],
    ['http://git.example.test/owner/repo', 'usage', /unsupported scheme "http:"/],
    ['git://git.example.test/owner/repo', 'usage', /unsupported scheme "git:"/],
    ['javascript:alert(1)', 'usage', /unsupported scheme/],
    ['https://files.example.test/pkg-1.0.0.tgz', 'usage', /remote tarball URLs are not supported yet/],
    ['https://files.example.test/pkg-1.0.0.tar.gz', 'usage', /remote tarball URLs are not supported yet/],
    ['http://files.example.test/pkg.tgz', 'usage', /remote tarball URLs are not supported yet/],
    ['https://git.example.test/owner/repo\r\nHost: evil', 'usage', /control characters/],
  ];
  it.each(refused)('refuses %j', async (input, category, message) => {
    const error = await failure(input);
    expect(error.category).toBe(category);
    expect(error.message).toMatch(message);
  });
});

describe('parseTargetSpec: paths', () => {
  it('resolves a directory to an absolute dir target', async () => {
    expect(await parseTargetSpec('server', { cwd })).toEqual({ kind: 'dir', spec: path.join(cwd, 'server') });
    expect(await parseTargetSpec(path.join(cwd, 'server'))).toEqual({ kind: 'dir', spec: path.join(cwd, 'server') });
  });

  it.each(['pkg.tgz', 'pkg.tar.gz', 'pkg.tar', './pkg.tgz'])('resolves archive %s to a tarball target', async (name) => {
    expect(await parseTargetSpec(name, { cwd })).toEqual({ kind: 'tarball', spec: path.resolve(cwd, name) });
  });

  it('accepts an existing directory whose name looks like a scheme', async () => {
    expect(await parseTargetSpec('weird:name', { cwd })).toEqual({ kind: 'dir', spec: path.join(cwd, 'weird:name') });
  });

  const refused: [string, ErrorCategory, RegExp][] = [
    ['missing-dir', 'notFound', /^no such file or directory: \//],
    ['missing.tgz', 'notFound', /^no such file or directory: /],
    ['notes.txt', 'usage', /neither a directory nor a \.tgz/],
    ['', 'usage', /empty target/],
    ['   ', 'usage', /empty target/],
    ['x'.repeat(5000), 'usage', /longer than/],
    ['server\u0000/../etc', 'usage', /control characters/],
    ['server\u001b[31m', 'usage', /control characters/],
  ];
  it.each(refused)('refuses %j', async (input, category, message) => {
    const error = await failure(input);
    expect(error.category).toBe(category);
    expect(error.message).toMatch(message);
  });
});

describe('parseNpmSpec', () => {
  it('keeps the spec type', () => {
    expect(parseNpmSpec('a@1.0.0')).toEqual({ name: 'a', fetchSpec: '1.0.0', type: 'version' });
    expect(parseNpmSpec('a@~1.0')).toEqual({ name: 'a', fetchSpec: '~1.0', type: 'range' });
    expect(parseNpmSpec('a@beta')).toEqual({ name: 'a', fetchSpec: 'beta', type: 'tag' });
    expect(parseNpmSpec('a')).toEqual({ name: 'a', fetchSpec: 'latest', type: 'tag' });
  });
});
