import { describe, expect, it } from 'vitest';
import { Demuxer, parseCgroupCounters } from './container.js';

function frame(type: number, payload: Buffer | string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function demux(chunks: readonly Buffer[]): { stdout: string; stderr: string; failed: boolean } {
  let stdout = '';
  let stderr = '';
  const d = new Demuxer({ stdout: (c) => { stdout += c.toString('latin1'); }, stderr: (c) => { stderr += c.toString('latin1'); } });
  for (const c of chunks) d.write(c);
  return { stdout, stderr, failed: d.failed };
}

describe('Demuxer', () => {
  it('splits stdout and stderr frames', () => {
    expect(demux([Buffer.concat([frame(1, 'out1'), frame(2, 'err'), frame(1, 'out2')])])).toEqual({ stdout: 'out1out2', stderr: 'err', failed: false });
  });

  it('handles headers and payloads split at every byte', () => {
    const all = Buffer.concat([frame(1, 'hello'), frame(2, 'world'), frame(1, '')]);
    const bytes = [...all].map((b) => Buffer.from([b]));
    expect(demux(bytes)).toEqual({ stdout: 'hello', stderr: 'world', failed: false });
  });

  it('streams a frame that claims 4 GiB without holding it', () => {
    const header = Buffer.alloc(8);
    header[0] = 1;
    header.writeUInt32BE(0xffffffff, 4);
    const r = demux([header, Buffer.alloc(1024, 65), Buffer.alloc(1024, 66)]);
    expect(r.stdout.length).toBe(2048);
    expect(r.failed).toBe(false);
  });

  it('stops at an unknown stream type instead of guessing', () => {
    const r = demux([frame(1, 'ok'), frame(7, 'junk'), frame(1, 'after')]);
    expect(r).toEqual({ stdout: 'ok', stderr: '', failed: true });
  });

  it('drops stdin echo frames', () => {
    expect(demux([frame(0, 'in'), frame(1, 'out')]).stdout).toBe('out');
  });
});

describe('parseCgroupCounters', () => {
  it.each([
    ['cgroup v1 pids and memory', 'max 3\noom_kill_disable 0\nunder_oom 0\noom_kill 2\n', { pidsLimitHits: 3, oomKills: 2 }],
    ['cgroup v2 events', 'max 0\nlow 0\nhigh 0\nmax 0\noom 1\noom_kill 1\n', { pidsLimitHits: 0, oomKills: 1 }],
    ['nothing readable', '', {}],
    ['hostile lines are ignored', 'max 99999999999999999999\nmax -1\n\u001b[31mmax 5\noom_kill 1e9\n', {}],
  ])('%s', (_label, text, expected) => {
    expect(parseCgroupCounters(text)).toEqual(expected);
  });
});
