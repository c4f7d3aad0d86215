/**
 * GET requests to a registry over HTTP/2 where it speaks it. An unchanged re-harvest is one packument request per
 * package and nothing else, so its time is round trips: 261 of them, 16 at a time over HTTP/1.1, took about 1.5 s
 * here, and more connections than about 20 stalled for seconds. Over one HTTP/2 connection the same requests,
 * 64 at a time, took 0.6–0.9 s (docs/harvest.md). Node's `fetch` speaks HTTP/1.1 only, so this is a small client on
 * `node:http2` with `fetch`'s shape, for `fetchBytes` to use as it uses `fetch` (its caps, time limit, retries).
 *
 * One session per origin. An origin whose TLS handshake does not choose h2, or that cannot be reached over
 * HTTP/2 at all, is asked through `fetch` from then on, at most `http1Limit` requests at a time. A redirect is
 * followed by `fetch` too. Plain `http:` is always `fetch` (no HTTP/2 without TLS, as browsers do it).
 */
import http2 from 'node:http2';
import { Readable } from 'node:stream';
import PQueue from 'p-queue';

export interface RegistryFetchOptions {
  /** Requests in flight per origin over HTTP/1.1 (the fallback); more wait their turn. */
  http1Limit?: number;
  /** The HTTP/1.1 client (tests). */
  fallback?: typeof fetch;
  /** Extra trust roots (tests); otherwise Node's, as for `fetch`. */
  ca?: string;
  /** A session with no request for this long is closed. */
  idleMs?: number;
}

export interface RegistryFetch {
  fetch: typeof fetch;
  /** Closes every session (open requests fail). */
  close(): void;
}

const DEFAULT_HTTP1_LIMIT = 16;
const DEFAULT_IDLE_MS = 5_000;

function headerRecord(init: RequestInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

/** A session whose handshake chose h2, or a rejection that sends the origin to HTTP/1.1. */
function connect(origin: string, options: RegistryFetchOptions, onGone: () => void): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    // No server push: we only ever want the answer to what we asked.
    const settings = { enablePush: false };
    const session = http2.connect(origin, options.ca === undefined ? { settings } : { settings, ca: options.ca });
    session.setTimeout(options.idleMs ?? DEFAULT_IDLE_MS, () => session.close());
    session.once('close', onGone);
    session.once('goaway', onGone);
    // `on`, not `once`: a session that fails after its handshake must not leave a later error unhandled.
    session.on('error', (error) => {
      onGone();
      reject(error);
    });
    session.once('connect', () => {
      // An idle session must not keep the process alive after a harvest; open requests hold it (request()).
      session.unref();
      if (session.alpnProtocol === 'h2') resolve(session);
      else {
        session.destroy();
        reject(new Error(`${origin} did not choose HTTP/2 (ALPN ${String(session.alpnProtocol)})`));
      }
    });
  });
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

const openStreams = new WeakMap<http2.ClientHttp2Session, number>();

/** Open requests keep their session's socket referenced, so the process waits for them and not for idle ones. */
function hold(session: http2.ClientHttp2Session, stream: http2.ClientHttp2Stream): void {
  const open = (openStreams.get(session) ?? 0) + 1;
  openStreams.set(session, open);
  if (open === 1) session.ref();
  stream.once('close', () => {
    const left = (openStreams.get(session) ?? 1) - 1;
    openStreams.set(session, left);
    if (left === 0 && !session.destroyed) session.unref();
  });
}

/** One GET on a session, answered as `fetch` answers; undefined for a redirect (left to `fetch`). */
function request(session: http2.ClientHttp2Session, url: URL, init: RequestInit | undefined): Promise<Response | undefined> {
  const signal = init?.signal ?? undefined;
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortError(signal));
      return;
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({ ...headerRecord(init), ':method': 'GET', ':path': `${url.pathname}${url.search}` });
    } catch (error) {
      // The session closed between lookup and use.
      reject(fetchFailed(error));
      return;
    }
    hold(session, stream);
    const onAbort = (): void => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      reject(abortError(signal as AbortSignal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.once('close', () => {
      signal?.removeEventListener('abort', onAbort);
      // A stream can also end with no answer and no error (its session was dropped): a network failure too.
      reject(fetchFailed(new Error(`the stream closed before an answer (code ${stream.rstCode ?? 0})`)));
    });
    // After the response, a stream error reaches the body's reader; before it, this rejects.
    stream.on('error', (error) => reject(fetchFailed(error)));
    stream.once('response', (head) => {
      const status = Number(head[':status']);
      if (status >= 300 && status < 400) {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        resolve(undefined);
        return;
      }
      try {
        const headers = new Headers();
        for (const [key, value] of Object.entries(head)) {
          if (key.startsWith(':') || value === undefined) continue;
          headers.set(key, Array.isArray(value) ? value.join(', ') : String(value));
        }
        const body = status === 204 || status === 304 ? null : (Readable.toWeb(stream) as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status, headers }));
      } catch (error) {
        // A status or header `fetch` would not accept either.
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(fetchFailed(error));
      }
    });
    stream.end();
  });
}

export function createRegistryFetch(options: RegistryFetchOptions = {}): RegistryFetch {
  const sessions = new Map<string, Promise<http2.ClientHttp2Session>>();
  /** Origins that did not give us HTTP/2: asked through `fetch` from then on. */
  const http1Only = new Set<string>();
  const http1Queues = new Map<string, PQueue>();
  const fallback = options.fallback ?? fetch;
  const viaFetch = (url: URL, init: RequestInit | undefined): Promise<Response> => {
    let queue = http1Queues.get(url.origin);
    if (queue === undefined) {
      queue = new PQueue({ concurrency: Math.max(1, options.http1Limit ?? DEFAULT_HTTP1_LIMIT) });
      http1Queues.set(url.origin, queue);
    }
    return queue.add(() => fallback(url.href, init));
  };
  const sessionFor = (origin: string): Promise<http2.ClientHttp2Session> => {
    const known = sessions.get(origin);
    if (known !== undefined) return known;
    const session = connect(origin, options, () => {
      if (sessions.get(origin) === session) sessions.delete(origin);
    });
    sessions.set(origin, session);
    return session;
  };

  const registryFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    const get = init?.method === undefined || init.method === 'GET';
    if (url.protocol !== 'https:' || !get || http1Only.has(url.origin)) return viaFetch(url, init);
    let session: http2.ClientHttp2Session;
    try {
      session = await sessionFor(url.origin);
      if (session.closed || session.destroyed) {
        // Dropped since it was made, before its 'close' was seen: make another.
        sessions.delete(url.origin);
        session = await sessionFor(url.origin);
      }
    } catch {
      // No HTTP/2 here, or no connection at all: HTTP/1.1 from now on, which reports its own errors.
      http1Only.add(url.origin);
      return viaFetch(url, init);
    }
    const response = await request(session, url, init);
    return response ?? viaFetch(url, init);
  };

  return {
    fetch: registryFetch as typeof fetch,
    close: () => {
      for (const session of sessions.values()) void session.then((s) => s.close(), () => undefined);
      sessions.clear();
    },
  };
}
