import { describe, expect, it } from 'vitest';
import {
  classifySensitivePath, decodeCString, extractHarnessBlock, HARNESS_MARKER_BEGIN, parseHarnessEvents, parseStrace, STRACE_ARGS,
} from './strace.js';
import { STRACE_ARGS as HARNESS_STRACE_ARGS } from '../../sandbox/harness/launch.js';

const HOME = '/home/sandbox';

describe('parseStrace', () => {
  it('reads exec, open, connect, sendto and kill lines with pid prefixes', () => {
    const text = [
      '101   12:00:00.000001 execve("/usr/local/bin/node", ["node", "/pkg/index.js"], 0x7ffd /* 12 vars */) = 0',
      '101   12:00:00.000002 openat(AT_FDCWD, "/home/sandbox/.ssh/id_rsa", O_RDONLY|O_CLOEXEC) = 21',
      '101   12:00:00.000003 openat(AT_FDCWD, "/etc/cron.d/x", O_WRONLY|O_CREAT|O_TRUNC, 0644) = -1 EROFS (Read-only file system)',
      '102   12:00:00.000004 connect(22, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)',
      '102   12:00:00.000005 connect(23, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
      '102   12:00:00.000006 connect(24, {sa_family=AF_UNIX, sun_path="/var/run/docker.sock"}, 110) = -1 ENOENT (No such file or directory)',
      '102   12:00:00.000007 sendto(25, "\\x12\\x34", 2, MSG_NOSIGNAL, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.1")}, 16) = 2',
      '102   12:00:00.000008 sendto(26, "abc", 3, 0, NULL, 0) = 3',
      '101   12:00:00.000009 kill(102, SIGKILL) = 0',
      '102   12:00:00.000010 +++ killed by SIGKILL +++',
      '101   12:00:00.000011 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_KILLED} ---',
      '101   12:00:00.000012 open("/etc/passwd", O_RDONLY) = 3',
    ].join('\n');
    const r = parseStrace(text, { phase: 'start' });
    expect(r.garbage).toBe(0);
    expect(r.events).toEqual([
      { type: 'exec', phase: 'start', pid: 101, path: '/usr/local/bin/node', argv: ['node', '/pkg/index.js'] },
      { type: 'open', phase: 'start', pid: 101, path: '/home/sandbox/.ssh/id_rsa', write: false, ok: true },
      { type: 'open', phase: 'start', pid: 101, path: '/etc/cron.d/x', write: true, ok: false, errno: 'EROFS' },
      { type: 'connect', phase: 'start', pid: 102, family: 'inet', address: '127.0.0.1', port: 443, ok: false, errno: 'EINPROGRESS' },
      { type: 'connect', phase: 'start', pid: 102, family: 'inet6', address: '::1', port: 80, ok: true },
      { type: 'connect', phase: 'start', pid: 102, family: 'unix', address: '/var/run/docker.sock', ok: false, errno: 'ENOENT' },
      { type: 'connect', phase: 'start', pid: 102, family: 'inet', address: '127.0.0.1', port: 53, ok: true },
      { type: 'signal', phase: 'start', pid: 102, signal: 'SIGKILL' },
      { type: 'signal', phase: 'start', pid: 102, signal: 'SIGKILL' },
      { type: 'open', phase: 'start', pid: 101, path: '/etc/passwd', write: false, ok: true },
    ]);
  });

  it('joins <unfinished ...> with its <... resumed> half, across interleaved pids', () => {
    const text = [
      '7 12:00:00.1 connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16 <unfinished ...>',
      '8 12:00:00.2 openat(AT_FDCWD, "/tmp/a", O_RDONLY) = 4',
      '7 12:00:00.3 <... connect resumed>) = 0',
      '9 12:00:00.4 <... openat resumed>) = 0',
      '10 12:00:00.5 execve("/bin/sh", ["sh" <unfinished ...>',
    ].join('\n');
    const r = parseStrace(text, { phase: 'install' });
    expect(r.events.map((e) => e.type)).toEqual(['open', 'connect']);
    expect(r.events[1]).toMatchObject({ address: '127.0.0.1', port: 80, ok: true });
    expect(r.unmatched).toBe(2); // pid 9 resumed without a start, pid 10 never resumed
  });

  it('also reads lines without a pid prefix or timestamp and [pid N] prefixes', () => {
    const r = parseStrace('execve("/bin/true", ["true"], 0x1) = 0\n[pid  42] openat(AT_FDCWD, "x", O_RDONLY) = 3', { phase: 'start' });
    expect(r.events).toMatchObject([{ type: 'exec', pid: 0 }, { type: 'open', pid: 42, path: 'x' }]);
  });

  it.each([
    ['"plain"', 'plain', false],
    ['"tab\\there"', 'tab\there', false],
    ['"q\\"uote\\\\"', 'q"uote\\', false],
    ['"\\x41\\x42\\103"', 'ABC', false],
    ['"\\303\\251t\\303\\251"', 'été', false],
    ['"cut"...', 'cut', true],
    ['"no end', 'no end', true],
    ['0x7ffd12', undefined, false],
  ])('decodes C string %s', (raw, value, truncated) => {
    const d = decodeCString(raw);
    if (value === undefined) expect(d).toBeUndefined();
    else expect(d).toEqual({ value, truncated });
  });

  it('keeps ANSI and bidi characters in paths as data, bounded', () => {
    const r = parseStrace(`1 openat(AT_FDCWD, "/tmp/\\33[31mred\\342\\200\\256txt", O_RDONLY) = 3`, { phase: 'start' });
    expect(r.events[0]).toMatchObject({ path: '/tmp/\u001b[31mred\u202etxt' });
  });

  it('counts garbage, caps huge lines and stops at maxEvents', () => {
    const lines = ['garbage here', 'openat(((((', '\u0000\u0001binary', `1 openat(AT_FDCWD, "${'a'.repeat(100_000)}", O_RDONLY) = 3`];
    for (let i = 0; i < 50; i++) lines.push(`1 openat(AT_FDCWD, "/f${i}", O_RDONLY) = 3`);
    const r = parseStrace(lines.join('\n'), { phase: 'start', maxEvents: 10, maxLineChars: 1000 });
    expect(r.garbage).toBe(3);
    expect(r.oversized).toBe(1);
    expect(r.events).toHaveLength(10);
    expect(r.truncated).toBe(true);
    // The cut line still yields its (truncated) path, within the schema's bound.
    expect(r.events[0]?.type === 'open' && r.events[0].path.length).toBeLessThanOrEqual(4096);
  });

  it('bounds argv at 64 entries and each at 1024 characters', () => {
    const argv = Array.from({ length: 100 }, () => `"${'x'.repeat(2000)}"`).join(', ');
    const r = parseStrace(`1 execve("/bin/echo", [${argv}], 0x1) = 0`, { phase: 'start', maxLineChars: 1_000_000 });
    const e = r.events[0];
    expect(e?.type).toBe('exec');
    if (e?.type === 'exec') {
      expect(e.argv).toHaveLength(64);
      expect(e.argv[0]).toHaveLength(1024);
    }
  });

  it('handles a 1 MB trace of unfinished calls without growing the pending map past its cap', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `${i} openat(AT_FDCWD, "/x", O_RDONLY <unfinished ...>`);
    const r = parseStrace(lines.join('\n'), { phase: 'start', maxPending: 100 });
    expect(r.unmatched).toBe(20_000);
    expect(r.events).toHaveLength(0);
  });

  it('uses the same strace arguments as the harness', () => {
    expect([...STRACE_ARGS]).toEqual(HARNESS_STRACE_ARGS);
  });
});

describe('classifySensitivePath', () => {
  it.each([
    ['/home/sandbox/.ssh/id_rsa', 'ssh'],
    ['/home/sandbox/.ssh/../.ssh/id_ed25519', 'ssh'],
    ['/home/sandbox/.aws/credentials', 'cloud-credentials'],
    ['/pkg/.npmrc', 'package-token'],
    ['/pkg/.env', 'dotenv'],
    ['/pkg/.env.production', 'dotenv'],
    ['/home/sandbox/.cursor/mcp.json', 'mcp-config'],
    ['/home/sandbox/.config/Claude/claude_desktop_config.json', 'mcp-config'],
    ['/etc/shadow', 'system-secrets'],
    ['/proc/self/environ', 'system-secrets'],
    ['/home/sandbox/.mozilla/firefox/x.default/logins.json', 'browser-profile'],
    ['/home/sandbox/.config/google-chrome/Default/Cookies', 'browser-profile'],
    ['/home/sandbox/.gnupg/private-keys-v1.d/a.key', 'keychain'],
    ['/home/sandbox/.git-credentials', 'git-credentials'],
  ])('%s is %s', (p, category) => {
    expect(classifySensitivePath(p, HOME)).toBe(category);
  });

  it.each(['/pkg/index.js', '/etc/passwd', '/usr/lib/node_modules/x/.envrc-not', '/home/sandbox/notes.txt', '/tmp/ssh'])('%s is ordinary', (p) => {
    expect(classifySensitivePath(p, HOME)).toBeUndefined();
  });
});

describe('harness event output', () => {
  const good = JSON.stringify({ type: 'dns', phase: 'start', name: 'evil.example', qtype: 'A' });
  it('parses events.jsonl, dropping lines that fail the schema or are not harness events', () => {
    const text = [good, '{"type":"exec","phase":"start","pid":1,"path":"/x","argv":[]}', 'not json', JSON.stringify({ type: 'dns', phase: 'start', name: 'x'.repeat(600), qtype: 'A' })].join('\n');
    const r = parseHarnessEvents(text);
    expect(r.events).toHaveLength(1);
    expect(r.garbage).toBe(3);
  });

  it('takes the last well-formed marker block and ignores forged ones', () => {
    const nonce = 'a'.repeat(32);
    const stderr = [
      'server log',
      `${HARNESS_MARKER_BEGIN} ${'b'.repeat(32)}`, '{"forged":1}', `@@ASSAY-EVENTS-END ${'c'.repeat(32)} 1`,
      `${HARNESS_MARKER_BEGIN} ${nonce}`, good, `@@ASSAY-EVENTS-END ${nonce} 1`,
      `@@ASSAY-EVENTS-END ${nonce} 5`,
    ].join('\n');
    expect(extractHarnessBlock(stderr)).toBe(good);
    expect(extractHarnessBlock('nothing here')).toBeUndefined();
  });
});
