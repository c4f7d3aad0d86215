import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { AssayError, EXIT, errorMessage } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import { escapeTerminal } from '../core/text.js';
import type { ServeSource } from '../report/html/routes.js';
import { createHandler } from '../report/html/routes.js';
import type { Store } from '../store/index.js';
import { openStore } from '../store/index.js';
import type { Io } from './io.js';
import { defaultDbPath } from './options.js';

interface ServeFlags {
  port: string;
  host: string;
  db?: string;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
/** How long open keep-alive connections get to finish after the stop signal before they are cut. */
const CLOSE_GRACE_MS = 2000;

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

export function parsePort(value: string): number {
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535) {
    throw new AssayError('usage', `--port expects a port number from 0 to 65535, got "${value}"`);
  }
  return Number(value);
}

function parseHost(value: string): string {
  const bare = value.replace(/^\[|\]$/g, '');
  if (bare === '' || bare.length > 253 || !/^[A-Za-z0-9.:-]+$/.test(bare)) {
    throw new AssayError('usage', `--host expects an IP address or host name, got "${value}"`);
  }
  return bare;
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:8080` (no trailing slash). */
  origin: string;
  port: number;
  server: Server;
  /** Stops accepting, lets open requests finish, then cuts idle and (after a grace period) busy connections. */
  close(): Promise<void>;
}

export interface StartOptions {
  source: ServeSource;
  host: string;
  port: number;
  log?: (line: string) => void;
  pageSize?: number;
}

function originOf(host: string, port: number): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** Starts the HTTP server; resolves once it is listening (so port 0 has become a real port). */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  // The handler is attached once listening, so that its links carry the real port when 0 was asked for.
  const server = createServer({ maxHeaderSize: 16 * 1024, requestTimeout: 30_000, headersTimeout: 10_000 });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    throw new AssayError('usage', `cannot listen on ${options.host}:${options.port}: ${errorMessage(error)}`, { cause: error });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = originOf(options.host, port);
  const handlerOptions = {
    origin,
    ...(options.log === undefined ? {} : { log: options.log }),
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
  };
  server.on('request', createHandler(options.source, handlerOptions));
  return { origin, port, server, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** The store is the source: its catalog, latest scan and history queries are all the pages need. */
export function serveSource(dbPath: string): { source: ServeSource; close(): void } {
  const store: Store = openStore(dbPath);
  return { source: store, close: () => store.close() };
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

async function serve(flags: ServeFlags, io: Io, signal: AbortSignal): Promise<ExitCode> {
  const port = parsePort(flags.port);
  const host = parseHost(flags.host);
  const { source, close } = serveSource(flags.db ?? defaultDbPath());
  try {
    if (!isLoopback(host)) {
      io.err(`mcp-assay: warning: serving on ${escapeTerminal(host)}, which other machines may reach; the catalog has no authentication\n`);
    }
    const running = await startServer({ source, host, port, log: (line) => io.err(`${escapeTerminal(line)}\n`) });
    io.err(`mcp-assay: serving the catalog at ${running.origin}/ (Ctrl-C to stop)\n`);
    await waitForAbort(signal);
    await running.close();
    io.err('mcp-assay: stopped\n');
    return EXIT.ok;
  } finally {
    close();
  }
}

export function registerServe(program: Command, io: Io, signal: AbortSignal, setExit: (code: ExitCode) => void): void {
  program
    .command('serve')
    .description('serve the stored scans as web pages, a JSON API and SVG badges')
    .option('--port <port>', 'TCP port (0 picks a free one)', String(DEFAULT_PORT))
    .option('--host <host>', 'address to bind; anything but loopback is reachable from other machines', DEFAULT_HOST)
    .option('--db <path>', 'SQLite database to read')
    .action(async (flags: ServeFlags) => {
      setExit(await serve(flags, io, signal));
    });
}
