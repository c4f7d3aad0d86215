import { afterEach, describe, expect, it } from 'vitest';
import { backoffDelay, fetchJson, parseRetryAfter } from './http.js';
import { startJsonServer, type JsonServer } from './test-helpers/json-server.js';

const FAST = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 20 };
let server: JsonServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function opts(extra: Partial<Parameters<typeof fetchJson>[1]> = {}): Parameters<typeof fetchJson>[1] {
  return { signal: new AbortController().signal, maxBytes: 1024, retry: FAST, timeoutMs: 2000, ...extra };
}

describe('fetchJson', () => {
  it('retries 429 honouring Retry-After, then succeeds', async () => {
    server = await startJsonServer({ '/x': (_u, hit) => (hit === 1 ? { status: 429, headers: { 'retry-after': '0' } } : { body: { ok: 1 } }) });
    const warnings: string[] = [];
    const result = await fetchJson(`${server.url}/x`, opts({ onWarning: (m) => warnings.push(m) }));
    expect(result).toMatchObject({ ok: true, value: { ok: 1 }, attempts: 2 });
    expect(warnings.join()).toMatch(/HTTP 429; retry 1\/2 in 0 ms/);
  });

  it.each([500, 502, 503])('retries %i then succeeds', async (status) => {
    server = await startJsonServer({ '/x': (_u, hit) => (hit < 3 ? { status } : { body: [1] }) });
    const result = await fetchJson(`${server.url}/x`, opts());
    expect(result).toMatchObject({ ok: true, value: [1], attempts: 3 });
  });

  it('gives up after maxAttempts on a 5xx forever, as a transient failure', async () => {
    server = await startJsonServer({ '/x': () => ({ status: 500 }) });
    const result = await fetchJson(`${server.url}/x`, opts());
    expect(result).toMatchObject({ ok: false, failure: { kind: 'status', status: 500, transient: true, attempts: 3 } });
    expect(server.hits.get('/x')).toBe(3);
  });

  it.each([400, 403, 404, 410])('does not retry %i', async (status) => {
    server = await startJsonServer({ '/x': () => ({ status }) });
    const result = await fetchJson(`${server.url}/x`, opts());
    expect(result).toMatchObject({ ok: false, failure: { kind: 'status', status, transient: false, attempts: 1 } });
    expect(server.hits.get('/x')).toBe(1);
  });

  it('reports malformed JSON as invalid-json without retrying', async () => {
    server = await startJsonServer({ '/x': () => ({ body: '{"a": [1, 2' }) });
    const result = await fetchJson(`${server.url}/x`, opts());
    expect(result).toMatchObject({ ok: false, failure: { kind: 'invalid-json', attempts: 1 } });
  });

  it.each([
    ['unbalanced', '['.repeat(200_000)],
    ['balanced', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
  ])('does not throw on %s deep nesting', async (_name, body) => {
    server = await startJsonServer({ '/x': () => ({ body }) });
    const result = await fetchJson(`${server.url}/x`, opts({ maxBytes: 1024 * 1024 }));
    expect(result.ok ? 'parsed' : result.failure.kind).toMatch(/^(parsed|invalid-json)$/);
  });

  it.each([
    ['declared by content-length', {}],
    ['streamed without a length', { 'transfer-encoding': 'chunked' }],
  ])('refuses a body over the cap (%s)', async (_name, headers) => {
    server = await startJsonServer({ '/x': () => ({ headers, body: JSON.stringify({ pad: 'x'.repeat(5000) }) }) });
    const result = await fetchJson(`${server.url}/x`, opts());
    expect(result).toMatchObject({ ok: false, failure: { kind: 'too-large', transient: false } });
  });

  it('times out a stalled body and retries it as a network failure', async () => {
    server = await startJsonServer({ '/x': () => ({ hang: true, body: '{"a":1}' }) });
    const result = await fetchJson(`${server.url}/x`, opts({ timeoutMs: 100 }));
    expect(result).toMatchObject({ ok: false, failure: { kind: 'network', transient: true, attempts: 3 } });
  });

  it('retries a refused connection', async () => {
    server = await startJsonServer({});
    const url = `${server.url}/x`;
    await server.close();
    server = undefined;
    const result = await fetchJson(url, opts());
    expect(result).toMatchObject({ ok: false, failure: { kind: 'network', transient: true, attempts: 3 } });
  });

  it('ends a backoff sleep as soon as the caller aborts', async () => {
    server = await startJsonServer({ '/x': () => ({ status: 503, headers: { 'retry-after': '3600' } }) });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = process.hrtime.bigint();
    const result = await fetchJson(`${server.url}/x`, opts({ signal: controller.signal, retry: { ...FAST, maxDelayMs: 60_000 } }));
    expect(result).toMatchObject({ ok: false, failure: { kind: 'aborted' } });
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(10_000);
  });

  it('is aborted, not retried, when the caller aborts a stalled request', async () => {
    server = await startJsonServer({ '/x': () => ({ hang: true, body: '{}' }) });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const result = await fetchJson(`${server.url}/x`, opts({ signal: controller.signal }));
    expect(result).toMatchObject({ ok: false, failure: { kind: 'aborted', attempts: 1 } });
  });
});

describe('parseRetryAfter and backoffDelay', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['7', 7000],
    [' 0 ', 0],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
  ])('Retry-After %j is %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it('caps Retry-After and jittered exponential delays at maxDelayMs', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, policy, 3_600_000, () => 0.5)).toBe(1000);
    expect(backoffDelay(1, policy, undefined, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, undefined, () => 0.5)).toBe(200);
    expect(backoffDelay(30, policy, undefined, () => 0.999)).toBe(999);
  });
});
