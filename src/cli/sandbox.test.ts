import Docker from 'dockerode';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { DockerClient } from '../sandbox/docker.js';
import { describeWithDocker } from '../sandbox/test-helpers/docker-available.js';
import { doctorChecks, registerSandbox } from './sandbox.js';
import type { Io } from './io.js';

function captureIo(): { io: Io; out: () => string } {
  let out = '';
  return { io: { out: (t) => { out += t; }, err: (t) => { out += t; }, interactive: false, color: false }, out: () => out };
}

describe('sandbox doctor without an engine', () => {
  it('reports the engine missing, with the fix, and checks nothing further', async () => {
    const docker = new DockerClient(new Docker({ socketPath: '/nonexistent/docker.sock' }));
    const checks = await doctorChecks(docker, AbortSignal.timeout(10_000));
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ name: 'engine', ok: false });
    expect(checks[0]?.fix).toMatch(/dockerd --bridge=none --iptables=false/);
  });
});

await describeWithDocker('mcp-assay sandbox (real engine)', () => {
  it('doctor: every check passes', async () => {
    const { io, out } = captureIo();
    let exit = -1;
    const program = new Command('mcp-assay').exitOverride();
    registerSandbox(program, io, AbortSignal.timeout(60_000), (code) => { exit = code; });
    await program.parseAsync(['sandbox', 'doctor'], { from: 'user' });
    expect(out()).toMatch(/^ok\s+engine\s+Docker /m);
    expect(out()).toMatch(/^ok\s+image\s+mcp-assay-sandbox:latest/m);
    expect(out()).toMatch(/^ok\s+isolation\s+/m);
    expect(out()).toMatch(/^ok\s+strace\s+/m);
    expect(exit).toBe(0);
  });

  it('build: says the image is up to date when nothing changed', async () => {
    const { io, out } = captureIo();
    const program = new Command('mcp-assay').exitOverride();
    registerSandbox(program, io, AbortSignal.timeout(120_000), () => undefined);
    await program.parseAsync(['sandbox', 'build'], { from: 'user' });
    expect(out()).toMatch(/^up to date: mcp-assay-sandbox:[0-9a-f]{16} \(\d+ entries\), tagged mcp-assay-sandbox:latest$/m);
  });
});
