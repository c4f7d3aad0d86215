/**
 * Each isolation property asserted from inside a real container, and teardown after every way a run can
 * end. Needs a Docker engine: skipped without one, failing in CI (see test-helpers/docker-available.ts).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listRunContainers, newRunId, runContainer, runToCompletion } from './container.js';
import type { SandboxRunResult } from './container.js';
import { describeWithDocker } from './test-helpers/docker-available.js';

const run = promisify(execFile);

/** Runs inside the container with the image's node and prints what it found, as one JSON line. */
const PROBE = String.raw`
const fs = require('fs');
const net = require('net');
const out = {};
const status = fs.readFileSync('/proc/self/status', 'utf8');
out.uid = process.getuid();
out.capEff = /CapEff:\s*(\w+)/.exec(status)[1];
out.noNewPrivs = /NoNewPrivs:\s*(\d)/.exec(status)[1];
out.interfaces = fs.readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean);
const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'ok'; } catch (e) { return e.code; } };
out.writeRoot = tryWrite('/evil');
out.writeUsr = tryWrite('/usr/local/bin/evil');
out.writePkg = tryWrite('/pkg/evil');
out.writeTmp = tryWrite('/tmp/ok');
out.writeHome = tryWrite('/home/sandbox/ok');
out.writeOut = tryWrite('/out/ok');
out.tmpMode = (fs.statSync('/tmp').mode & 0o7777).toString(8);
out.homeOwner = fs.statSync('/home/sandbox').uid;
try { const big = Buffer.alloc(1024 * 1024, 1); for (let i = 0; i < 80; i++) fs.appendFileSync('/tmp/fill', big); out.tmpfsCap = 'not enforced'; } catch (e) { out.tmpfsCap = e.code; }
try { fs.rmSync('/tmp/fill'); } catch {}
const connect = (host, port) => new Promise((resolve) => {
  const s = net.connect({ host, port, timeout: 3000 });
  s.on('connect', () => { s.destroy(); resolve('connected'); });
  s.on('timeout', () => { s.destroy(); resolve('timeout'); });
  s.on('error', (e) => resolve(e.code));
});
const listen = (port) => new Promise((resolve) => {
  const srv = net.createServer();
  srv.on('error', (e) => resolve(e.code));
  srv.listen(port, '127.0.0.1', () => srv.close(() => resolve('ok')));
});
(async () => {
  out.connectOutside = await connect('192.0.2.1', 80);
  out.connectOutside6 = await connect('2001:db8::1', 443);
  out.listen53 = await listen(53);
  out.listen443 = await listen(443);
  console.log(JSON.stringify(out));
})();
`;

let work: string;
let pkgDir: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sbx-iso-'));
  pkgDir = path.join(work, 'pkg');
  await run('mkdir', ['-p', pkgDir]);
  await writeFile(path.join(pkgDir, 'index.js'), 'module.exports = 1;\n');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function expectNoContainers(result: Pick<SandboxRunResult, 'runId'>): Promise<void> {
  expect(await listRunContainers(result.runId)).toEqual([]);
}

await describeWithDocker('sandbox isolation (from inside a container)', () => {
  let probe: Record<string, unknown>;
  let probeRun: SandboxRunResult;

  beforeAll(async () => {
    probeRun = await runToCompletion({ cmd: ['node', '-e', PROBE], binds: [{ host: pkgDir, container: '/pkg' }] }, { timeoutMs: 30_000 });
    probe = JSON.parse(probeRun.stdout.toString('utf8')) as Record<string, unknown>;
  });

  it('the probe ran to completion', () => {
    expect(probeRun.stderr.toString('utf8')).toBe('');
    expect(probeRun.status).toBe('completed');
  });

  it.each([
    ['runs as the unprivileged user', 'uid', 10001],
    ['has no effective capabilities', 'capEff', '0000000000000000'],
    ['has no_new_privs set', 'noNewPrivs', '1'],
    ['sees only the loopback interface', 'interfaces', ['lo']],
    ['cannot reach an outside IPv4 address', 'connectOutside', 'ENETUNREACH'],
    ['cannot reach an outside IPv6 address', 'connectOutside6', 'ENETUNREACH'],
    ['cannot write the root filesystem', 'writeRoot', 'EROFS'],
    ['cannot write the image\'s binaries', 'writeUsr', 'EROFS'],
    ['cannot write the package bind mount', 'writePkg', 'EROFS'],
    ['can write its scratch tmpfs', 'writeTmp', 'ok'],
    ['can write its home tmpfs', 'writeHome', 'ok'],
    ['can write the output tmpfs', 'writeOut', 'ok'],
    ['gets a sticky world-writable /tmp', 'tmpMode', '1777'],
    ['owns its home', 'homeOwner', 10001],
    ['is stopped by the tmpfs size cap', 'tmpfsCap', 'ENOSPC'],
    ['can listen on port 53 unprivileged (namespaced sysctl)', 'listen53', 'ok'],
    ['can listen on port 443 unprivileged', 'listen443', 'ok'],
  ])('%s', (_label, key, expected) => {
    expect(probe[key]).toEqual(expected);
  });

  it('a fork loop is stopped by the pids limit', async () => {
    const r = await runToCompletion(
      { cmd: ['sh', '-c', 'i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); done; wait'], limits: { pids: 32 } },
      { timeoutMs: 5_000 },
    );
    expect(r.status).toBe('limit');
    expect(r.limits.pidsLimitHits).toBeGreaterThan(0);
    expect(r.stderr.toString('utf8')).toMatch(/fork/i);
    await expectNoContainers(r);
  });

  it('a memory hog is killed by the memory limit', async () => {
    const hog = 'const a = []; for (;;) a.push(Buffer.alloc(8 * 1024 * 1024, 1));';
    const r = await runToCompletion({ cmd: ['node', '-e', hog], limits: { memoryBytes: 96 * 1024 * 1024 } }, { timeoutMs: 20_000 });
    expect(r.status).toBe('limit');
    expect(r.exitCode).toBe(137);
    expect(r.limits.oomKills).toBeGreaterThan(0);
    await expectNoContainers(r);
  });

  it('a process that never ends hits the wall-clock limit', async () => {
    const started = Date.now();
    const r = await runToCompletion({ cmd: ['sleep', '60'] }, { timeoutMs: 1_500 });
    expect(r.status).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(20_000);
    await expectNoContainers(r);
  });

  it('stdout and stderr floods are capped, the rest counted', async () => {
    const flood = "const b = Buffer.alloc(64 * 1024, 65); for (let i = 0; i < 64; i++) { process.stdout.write(b); process.stderr.write(b); }";
    const r = await runToCompletion({ cmd: ['node', '-e', flood], limits: { outputBytes: 1024 * 1024 } }, { timeoutMs: 30_000 });
    expect(r.status).toBe('completed');
    expect(r.stdout.length).toBe(1024 * 1024);
    expect(r.stderr.length).toBe(1024 * 1024);
    expect(r.truncated).toEqual({ stdout: true, stderr: true });
    expect(r.dropped.stdout).toBe(3 * 1024 * 1024);
    await expectNoContainers(r);
  });

  it('files written to the output tmpfs are collected before removal', async () => {
    const r = await runToCompletion({ cmd: ['sh', '-c', 'cat > /out/echo; exit 0'], collect: ['/out/echo', '/out/absent', '/etc/../out/echo'] }, { timeoutMs: 10_000, input: 'round trip\n' });
    expect(r.files['/out/echo']?.toString('utf8')).toBe('round trip\n');
    expect(r.missingFiles['/out/absent']).toMatch(/No such file/);
    await expectNoContainers(r);
  });
});

await describeWithDocker('sandbox teardown', () => {
  it.each([
    ['success', ['sh', '-c', 'exit 0'], 'completed'],
    ['crash', ['sh', '-c', 'exit 3'], 'crashed'],
    ['signal', ['sh', '-c', 'kill -SEGV $$'], 'crashed'],
  ] as const)('no container is left after %s', async (_label, cmd, status) => {
    const r = await runToCompletion({ cmd }, { timeoutMs: 10_000 });
    expect(r.status).toBe(status);
    await expectNoContainers(r);
  });

  it('no container is left after the caller aborts', async () => {
    const controller = new AbortController();
    const handle = runContainer({ cmd: ['sleep', '60'] }, { timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(new DOMException('test abort', 'AbortError')), 1_500);
    await expect(handle.wait()).rejects.toThrow(/test abort/);
    expect(await listRunContainers(handle.runId)).toEqual([]);
  });

  it('no container is left after the host stops the workload', async () => {
    const handle = runContainer({ cmd: ['sleep', '60'] }, { timeoutMs: 60_000 });
    setTimeout(() => handle.kill('done with it'), 1_000);
    const r = await handle.wait();
    expect(r.status).toBe('completed');
    expect(r.reason).toMatch(/stopped by the host/);
    await expectNoContainers(r);
  });

  it('no container is left after the host process gets SIGTERM mid-run', async () => {
    const root = path.resolve(import.meta.dirname, '..', '..');
    // Inside the project, so the compiled code resolves dockerode from node_modules.
    const outDir = path.join(root, 'node_modules', '.cache', 'mcp-assay-sandbox-test');
    // The child is a plain Node process, so it runs the engine code compiled on the spot.
    await run(process.execPath, [
      'node_modules/typescript/bin/tsc', '--outDir', outDir, '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--target', 'es2023', '--rootDir', 'src', '--ignoreConfig', '--skipLibCheck', '--types', 'node', '--esModuleInterop', 'src/sandbox/container.ts',
    ], { cwd: root }).catch((error: { stdout?: string }) => {
      // Type errors elsewhere do not stop tsc from emitting; only a missing output matters.
      if (!String(error.stdout ?? '').includes('error')) throw error;
    });
    const runId = newRunId();
    const script = path.join(work, 'child.mjs');
    await writeFile(script, [
      `import { runContainer, liveContainerCount } from ${JSON.stringify(path.join(outDir, 'sandbox', 'container.js'))};`,
      `const h = runContainer({ cmd: ['sleep', '60'], runId: ${JSON.stringify(runId)} }, { timeoutMs: 60000 });`,
      `h.wait().then(() => console.log('finished'), (e) => console.log('rejected: ' + e.message));`,
      `const t = setInterval(() => { if (liveContainerCount() > 0) { clearInterval(t); console.log('live'); } }, 50);`,
    ].join('\n'));
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => { if (output.includes('live')) { clearInterval(t); resolve(); } }, 50);
      child.on('exit', () => { clearInterval(t); reject(new Error(`child ended early: ${output}`)); });
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await listRunContainers(runId)).toHaveLength(1);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const killedAt = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(output).not.toContain('finished');
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(await listRunContainers(runId)).toEqual([]);
  });
});
