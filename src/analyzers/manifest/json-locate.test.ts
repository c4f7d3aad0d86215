import { describe, expect, it } from 'vitest';
import { locateJsonKeys } from './json-locate.js';

const TEXT = `{
  "name": "demo",
  "scripts": {
    "build": "tsc",
    "postinstall": "node x.js"
  },
  "bin": { "demo": "cli.js" },
  "packages": [
    { "identifier": "demo",
      "environmentVariables": [ { "name": "A" }, { "name": "B", "default": "x" } ] }
  ],
  "files": ["a", "b"]
}`;

describe('locateJsonKeys', () => {
  const locations = locateJsonKeys(TEXT);

  it.each([
    [['name'], 2, 3],
    [['scripts'], 3, 3],
    [['scripts', 'postinstall'], 5, 5],
    [['bin', 'demo'], 7, 12],
    [['packages', 0, 'identifier'], 9, 7],
    [['packages', 0, 'environmentVariables', 1, 'default'], 10, 65],
    [['files', 1], 12, 18],
  ] as const)('finds %j at line %i', (path, line, column) => {
    expect(locations.find(path)).toEqual({ line, column });
  });

  it('falls back to the nearest recorded parent', () => {
    expect(locations.find(['scripts', 'missing'])?.line).toBe(3);
    expect(locations.find(['nothing'])).toBeUndefined();
  });

  it('does not take string values for keys', () => {
    expect(locations.find(['tsc'])).toBeUndefined();
    expect(locations.find(['scripts', 'tsc'])?.line).toBe(3);
  });

  it('decodes escaped keys and skips a BOM', () => {
    const found = locateJsonKeys('\ufeff{\n"a\\u0062": 1, "q\\"k": 2}');
    expect(found.find(['ab'])).toEqual({ line: 2, column: 1 });
    expect(found.find(['q"k'])?.line).toBe(2);
  });

  it('stays bounded on deep nesting and malformed input', () => {
    const inputs = ['['.repeat(200_000), `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, '"'.repeat(100_001), `{"a": "${'\\'.repeat(100_001)}`, '}]'.repeat(50_000)];
    const started = performance.now();
    for (const input of inputs) {
      const found = locateJsonKeys(input);
      expect(found.size).toBeLessThanOrEqual(20_000);
    }
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('records only the first levels of deep documents', () => {
    const deep = `${'{"k":'.repeat(10)}1${'}'.repeat(10)}`;
    const found = locateJsonKeys(deep, 3);
    expect(found.find(['k', 'k', 'k'])).toBeDefined();
    expect(found.size).toBe(3);
  });
});
