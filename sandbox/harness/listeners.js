// TCP listeners on the sandbox's own loopback. Whatever the code under test sends to a "remote" host lands
// here (the resolver points every name at 127.0.0.1); the first bytes of each connection are recorded with
// the HTTP method, Host and path or the TLS server name, and nothing ever leaves the container.
import net from 'node:net';

export const DEFAULT_PORTS = [80, 443, 8080, 8443, 3000, 5000, 8000, 8888, 25, 21, 22];
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE'];

const clip = (s, max) => (s.length > max ? s.slice(0, max) : s);

/**
 * Reads the SNI host name from a TLS ClientHello. Every length is checked against the bytes actually
 * present, so a truncated or lying hello yields undefined, never an exception or a read past the end.
 */
export function parseClientHelloSni(buf) {
  if (buf.length < 5 || buf[0] !== 0x16 || buf[1] !== 0x03) return undefined;
  const recordEnd = Math.min(buf.length, 5 + buf.readUInt16BE(3));
  let p = 5;
  if (p + 4 > recordEnd || buf[p] !== 0x01) return undefined;
  p += 4; // handshake type + 24-bit length
  p += 2 + 32; // client version + random
  if (p + 1 > recordEnd) return undefined;
  p += 1 + buf[p]; // session id
  if (p + 2 > recordEnd) return undefined;
  p += 2 + buf.readUInt16BE(p); // cipher suites
  if (p + 1 > recordEnd) return undefined;
  p += 1 + buf[p]; // compression methods
  if (p + 2 > recordEnd) return undefined;
  const extEnd = Math.min(recordEnd, p + 2 + buf.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    p += 4;
    if (p + len > extEnd) return undefined;
    if (type === 0x0000) {
      // server_name list: 2-byte list length, then entries of type(1) + length(2) + name.
      let q = p + 2;
      while (q + 3 <= p + len) {
        const nameType = buf[q];
        const nameLen = buf.readUInt16BE(q + 1);
        q += 3;
        if (q + nameLen > p + len) return undefined;
        if (nameType === 0) return printable(buf.subarray(q, q + nameLen).toString('latin1'), 512);
        q += nameLen;
      }
      return undefined;
    }
    p += len;
  }
  return undefined;
}

function printable(text, max) {
  let out = '';
  for (const ch of clip(text, max)) {
    const c = ch.charCodeAt(0);
    out += (c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09 ? ch : '.';
  }
  return out;
}

/** Method, path and Host of an HTTP/1 request head, if the bytes start with one. */
export function parseHttpHead(buf) {
  const head = buf.subarray(0, 4096).toString('latin1');
  const lineEnd = head.indexOf('\r\n') === -1 ? head.indexOf('\n') : head.indexOf('\r\n');
  const requestLine = lineEnd === -1 ? head : head.slice(0, lineEnd);
  const parts = requestLine.split(' ');
  if (parts.length < 2 || !HTTP_METHODS.includes(parts[0])) return undefined;
  const result = { method: parts[0], path: printable(parts[1], 2048) };
  const hostLine = /(?:^|\n)host:[ \t]*([^\r\n]{0,512})/i.exec(head.slice(0, head.indexOf('\r\n\r\n') === -1 ? head.length : head.indexOf('\r\n\r\n')));
  if (hostLine) result.host = printable(hostLine[1].trim(), 512);
  return result;
}

/** Turns the first bytes of a connection into a capture event. */
export function describeCapture(buf, port, phase) {
  const event = { type: 'capture', phase, port, excerpt: printable(buf.toString('latin1'), 2048), bytes: buf.length };
  const sni = parseClientHelloSni(buf);
  if (sni !== undefined) {
    event.sni = sni;
    event.excerpt = `[TLS ClientHello${sni ? ` sni=${sni}` : ''}]`;
    return event;
  }
  const http = parseHttpHead(buf);
  if (http) Object.assign(event, http);
  return event;
}

/**
 * Starts a listener on each port (a port that cannot be bound is recorded in `failed`, not fatal).
 * Options: host, ports, phase, maxBytes, windowMs, maxConnections, onEvent(event).
 */
export async function startListeners(options = {}) {
  const { host = '127.0.0.1', ports = DEFAULT_PORTS, phase = 'start', maxBytes = 4096, windowMs = 2000, maxConnections = 1000, onEvent } = options;
  const events = [];
  const stats = { connections: 0, dropped: 0 };
  const servers = [];
  const bound = [];
  const failed = [];
  const sockets = new Set();

  const onConnection = (socket, port) => {
    stats.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const chunks = [];
    let size = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const buf = Buffer.concat(chunks).subarray(0, maxBytes);
      if (events.length < maxConnections) {
        const event = describeCapture(buf, port, phase);
        events.push(event);
        onEvent?.(event);
      } else {
        stats.dropped++;
      }
      // An HTTP client gets an empty answer so it finishes; anything else is simply closed.
      if (parseHttpHead(buf)) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      else socket.end();
      setTimeout(() => socket.destroy(), 500).unref();
    };
    const timer = setTimeout(finish, windowMs);
    socket.on('data', (chunk) => {
      if (done) return;
      chunks.push(chunk);
      size += chunk.length;
      if (size >= maxBytes) finish();
      else if (looksComplete(Buffer.concat(chunks))) finish();
    });
    socket.on('end', finish);
    socket.on('error', finish);
  };

  for (const port of ports) {
    const server = net.createServer((socket) => onConnection(socket, server.address()?.port ?? port));
    try {
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', () => {});
      servers.push(server);
      bound.push(server.address().port);
    } catch (err) {
      failed.push({ port, error: String(err?.code ?? err) });
    }
  }
  const close = async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r()))));
  };
  return { ports: bound, failed, events, stats, close };
}

/** An HTTP request whose head and declared body have arrived, or a complete TLS record, needs no more waiting. */
function looksComplete(buf) {
  if (buf[0] === 0x16 && buf.length >= 5) return buf.length >= 5 + buf.readUInt16BE(3);
  const text = buf.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd === -1 || !parseHttpHead(buf)) return false;
  const length = /\r\ncontent-length:[ \t]*(\d{1,9})/i.exec(text.slice(0, headEnd));
  return buf.length >= headEnd + 4 + (length ? Number(length[1]) : 0);
}
