import { afterEach, describe, expect, it } from 'vitest';
import { AssayError } from '../core/errors.js';
import { clearNpmConfigCache, normaliseRegistryUrl, readNpmConfigCached, resolveRegistry } from './registry-config.js';
import type { NpmConfigReader } from './registry-config.js';

const A = 'http://127.0.0.1:4873';
const B = 'http://127.0.0.1:4874/npm';
const C = 'http://127.0.0.1:4875/';

function fakeNpm(values: Record<string, string>): { read: NpmConfigReader; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    read: async (key) => {
      asked.push(key);
      return values[key];
    },
  };
}

describe('resolveRegistry', () => {
  it('prefers --registry over everything', async () => {
    const npm = fakeNpm({ registry: C });
    expect(await resolveRegistry({ explicit: A, env: { npm_config_registry: B }, readNpmConfig: npm.read })).toBe(`${A}/`);
    expect(npm.asked).toEqual([]);
  });

  it.each(['npm_config_registry', 'NPM_CONFIG_REGISTRY', 'Npm_Config_Registry'])('reads %s from the environment', async (key) => {
    const npm = fakeNpm({ registry: C });
    expect(await resolveRegistry({ env: { [key]: B }, readNpmConfig: npm.read })).toBe(`${B}/`);
    expect(npm.asked).toEqual([]);
  });

  it('ignores an empty environment value', async () => {
    const npm = fakeNpm({ registry: C });
    expect(await resolveRegistry({ env: { npm_config_registry: ' ' }, readNpmConfig: npm.read })).toBe(C);
  });

  it('falls back to npm configuration', async () => {
    const npm = fakeNpm({ registry: C });
    expect(await resolveRegistry({ name: 'plain', env: {}, readNpmConfig: npm.read })).toBe(C);
    expect(npm.asked).toEqual(['registry']);
  });

  it('uses the scope registry for a scoped name when npm has one', async () => {
    const npm = fakeNpm({ registry: C, '@acme:registry': A });
    expect(await resolveRegistry({ name: '@acme/tool', env: {}, readNpmConfig: npm.read })).toBe(`${A}/`);
    const other = fakeNpm({ registry: C });
    expect(await resolveRegistry({ name: '@other/tool', env: {}, readNpmConfig: other.read })).toBe(C);
    expect(other.asked).toEqual(['@other:registry', 'registry']);
  });

  it('fails with a usage error when npm has no registry', async () => {
    const npm = fakeNpm({});
    await expect(resolveRegistry({ env: {}, readNpmConfig: npm.read })).rejects.toMatchObject({ category: 'usage' });
  });
});

describe('normaliseRegistryUrl', () => {
  it.each([
    [A, `${A}/`],
    [B, `${B}/`],
    [C, C],
    ['  https://127.0.0.1:4873/path/  ', 'https://127.0.0.1:4873/path/'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseRegistryUrl(input, 'test')).toBe(expected);
  });

  it.each([
    ['a file URL', 'file:///etc/passwd'],
    ['ftp', 'ftp://127.0.0.1/'],
    ['a git URL', 'git+https://127.0.0.1/x'],
    ['text', 'not a url'],
    ['nothing', ''],
    ['a query', 'http://127.0.0.1/?q=1'],
    ['a 3000-character URL', `http://127.0.0.1/${'a'.repeat(3000)}`],
  ])(
    'refuses %s',
    (_label, input) => {
      let caught: unknown;
      try {
        normaliseRegistryUrl(input, 'test');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(AssayError);
      expect((caught as AssayError).category).toBe('usage');
    },
  );
});

describe('readNpmConfigCached (runs npm)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    clearNpmConfigCache();
  });

  it('asks npm once per key and caches the answer', async () => {
    for (const key of Object.keys(process.env)) if (key.toLowerCase() === 'npm_config_registry') delete process.env[key];
    process.env.npm_config_registry = A;
    clearNpmConfigCache();
    expect(await readNpmConfigCached('registry')).toBe(A);
    // Changing what npm would answer does not matter any more: the first answer is kept.
    process.env.npm_config_registry = B;
    expect(await readNpmConfigCached('registry')).toBe(A);
    clearNpmConfigCache();
    expect(await readNpmConfigCached('registry')).toBe(B);
  });

  it('reads an unset scope registry as undefined', async () => {
    expect(await readNpmConfigCached('@assay-test-unset-scope:registry')).toBeUndefined();
  });
});
