import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RouteReply {
  status?: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings and buffers verbatim. */
  body?: unknown;
  /** Send the headers, then never finish the body (to test timeouts and aborts). */
  hang?: boolean;
}

/** `hit` counts requests to this route, starting at 1. */
export type RouteHandler = (url: URL, hit: number, req: IncomingMessage) => RouteReply | Promise<RouteReply>;

export interface JsonServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** Requests per route pathname (the raw, still-escaped path). */
  hits: Map<string, number>;
  /** Every request's raw path and query, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP server answering from a route table keyed by raw pathname (`/-/v1/search`,
 * `/@scope%2fname`). Unknown paths get 404 JSON.
 */
export async function startJsonServer(routes: Record<string, RouteHandler>): Promise<JsonServer> {
  const hits = new Map<string, number>();
  const requests: string[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const raw = req.url ?? '/';
    requests.push(raw);
    const pathname = raw.split('?', 1)[0] ?? '/';
    const hit = (hits.get(pathname) ?? 0) + 1;
    hits.set(pathname, hit);
    const handler = routes[pathname];
    if (handler === undefined) {
      send(res, { status: 404, body: { error: 'not found' } });
      return;
    }
    open.add(res);
    res.on('close', () => open.delete(res));
    Promise.resolve(handler(new URL(raw, 'http://127.0.0.1'), hit, req))
      .then((reply) => send(res, reply))
      .catch(() => send(res, { status: 500, body: { error: 'handler threw' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    requests,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, reply: RouteReply): void {
  const body = encode(reply.body);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...reply.headers };
  if (reply.hang === true) {
    res.writeHead(reply.status ?? 200, headers);
    res.write(body.subarray(0, Math.min(1, body.length)));
    return;
  }
  res.writeHead(reply.status ?? 200, headers);
  res.end(body);
}

function encode(body: unknown): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(JSON.stringify(body));
}

/** Collects a source's items and its end status. */
export async function drain<T, R>(gen: AsyncGenerator<T, R, undefined>): Promise<{ items: T[]; end: R }> {
  const items: T[] = [];
  for (;;) {
    const next = await gen.next();
    if (next.done === true) return { items, end: next.value };
    items.push(next.value);
  }
}
