import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchBytes, fetchJson } from './http.js';
import { createRegistryFetch } from './http2.js';

// A throwaway certificate for 127.0.0.1, made for this run and trusted only by these tests' clients.
let key = '';
let cert = '';
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'assay-h2-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  key = readFileSync(path.join(dir, 'key.pem'), 'utf8');
  cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

async function h2Server(handler: Handler): Promise<{ origin: string; sessions: () => number; inFlight: () => number; peak: () => number; close: () => Promise<void> }> {
  const server = http2.createSecureServer({ key, cert });
  let sessions = 0;
  let inFlight = 0;
  let peak = 0;
  server.on('session', () => {
    sessions += 1;
  });
  server.on('stream', (stream, headers) => {
    // A stream the test resets reports it here too.
    stream.on('error', () => undefined);
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    stream.once('close', () => {
      inFlight -= 1;
    });
    handler(stream, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    sessions: () => sessions,
    inFlight: () => inFlight,
    peak: () => peak,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const options = (signal = new AbortController().signal) => ({ signal, maxBytes: 1024 * 1024, retry: { maxAttempts: 1 } });

describe('createRegistryFetch over HTTP/2', () => {
  it('answers many requests as streams of one session, with the request headers and the caller’s caps', async () => {
    const server = await h2Server((stream, headers) => {
      setTimeout(() => {
        stream.respond({ ':status': 200, 'content-type': 'application/json' });
        stream.end(JSON.stringify({ path: headers[':path'], accept: headers['accept'] }));
      }, 20);
    });
    const client = createRegistryFetch({ ca: cert });
    try {
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => fetchJson(`${server.origin}/pkg-${i}?x=1`, { ...options(), headers: { accept: 'application/vnd.npm.install-v1+json' }, fetch: client.fetch })),
      );
      expect(results.map((r) => (r.ok ? r.value : r.failure))).toEqual(Array.from({ length: 40 }, (_, i) => ({ path: `/pkg-${i}?x=1`, accept: 'application/vnd.npm.install-v1+json' })));
      expect(server.sessions()).toBe(1);
      expect(server.peak()).toBeGreaterThan(16);
    } finally {
      client.close();
      await server.close();
    }
  });

  it.each([
    ['a 404', 404, false],
    ['a 503, which is transient', 503, true],
  ])('reports %s as fetch would', async (_label, status, transient) => {
    const server = await h2Server((stream) => {
      stream.respond({ ':status': status });
      stream.end('no');
    });
    const client = createRegistryFetch({ ca: cert });
    try {
      const result = await fetchBytes(`${server.origin}/x`, { ...options(), fetch: client.fetch });
      expect(result).toMatchObject({ ok: false, failure: { kind: 'status', status, transient } });
    } finally {
      client.close();
      await server.close();
    }
  });

  it('stops reading a body over the cap', async () => {
    const server = await h2Server((stream) => {
      stream.respond({ ':status': 200 });
      stream.end(Buffer.alloc(256 * 1024, 97));
    });
    const client = createRegistryFetch({ ca: cert });
    try {
      const result = await fetchBytes(`${server.origin}/big`, { ...options(), maxBytes: 64 * 1024, fetch: client.fetch });
      expect(result).toMatchObject({ ok: false, failure: { kind: 'too-large' } });
    } finally {
      client.close();
      await server.close();
    }
  });

  it('ends a request that never answers at the time limit, and one the caller aborts at once', async () => {
    const server = await h2Server(() => undefined);
    const client = createRegistryFetch({ ca: cert });
    try {
      const timed = await fetchBytes(`${server.origin}/slow`, { ...options(), timeoutMs: 200, fetch: client.fetch });
      expect(timed).toMatchObject({ ok: false, failure: { kind: 'network', message: expect.stringContaining('did not answer within 200 ms') } });
      const controller = new AbortController();
      const pending = fetchBytes(`${server.origin}/slow`, { ...options(controller.signal), fetch: client.fetch });
      setTimeout(() => controller.abort(), 50);
      expect(await pending).toMatchObject({ ok: false, failure: { kind: 'aborted' } });
    } finally {
      client.close();
      await server.close();
    }
  });

  it('reports a stream the server resets as a network failure', async () => {
    const server = await h2Server((stream) => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    const client = createRegistryFetch({ ca: cert });
    try {
      const result = await fetchBytes(`${server.origin}/reset`, { ...options(), fetch: client.fetch });
      expect(result).toMatchObject({ ok: false, failure: { kind: 'network', transient: true } });
    } finally {
      client.close();
      await server.close();
    }
  });

  it('replaces a session the server drops, without an unhandled error', async () => {
    let first = true;
    const server = await h2Server((stream) => {
      if (first) {
        first = false;
        stream.session?.destroy();
        return;
      }
      stream.respond({ ':status': 200 });
      stream.end('2');
    });
    const client = createRegistryFetch({ ca: cert });
    try {
      const dropped = await fetchBytes(`${server.origin}/a`, { ...options(), fetch: client.fetch });
      expect(dropped).toMatchObject({ ok: false, failure: { kind: 'network', transient: true } });
      const again = await fetchJson(`${server.origin}/b`, { ...options(), fetch: client.fetch });
      expect(again).toMatchObject({ ok: true, value: 2 });
      expect(server.sessions()).toBe(2);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('leaves a redirect to the HTTP/1.1 client, which follows it', async () => {
    const server = await h2Server((stream) => {
      stream.respond({ ':status': 302, location: '/elsewhere' });
      stream.end();
    });
    const asked: string[] = [];
    const fallback = (async (input: string | URL | Request) => {
      asked.push(String(input));
      return new Response('{"followed":true}', { status: 200 });
    }) as typeof fetch;
    const client = createRegistryFetch({ ca: cert, fallback });
    try {
      const result = await fetchJson(`${server.origin}/moved`, { ...options(), fetch: client.fetch });
      expect(result).toMatchObject({ ok: true, value: { followed: true } });
      expect(asked).toEqual([`${server.origin}/moved`]);
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('createRegistryFetch over HTTP/1.1', () => {
  it('asks a TLS server that does not choose HTTP/2 through fetch, at most http1Limit at a time', async () => {
    const server = https.createServer({ key, cert }, (_req, res) => res.end('h1'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let inFlight = 0;
    let peak = 0;
    const fallback = (async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 10));
      inFlight -= 1;
      return new Response('"h1"', { status: 200 });
    }) as typeof fetch;
    const client = createRegistryFetch({ ca: cert, fallback, http1Limit: 4 });
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => fetchJson(`${origin}/p${i}`, { ...options(), fetch: client.fetch })));
      expect(results.every((r) => r.ok && r.value === 'h1')).toBe(true);
      expect(peak).toBe(4);
    } finally {
      client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('uses fetch for plain http, with the same limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const server = http.createServer((_req, res) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        res.end('1');
      }, 10);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = createRegistryFetch({ http1Limit: 3 });
    try {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => fetchJson(`${origin}/p${i}`, { ...options(), fetch: client.fetch })));
      expect(results.every((r) => r.ok && r.value === 1)).toBe(true);
      expect(peak).toBe(3);
    } finally {
      client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
