import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import { ANSI_TEXT, BIDI_TEXT, HOSTILE_NAME, ODD_NAME, SCRIPT_DESCRIPTION, fillStore } from '../report/html/test-helpers/hostile-store.js';
import { SECURITY_HEADERS } from '../report/html/routes.js';
import type { Io } from './io.js';
import type { RunningServer } from './serve.js';
import { isLoopback, parsePort, registerServe, serveSource, startServer } from './serve.js';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(origin: string, pathAndQuery: string, method = 'GET'): Promise<Res> {
  return new Promise((resolve, reject) => {
    const url = new URL(origin);
    const req = request({ host: url.hostname, port: url.port, path: pathAndQuery, method, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

let work: string;
let running: RunningServer;
let closeSource: () => void;
const logged: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'assay-serve-'));
  const db = path.join(work, 'assay.db');
  fillStore(db);
  const opened = serveSource(db);
  closeSource = opened.close;
  running = await startServer({ source: opened.source, host: '127.0.0.1', port: 0, log: (l) => logged.push(l), pageSize: 2 });
});

afterAll(async () => {
  await running.close();
  closeSource();
  rmSync(work, { recursive: true, force: true });
});

/** Every piece of hostile text must arrive escaped: no raw tag, no raw control or bidi character. */
function expectInert(body: string): void {
  expect(body).not.toMatch(/<script/i);
  expect(body).not.toMatch(/<img src=x/i);
  // The text may say `onerror=`; no tag may carry it.
  expect(body).not.toMatch(/<[a-z][^<>]*\sonerror=/i);
  expect(body).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u{e0000}-\u{e007f}]/u);
}

describe('serve routes', () => {
  it.each([
    ['/', 200, 'text/html; charset=utf-8'],
    ['/static/style.css', 200, 'text/css; charset=utf-8'],
    ['/api/servers', 200, 'application/json; charset=utf-8'],
    [`/server/${HOSTILE_NAME}`, 200, 'text/html; charset=utf-8'],
    [`/api/servers/${HOSTILE_NAME}`, 200, 'application/json; charset=utf-8'],
    [`/badge/${HOSTILE_NAME}.svg`, 200, 'image/svg+xml; charset=utf-8'],
    ['/badge/nobody.svg', 404, 'image/svg+xml; charset=utf-8'],
    ['/server/nobody', 404, 'text/html; charset=utf-8'],
    ['/api/servers/nobody', 404, 'application/json; charset=utf-8'],
    ['/nowhere', 404, 'text/html; charset=utf-8'],
    ['/../../etc/passwd', 404, 'text/html; charset=utf-8'],
    ['/static/../../package.json', 404, 'text/html; charset=utf-8'],
    ['/?sort=evil', 400, 'text/html; charset=utf-8'],
    ['/?verdict=maybe', 400, 'text/html; charset=utf-8'],
    ['/?page=0', 400, 'text/html; charset=utf-8'],
    ['/?page=-1', 400, 'text/html; charset=utf-8'],
    ['/?page=1e3', 400, 'text/html; charset=utf-8'],
    ['/?page=9999999', 400, 'text/html; charset=utf-8'],
    [`/?q=${'a'.repeat(101)}`, 400, 'text/html; charset=utf-8'],
    ['/?q=a&q=b', 400, 'text/html; charset=utf-8'],
    ['/api/servers?sort=evil', 400, 'application/json; charset=utf-8'],
    ['/server/%E0%A4%A', 400, 'text/html; charset=utf-8'],
    [`/server/${'x'.repeat(301)}`, 400, 'text/html; charset=utf-8'],
    [`/server/${HOSTILE_NAME}?version=${'9'.repeat(201)}`, 400, 'text/html; charset=utf-8'],
    [`/?q=${'a'.repeat(5000)}`, 414, 'text/html; charset=utf-8'],
  ])('GET %s → %i', async (route, status, type) => {
    const res = await get(running.origin, route);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe(type);
    for (const [key, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers[key.toLowerCase()]).toBe(value);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
  });

  it('sends the strict CSP and nosniff on every answer', async () => {
    const res = await get(running.origin, '/');
    expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'; style-src 'self'; img-src 'self'/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).not.toMatch(/style="/);
    expect(res.body).not.toMatch(/<script/);
  });

  it('answers HEAD with the headers and no body', async () => {
    const get1 = await get(running.origin, `/server/${HOSTILE_NAME}`);
    const head = await get(running.origin, `/server/${HOSTILE_NAME}`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get1.body)));
  });

  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS'])('refuses %s with 405 and Allow', async (method) => {
    const res = await get(running.origin, '/', method);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});

describe('hostile package text', () => {
  it('renders the server page inert, with invisible characters as markers', async () => {
    const res = await get(running.origin, `/server/${HOSTILE_NAME}`);
    expectInert(res.body);
    expect(res.body).toContain('Reads a file. &lt;script&gt;alert(1)&lt;/script&gt; then done.');
    expect(res.body).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(res.body).toContain('<span class="inv">⟨U+001B⟩</span>[31mred');
    expect(res.body).toContain('<span class="inv">⟨U+202E⟩</span>gnp.exe');
    expect(res.body).toContain('zero<span class="inv">⟨U+200B⟩</span>width');
    expect(res.body).toContain('<span class="inv">⟨U+E0041⟩</span>');
    expect(res.body).toMatch(/holds \d+ invisible or control characters/);
  });

  it('shows the finding with its evidence and location, escaped', async () => {
    const res = await get(running.origin, `/server/${HOSTILE_NAME}`);
    expect(res.body).toContain('tools/hidden-instructions');
    expect(res.body).toContain('src/&lt;img src=x onerror=alert(3)&gt;.js:7:3');
    expect(res.body).toContain('&lt;script&gt;alert(4)&lt;/script&gt;<span class="inv">⟨U+202E⟩</span>');
    expect(res.body).toContain('threat: &lt;b&gt;<span class="inv">⟨U+200B⟩</span>hidden&lt;/b&gt;');
  });

  it('shows what changed between the two releases', async () => {
    const res = await get(running.origin, `/server/${HOSTILE_NAME}`);
    expect(res.body).toContain('1.0.0 → 2.0.0');
    expect(res.body).toContain('possible rug pull');
    expect(res.body).toMatch(/added text: <span class="text added">.*&lt;script&gt;alert\(1\)/);
  });

  it('serves an odd package name through URL encoding everywhere', async () => {
    const encoded = encodeURIComponent(ODD_NAME);
    const catalog = await get(running.origin, `/?q=${encodeURIComponent('na me')}`);
    expect(catalog.body).toContain(`href="/server/${encoded.replace(/&/g, '&amp;')}"`);
    expect(catalog.body).toContain('@odd/na me?x=1&amp;y=&quot;&lt;b&gt;#frag');
    const page = await get(running.origin, `/server/${encoded}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>@odd/na me?x=1&amp;y=&quot;&lt;b&gt;#frag · mcp-assay</title>');
    const badge = await get(running.origin, `/badge/${encoded}.svg`);
    expect(badge.status).toBe(200);
    expect(badge.body).toContain('&quot;&lt;b&gt;#frag');
    const api = await get(running.origin, `/api/servers/${encoded}`);
    expect(JSON.parse(api.body).name).toBe(ODD_NAME);
  });

  it('keeps the JSON API ASCII, so control and bidi characters travel as escapes', async () => {
    const res = await get(running.origin, `/api/servers/${HOSTILE_NAME}`);
    expect(res.body).toMatch(/^[\n\u0020-\u007e]*$/);
    const body = JSON.parse(res.body) as { report: { tools: { description: string }[] }; history: unknown[]; changes: unknown[] };
    expect(body.report.tools.map((t) => t.description)).toEqual(expect.arrayContaining([SCRIPT_DESCRIPTION, ANSI_TEXT, BIDI_TEXT]));
    expect(body.history).toHaveLength(2);
    expect(body.changes).toHaveLength(1);
  });
});

describe('catalog', () => {
  it('searches, filters, sorts and pages', async () => {
    const page1 = JSON.parse((await get(running.origin, '/api/servers?sort=score-asc')).body) as { total: number; pages: number; items: { name: string; score: { value: number } }[] };
    expect(page1.total).toBe(5);
    expect(page1.pages).toBe(3);
    expect(page1.items.map((i) => i.name)).toEqual([HOSTILE_NAME, ODD_NAME]);
    const page3 = JSON.parse((await get(running.origin, '/api/servers?sort=score-asc&page=3')).body) as typeof page1;
    expect(page3.items.map((i) => i.name)).toEqual(['alpha-mcp']);
    const failing = JSON.parse((await get(running.origin, '/api/servers?verdict=fail')).body) as typeof page1;
    expect(failing.items.map((i) => i.name)).toEqual([HOSTILE_NAME]);
    const search = JSON.parse((await get(running.origin, '/api/servers?q=BETA')).body) as typeof page1;
    expect(search.items.map((i) => i.name)).toEqual(['beta-mcp']);
  });

  it('keeps the search in the form and the pager links', async () => {
    const res = await get(running.origin, '/?q=mcp&sort=score-desc');
    expect(res.body).toContain('value="mcp"');
    expect(res.body).toContain('<option value="score-desc" selected>');
    expect(res.body).toContain('href="/?q=mcp&amp;sort=score-desc&amp;page=2"');
  });
});

describe('the serve command', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
  ])('isLoopback(%s) = %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });

  it.each(['-1', '65536', 'http', '80a', ''])('refuses --port %s', (value) => {
    expect(() => parsePort(value)).toThrow(/--port/);
  });

  it('serves until the signal, warns on a non-loopback host, and exits 0', async () => {
    let err = '';
    const io: Io = { out: () => undefined, err: (t) => void (err += t), interactive: false, color: false };
    const controller = new AbortController();
    let code: ExitCode = EXIT.internal;
    const program = new Command('mcp-assay').exitOverride();
    registerServe(program, io, controller.signal, (c) => (code = c));
    const done = program.parseAsync(['serve', '--port', '0', '--host', '0.0.0.0', '--db', path.join(work, 'cmd.db')], { from: 'user' });
    for (let i = 0; i < 100 && !err.includes('serving the catalog at'); i += 1) await new Promise((r) => setTimeout(r, 20));
    expect(err).toMatch(/warning: serving on 0\.0\.0\.0/);
    const origin = /at (http:\/\/[^ ]+?)\//.exec(err)?.[1] ?? '';
    const res = await get(origin.replace('0.0.0.0', '127.0.0.1'), '/');
    expect(res.status).toBe(200);
    controller.abort();
    await done;
    expect(code).toBe(EXIT.ok);
    expect(err).toContain('stopped');
  });

  it('does not warn on loopback', async () => {
    let err = '';
    const io: Io = { out: () => undefined, err: (t) => void (err += t), interactive: false, color: false };
    const controller = new AbortController();
    const program = new Command('mcp-assay').exitOverride();
    registerServe(program, io, controller.signal, () => undefined);
    const done = program.parseAsync(['serve', '--port', '0', '--db', path.join(work, 'cmd.db')], { from: 'user' });
    for (let i = 0; i < 100 && !err.includes('serving the catalog at'); i += 1) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await done;
    expect(err).toMatch(/serving the catalog at http:\/\/127\.0\.0\.1:\d+\//);
    expect(err).not.toContain('warning');
  });
});
