// A DNS server for the sandbox's own loopback: every A query is answered with 127.0.0.1 so that code trying
// to reach a host connects to our listeners instead, and every name asked for is recorded. Plain JavaScript,
// no dependencies: this runs inside the container. Packets come from untrusted code, so parsing is bounded.
import dgram from 'node:dgram';

const QTYPES = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 64: 'SVCB', 65: 'HTTPS', 255: 'ANY' };
const MAX_NAME = 255;
const MAX_LABELS = 128;
const MAX_JUMPS = 16;

export function qtypeName(code) {
  return QTYPES[code] ?? `TYPE${code}`;
}

function labelText(buf, start, end) {
  let out = '';
  for (let i = start; i < end; i++) {
    const b = buf[i];
    // Printable ASCII except the characters that would make the name ambiguous; the rest as \DDD like dig.
    out += b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x5c ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  }
  return out;
}

/**
 * Reads a domain name at `offset`. Compression pointers are followed only backwards and at most
 * MAX_JUMPS times, so a pointer loop ends. Returns { name, end } (end: offset after the name in the
 * original position) or undefined for a malformed name.
 */
export function readName(buf, offset) {
  const labels = [];
  let pos = offset;
  let end;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (pos >= buf.length) return undefined;
    const len = buf[pos];
    if (len === 0) {
      end ??= pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) return undefined;
      const target = ((len & 0x3f) << 8) | buf[pos + 1];
      if (target >= pos || ++jumps > MAX_JUMPS) return undefined;
      end ??= pos + 2;
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) return undefined;
    if (pos + 1 + len > buf.length || labels.length >= MAX_LABELS) return undefined;
    length += len + 1;
    if (length > MAX_NAME) return undefined;
    labels.push(labelText(buf, pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return { name: labels.join('.'), end };
}

/** Parses the first question of a query. Returns undefined when the packet is not a readable query. */
export function parseQuery(buf) {
  if (buf.length < 12 || buf.length > 4096) return undefined;
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) return undefined; // a response, not a query
  const qdcount = buf.readUInt16BE(4);
  if (qdcount < 1) return undefined;
  const name = readName(buf, 12);
  if (!name || name.end + 4 > buf.length) return undefined;
  return { id: buf.readUInt16BE(0), flags, name: name.name, qtype: buf.readUInt16BE(name.end), qclass: buf.readUInt16BE(name.end + 2), question: buf.subarray(12, name.end + 4) };
}

function encodeIPv4(address) {
  return Buffer.from(address.split('.').map((p) => Number(p) & 0xff));
}

/** Builds the answer: A → answerV4, everything else → NOERROR with no records. */
export function buildResponse(query, answerV4 = '127.0.0.1') {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.id, 0);
  // QR, the query's opcode, AA, the query's RD, RA; rcode 0.
  header.writeUInt16BE(0x8000 | (query.flags & 0x7800) | 0x0400 | (query.flags & 0x0100) | 0x0080, 2);
  header.writeUInt16BE(1, 4);
  const answers = [];
  if (query.qtype === 1 && query.qclass === 1) {
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(60, 6);
    rr.writeUInt16BE(4, 10);
    answers.push(Buffer.concat([rr, encodeIPv4(answerV4)]));
  }
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, query.question, ...answers]);
}

function formErr(buf) {
  const header = Buffer.alloc(12);
  buf.copy(header, 0, 0, 2);
  header.writeUInt16BE(0x8001, 2);
  return header;
}

/**
 * Starts the resolver. Options: host, port (0 for any), phase, maxNames, answerV4, onEvent(event).
 * Returns { port, events, stats, close() }.
 */
export function startResolver(options = {}) {
  const { host = '127.0.0.1', port = 53, phase = 'start', maxNames = 1000, answerV4 = '127.0.0.1', onEvent } = options;
  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  const events = [];
  const seen = new Set();
  const stats = { queries: 0, malformed: 0, dropped: 0 };
  socket.on('message', (msg, rinfo) => {
    stats.queries++;
    const query = parseQuery(msg);
    if (!query) {
      stats.malformed++;
      if (msg.length >= 12 && !(msg.readUInt16BE(2) & 0x8000)) socket.send(formErr(msg), rinfo.port, rinfo.address);
      return;
    }
    const key = `${query.name}\0${query.qtype}`;
    if (!seen.has(key)) {
      if (events.length < maxNames) {
        seen.add(key);
        const event = { type: 'dns', phase, name: query.name.slice(0, 512), qtype: qtypeName(query.qtype) };
        events.push(event);
        onEvent?.(event);
      } else {
        stats.dropped++;
      }
    }
    socket.send(buildResponse(query, answerV4), rinfo.port, rinfo.address);
  });
  socket.on('error', () => {});
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve({ port: socket.address().port, events, stats, close: () => new Promise((r) => socket.close(() => r())) });
    });
  });
}
