import { describe, expect, it } from 'vitest';
import { canaryNeedles, encodedForms, findCanaryLeaks, makeCanaries } from './canary.js';
import type { SandboxEvent } from './events.js';

const capture = (excerpt: string, extra: Partial<Extract<SandboxEvent, { type: 'capture' }>> = {}): SandboxEvent => ({
  type: 'capture', phase: 'start', port: 80, excerpt, bytes: excerpt.length, ...extra,
});

describe('makeCanaries', () => {
  it('makes credential-shaped values, different on every run and reproducible with a seed', () => {
    const a = makeCanaries();
    const b = makeCanaries();
    expect(a.env.AWS_ACCESS_KEY_ID).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(a.env.AWS_SECRET_ACCESS_KEY).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(a.env.GITHUB_TOKEN).toMatch(/^ghp_[A-Za-z0-9]{36}$/);
    expect(a.env.OPENAI_API_KEY).toMatch(/^sk-proj-[A-Za-z0-9]{48}$/);
    expect(a.env.NPM_TOKEN).toMatch(/^npm_[A-Za-z0-9]{36}$/);
    expect(a.env.GITHUB_TOKEN).not.toBe(b.env.GITHUB_TOKEN);
    expect(makeCanaries('seed')).toEqual(makeCanaries('seed'));
    expect(makeCanaries('seed')).not.toEqual(makeCanaries('other'));
  });

  it('plants the credential files under the home directory', () => {
    const c = makeCanaries('s', { home: '/h' });
    expect(Object.keys(c.files).sort()).toEqual(['/h/.aws/credentials', '/h/.config/Claude/claude_desktop_config.json', '/h/.cursor/mcp.json', '/h/.npmrc', '/h/.ssh/id_rsa']);
    expect(c.files['/h/.ssh/id_rsa']).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END OPENSSH PRIVATE KEY-----\n$/);
    expect(JSON.parse(c.files['/h/.cursor/mcp.json'] ?? '')).toHaveProperty('mcpServers');
  });

  it('derives needles from env values and tokens inside files', () => {
    const c = makeCanaries('s', { home: '/h' });
    const labels = canaryNeedles(c).map((n) => n.label);
    expect(labels).toContain('GITHUB_TOKEN');
    expect(labels).toContain('file:/h/.aws/credentials');
    expect(labels).toContain('file:/h/.npmrc');
    expect(labels).toContain('file:/h/.ssh/id_rsa');
  });
});

describe('findCanaryLeaks', () => {
  const c = makeCanaries('leaks', { home: '/h' });
  const secret = c.env.AWS_SECRET_ACCESS_KEY ?? '';
  const gh = c.env.GITHUB_TOKEN ?? '';

  it.each([
    ['plain in a body', `POST /c HTTP/1.1\r\nHost: x\r\n\r\n{"k":"${gh}"}`, 'plain'],
    ['base64 at offset 0', Buffer.from(gh).toString('base64'), 'base64'],
    ['base64 at offset 1', Buffer.from(`a${gh}zz`).toString('base64'), 'base64'],
    ['base64 at offset 2', Buffer.from(`{"${gh}"}`).toString('base64'), 'base64'],
    ['hex, upper case', Buffer.from(gh).toString('hex').toUpperCase(), 'hex'],
    ['URL-encoded secret', `GET /?s=${encodeURIComponent(`${secret}/+/`)}`, 'plain'],
  ])('finds a canary sent %s', (_name, excerpt, encoding) => {
    const r = findCanaryLeaks(c, [capture(excerpt)]);
    expect(r.exfiltrated.length).toBeGreaterThan(0);
    expect(r.exfiltrated[0]?.encoding).toBe(encoding === 'plain' && excerpt.includes('%') ? r.exfiltrated[0]?.encoding : encoding);
  });

  it('finds a canary in a DNS name (hex labels)', () => {
    const hex = Buffer.from(gh).toString('hex');
    const r = findCanaryLeaks(c, [{ type: 'dns', phase: 'start', name: `${hex.slice(0, 60)}.${hex.slice(60)}.x.example`.replace('.', ''), qtype: 'A' }]);
    expect(r.exfiltrated.map((l) => [l.label, l.via, l.encoding])).toContainEqual(['GITHUB_TOKEN', 'dns', 'hex']);
  });

  it('finds a token from a planted file', () => {
    const npm = /_authToken=(\S+)/.exec(c.files['/h/.npmrc'] ?? '')?.[1] ?? '';
    const r = findCanaryLeaks(c, [capture(`x-token: ${npm}`, { port: 443, sni: 'evil.example' })]);
    expect(r.exfiltrated[0]?.label).toBe('file:/h/.npmrc');
  });

  it('reports nothing for unrelated bytes, other canaries or a partial value', () => {
    const other = makeCanaries('other');
    const r = findCanaryLeaks(c, [capture(JSON.stringify(other)), capture(gh.slice(0, 20)), { type: 'dns', phase: 'start', name: 'example.org', qtype: 'A' }]);
    expect(r.exfiltrated).toEqual([]);
  });

  it('reports canary files opened for reading, once each, not failed or write opens', () => {
    const events: SandboxEvent[] = [
      { type: 'open', phase: 'start', pid: 1, path: '/h/.ssh/id_rsa', write: false, ok: true },
      { type: 'open', phase: 'start', pid: 1, path: '/h/./.ssh/id_rsa', write: false, ok: true },
      { type: 'open', phase: 'start', pid: 1, path: '/h/.npmrc', write: false, ok: false, errno: 'EACCES' },
      { type: 'open', phase: 'start', pid: 1, path: '/h/.aws/credentials', write: true, ok: true },
      { type: 'open', phase: 'start', pid: 1, path: '/h/other', write: false, ok: true },
    ];
    expect(findCanaryLeaks(c, events).filesRead.map((f) => f.path)).toEqual(['/h/.ssh/id_rsa']);
  });
});

describe('encodedForms', () => {
  it('never yields a base64 form shorter than 12 characters', () => {
    for (const f of encodedForms('short-value')) if (f.encoding === 'base64') expect(f.text.length).toBeGreaterThanOrEqual(12);
  });
});
