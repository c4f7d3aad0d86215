import { describe, expect, it } from 'vitest';
import { AssayError } from '../../core/errors.js';
import { parseJsonc } from './jsonc.js';
import { parseTomlSubset } from './toml.js';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AssayError);
    expect((error as AssayError).category).toBe('invalidInput');
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('parseJsonc', () => {
  it('reads comments, trailing commas, escapes and a BOM', () => {
    const text = '\ufeff{\n  // line\n  "a": [1, 2.5e1, -3,], /* block */\n  "b": "x\\u0041\\n\\"",\n  "c": {"d": null, "e": true,},\n}\n';
    expect(parseJsonc(text, { file: 'f' })).toEqual({ a: [1, 25, -3], b: 'xA\n"', c: { d: null, e: true } });
  });

  it('keeps __proto__ as a plain key', () => {
    const value = parseJsonc('{"__proto__": {"polluted": 1}}', { file: 'f' }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['{\n  "a": 1\n  "b": 2\n}', 'f:3:3: expected , or }'],
    ['{"a": tru}', 'f:1:7'],
    ['{"a": "x', 'f:1:7: unterminated string'],
    ['{"a": 1} x', 'f:1:10: unexpected text'],
    ['/* open', 'unterminated /* comment'],
    ['{a: 1}', 'f:1:2: expected a "quoted" property name'],
    ['', 'unexpected end of file'],
    ['{"a": "\\q"}', 'invalid escape'],
  ])('reports %j with file:line:col', (text, expected) => {
    expect(errorOf(() => parseJsonc(text, { file: 'f' }))).toContain(expected);
  });

  it('refuses deep nesting without recursing into it', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(errorOf(() => parseJsonc(deep, { file: 'f' }))).toContain('nested deeper than 64 levels');
    expect(parseJsonc(`${'['.repeat(10)}${']'.repeat(10)}`, { file: 'f', maxDepth: 10 })).toBeDefined();
  });
});

describe('parseTomlSubset', () => {
  it('reads what mcpd writes', () => {
    const text = [
      '# mcpd config',
      '[[servers]]',
      '  name = "time"',
      "  package = 'uvx::mcp-server-time@2025.8.4'",
      '  tools = [',
      '    "get_current_time", # comment',
      '    "convert_time",',
      '  ]',
      '',
      '[[servers]]',
      'name = "fetch"',
      'package = "npx::@scope/fetch@1.0.0"',
      'port = 8_080',
      'enabled = true',
      '',
      '[other.table]',
      '"quoted key" = "\\u00e9\\t"',
    ].join('\r\n');
    expect(parseTomlSubset(text, 'f')).toEqual({
      servers: [
        { name: 'time', package: 'uvx::mcp-server-time@2025.8.4', tools: ['get_current_time', 'convert_time'] },
        { name: 'fetch', package: 'npx::@scope/fetch@1.0.0', port: 8080, enabled: true },
      ],
      other: { table: { 'quoted key': '\u00e9\t' } },
    });
  });

  it.each([
    ['name = "x"\nname = "y"', 'f:2:1: duplicate key'],
    ['a.b = 1', 'f:1:2: dotted keys are not supported'],
    ['a = { b = 1 }', 'f:1:5: inline tables are not supported'],
    ['a = """x"""', 'multi-line strings are not supported'],
    ['a = "x', 'f:1:5: unterminated string'],
    ['a = [1, 2', 'f:1:10: expected , or ] in array'],
    ['a = 1 b = 2', 'f:1:7: expected the end of the line'],
    ['[[servers]\n', 'f:1:10: expected ]]'],
    ['a = 1979-05-27', 'f:1:5: expected a string, number, boolean or array'],
    ['a = 1\n[a]', 'f:2:1: a is already a value'],
  ])('reports %j with file:line:col', (text, expected) => {
    expect(errorOf(() => parseTomlSubset(text, 'f'))).toContain(expected);
  });

  it('refuses deeply nested arrays', () => {
    expect(errorOf(() => parseTomlSubset(`a = ${'['.repeat(10_000)}`, 'f'))).toContain('nested deeper');
  });
});
