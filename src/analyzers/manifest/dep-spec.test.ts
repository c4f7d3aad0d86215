import npa from 'npm-package-arg';
import { describe, expect, it } from 'vitest';
import type { DepSpecKind } from './dep-spec.js';
import { classifyDepSpec } from './dep-spec.js';

const CASES: [string, DepSpecKind, boolean][] = [
  ['^1.2.3', 'registry', false],
  ['1.2.3', 'registry', false],
  ['latest', 'registry', false],
  ['*', 'registry', false],
  ['', 'registry', false],
  ['1.x || >=2.5.0', 'registry', false],
  ['npm:other-pkg@^2', 'alias', false],
  ['github:user/repo', 'git', false],
  ['gitlab:user/repo', 'git', false],
  ['bitbucket:user/repo', 'git', false],
  ['gist:11081aaa281', 'git', false],
  ['user/repo', 'git', false],
  ['user/repo#v1.0.0', 'git', false],
  ['git+https://git.example/r.git', 'git', false],
  ['git+ssh://git@github.com:user/repo.git', 'git', false],
  ['git://github.com/user/repo', 'git', true],
  ['git+http://git.example/r.git', 'git', true],
  ['git@github.com:user/repo.git', 'git', false],
  ['https://github.com/user/repo', 'git', false],
  ['https://github.com/user/repo.git#main', 'git', false],
  ['https://github.com/user/repo/archive/main.tar.gz', 'remote', false],
  ['https://pkgs.example/x-1.0.0.tgz', 'remote', false],
  ['HTTPS://PKGS.EXAMPLE/x.tgz', 'remote', false],
  ['http://pkgs.example/x.tgz', 'remote', true],
  ['http://127.0.0.1:8080/x.tgz', 'remote', true],
  ['file:../sibling', 'file', false],
  ['../sibling', 'file', false],
  ['./vendor/x.tgz', 'file', false],
  // npm reads a bare a/b as GitHub shorthand, even when it looks like a tarball path.
  ['vendor/x.tgz', 'git', false],
  ['vendor/sub/x.tgz', 'file', false],
  ['x.tgz', 'file', false],
  ['~/x', 'file', false],
  ['/abs/path', 'file', false],
  ['link:../sibling', 'link', false],
  ['workspace:*', 'workspace', false],
  ['ftp://x.example/y.tgz', 'invalid', false],
  ['npm:other@github:user/repo', 'invalid', false],
];

describe('classifyDepSpec', () => {
  it.each(CASES)('%j is %s', (spec, kind, insecure) => {
    const result = classifyDepSpec(spec);
    expect(result.kind).toBe(kind);
    expect(result.insecure).toBe(insecure);
  });

  it('names the target of an alias', () => {
    expect(classifyDepSpec('npm:@scope/real@1.0.0').target).toBe('@scope/real');
  });

  it.each([[42], [null], [['1.0.0']], [{ version: '1' }]])('treats %j as invalid, not a crash', (value) => {
    expect(classifyDepSpec(value).kind).toBe('invalid');
  });

  it('caps very long specs', () => {
    expect(classifyDepSpec(`https://x.example/${'a'.repeat(1_000_000)}`).kind).toBe('remote');
    expect(classifyDepSpec('^'.repeat(1_000_000)).kind).toBe('registry');
  });
});

/** npm's own parser as the reference for every case it accepts. */
function npmKind(spec: string): DepSpecKind | 'refused' {
  try {
    const type = npa.resolve('dep', spec, '/nonexistent-root').type;
    if (type === 'range' || type === 'version' || type === 'tag') return 'registry';
    if (type === 'directory') return 'file';
    return type;
  } catch {
    return 'refused';
  }
}

describe('agreement with npm-package-arg', () => {
  it.each(CASES.filter(([spec]) => npmKind(spec) !== 'refused').map(([spec, kind]) => [spec, kind] as const))('%j', (spec, kind) => {
    expect(npmKind(spec)).toBe(kind);
  });
});
