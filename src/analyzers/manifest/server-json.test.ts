import { describe, expect, it } from 'vitest';
import type { Hit } from './rules.js';
import { checkMcpNameMatch, checkServerJson, hostOf, isInsecureRemoteUrl, readServerJson } from './server-json.js';
import { isLiteralSecret } from './values.js';

function ids(hits: readonly Hit[]): string[] {
  return hits.map((h) => h.rule.id).sort();
}

const VALID = {
  name: 'io.github.someone/weather',
  description: 'Weather data',
  version: '1.0.0',
  repository: { url: 'https://github.com/someone/weather', source: 'github' },
  packages: [
    {
      registryType: 'npm',
      identifier: 'weather-mcp',
      version: '1.0.0',
      transport: { type: 'stdio' },
      environmentVariables: [
        { name: 'WEATHER_API_KEY', description: 'API key', isRequired: true, isSecret: true },
        { name: 'UNITS', default: 'metric' },
      ],
    },
  ],
};

function check(doc: unknown, packageName: string | undefined = 'weather-mcp'): Hit[] {
  return checkServerJson(readServerJson(doc), packageName);
}

describe('readServerJson', () => {
  it('reads a valid document without problems', () => {
    const info = readServerJson(VALID);
    expect(info.problem).toBeUndefined();
    expect(info.name).toBe('io.github.someone/weather');
    expect(info.endpoints).toHaveLength(1);
    expect(info.endpoints[0]).toMatchObject({ kind: 'package', registryType: 'npm', identifier: 'weather-mcp', transport: 'stdio' });
    expect(info.endpoints[0]?.inputs.map((i) => [i.name, i.secret])).toEqual([
      ['WEATHER_API_KEY', true],
      ['UNITS', false],
    ]);
  });

  it('accepts the older snake_case spellings', () => {
    const info = readServerJson({
      name: 'x',
      packages: [{ registry_name: 'npm', name: 'weather-mcp', environment_variables: [{ name: 'TOKEN', is_secret: true }] }],
    });
    expect(info.endpoints[0]).toMatchObject({ registryType: 'npm', identifier: 'weather-mcp', identifierPath: ['packages', 0, 'name'] });
    expect(info.endpoints[0]?.inputs[0]).toMatchObject({ name: 'TOKEN', secret: true, path: ['packages', 0, 'environment_variables', 0] });
  });

  it.each([
    [[1, 2], 'not a JSON object'],
    [null, 'not a JSON object'],
    [{ description: 'no name' }, 'name'],
    [{ name: 'x', packages: 'npm' }, 'packages'],
    [{ name: 'x', remotes: [{ type: 'sse' }] }, 'remotes.0.url'],
  ])('reports %j as invalid (%s) and keeps what it can', (doc, problem) => {
    const info = readServerJson(doc);
    expect(info.problem).toContain(problem);
  });

  it('salvages valid entries next to broken ones', () => {
    const info = readServerJson({ name: 'x', packages: [5, { registryType: 'npm', identifier: 'other', transport: 'stdio' }], remotes: [{ url: 42 }] });
    expect(info.problem).toBeDefined();
    expect(info.endpoints.map((e) => e.identifier ?? e.url)).toEqual(['other', undefined]);
  });
});

describe('checkServerJson', () => {
  it('lists secrets by name and notes transports', () => {
    const hits = check(VALID);
    expect(ids(hits)).toEqual(['manifest/secret-inputs', 'manifest/transport']);
    const secrets = hits.find((h) => h.rule.id === 'manifest/secret-inputs');
    expect(secrets?.evidence).toContain('WEATHER_API_KEY');
    expect(secrets?.path).toEqual(['packages', 0, 'environmentVariables', 0]);
  });

  it.each([
    ['sk-live-0123456789abcdef', true],
    ['hunter2hunter2', true],
    ['', false],
    ['{api_key}', false],
    ['Bearer {token}', false],
    ['${TOKEN}', false],
    ['<your-api-key>', false],
    ['your_api_key_here', false],
    ['xxxx', false],
  ])('secret default %j is reported: %s', (value, reported) => {
    const doc = structuredClone(VALID);
    const env = doc.packages[0]?.environmentVariables[0] as Record<string, unknown>;
    env.default = value;
    const hits = check(doc).filter((h) => h.rule.id === 'manifest/secret-default');
    expect(hits).toHaveLength(reported ? 1 : 0);
    if (reported) {
      expect(hits[0]?.evidence).toBe('WEATHER_API_KEY=[REDACTED]');
      expect(JSON.stringify(hits)).not.toContain(value);
      expect(hits[0]?.path).toEqual(['packages', 0, 'environmentVariables', 0, 'default']);
    }
  });

  it('does not report a default on an input that is not secret', () => {
    expect(ids(check(VALID))).not.toContain('manifest/secret-default');
  });

  it('checks secret headers and arguments too', () => {
    const doc = {
      name: 'x',
      remotes: [{ type: 'streamable-http', url: 'https://mcp.example/mcp', headers: [{ name: 'Authorization', isSecret: true, value: 'Bearer abcdef123456' }] }],
      packages: [{ registryType: 'npm', identifier: 'weather-mcp', packageArguments: [{ type: 'named', name: '--token', isSecret: true }] }],
    };
    const hits = check(doc);
    expect(ids(hits)).toEqual(['manifest/secret-default', 'manifest/secret-inputs', 'manifest/transport']);
    expect(hits.find((h) => h.rule.id === 'manifest/secret-inputs')?.evidence).toBe('secret inputs: --token, Authorization');
  });

  it.each([
    ['weather-mcp', 'weather-mcp', []],
    ['weather-mcp', 'other-mcp', ['manifest/server-json-package-mismatch']],
    ['weather-mcp', undefined, []],
  ])('npm identifier %s vs package %s', (identifier, packageName, expected) => {
    const doc = { name: 'x', packages: [{ registryType: 'npm', identifier }] };
    expect(ids(check(doc, packageName))).toEqual(expected);
  });

  it('compares only npm entries with the package name', () => {
    const doc = { name: 'x', packages: [{ registryType: 'pypi', identifier: 'weather' }, { registryType: 'oci', identifier: 'docker.example/weather' }] };
    expect(ids(check(doc))).toEqual([]);
  });

  it.each([
    ['http://mcp.example/mcp', true],
    ['HTTP://MCP.EXAMPLE/mcp', true],
    ['http://user:pw@mcp.example:8080/mcp', true],
    ['https://mcp.example/mcp', false],
    ['http://localhost:3000/mcp', false],
    ['http://127.0.0.1:3000/mcp', false],
    ['http://[::1]:3000/mcp', false],
    ['http://localhost:{port}/mcp', false],
    ['http://{host}/mcp', false],
    ['not a url', false],
  ])('remote %s is insecure: %s', (url, insecure) => {
    expect(isInsecureRemoteUrl(url)).toBe(insecure);
    const hits = check({ name: 'x', remotes: [{ type: 'streamable-http', url }] });
    expect(ids(hits).includes('manifest/insecure-remote')).toBe(insecure);
  });

  it('checks package transport URLs too', () => {
    const doc = { name: 'x', packages: [{ registryType: 'npm', identifier: 'weather-mcp', transport: { type: 'streamable-http', url: 'http://mcp.example/mcp' } }] };
    const hit = check(doc).find((h) => h.rule.id === 'manifest/insecure-remote');
    expect(hit?.path).toEqual(['packages', 0, 'transport', 'url']);
  });

  it('reports a document that fails the schema as a low finding', () => {
    const hits = check({ packages: [] });
    expect(ids(hits)).toEqual(['manifest/server-json-invalid']);
    expect(hits[0]?.message).toContain('name');
  });
});

describe('checkMcpNameMatch', () => {
  it.each([
    ['io.github.a/x', 'io.github.a/x', []],
    ['io.github.a/x', 'io.github.b/x', ['manifest/mcp-name-mismatch']],
    ['io.github.a/x', undefined, []],
    [undefined, 'io.github.a/x', []],
  ])('%s vs %s', (serverName, mcpName, expected) => {
    expect(ids(checkMcpNameMatch(serverName, mcpName))).toEqual(expected);
  });
});

describe('helpers', () => {
  it.each([
    ['https://a.example/x', 'a.example'],
    ['http://u:p@b.example:80/x', 'b.example'],
    ['http://[::1]:3000', '::1'],
    ['http://localhost:{port}/mcp', 'localhost'],
    ['no scheme', undefined],
  ])('hostOf(%s) = %s', (url, host) => {
    expect(hostOf(url)).toBe(host);
  });

  it.each([
    ['abc123def456', true],
    ['true', false],
    ['0', false],
    ['  ', false],
  ])('isLiteralSecret(%j) = %s', (value, literal) => {
    expect(isLiteralSecret(value)).toBe(literal);
  });
});
