// The sandbox container's entry point (run by node as the unprivileged sandbox user). It starts the
// loopback resolver and listeners, plants the canary files, runs the phase's command under strace with
// stdio inherited (so the host speaks MCP to the server over the container's stdin/stdout), and when the
// command ends writes what the resolver and listeners saw to OUT/events-<phase>.jsonl and, as a fallback,
// to stderr between marker lines carrying a nonce the traced code never sees.
//
// Configuration (environment, removed before the command runs):
//   ASSAY_PHASE          install | start
//   ASSAY_CMD            start phase: JSON array, e.g. ["node","/pkg/index.js"]
//   ASSAY_PKG            package directory (default /pkg)
//   ASSAY_OUT            where trace and events go (default /out)
//   ASSAY_HOME           home directory, canary files must lie under it (default $HOME or /home/sandbox)
//   ASSAY_CANARY_FILES   base64 of JSON {"/abs/path": "content"}
//   ASSAY_STRACE         strace binary (default /usr/bin/strace); ASSAY_NO_STRACE=1 runs without it
//   ASSAY_PORTS          comma-separated listener ports; ASSAY_DNS_PORT resolver port (default 53)
//   ASSAY_STDIN_GRACE_MS start phase: how long the server may run on after the host closes its stdin
//                        before it is sent SIGTERM (default 1000)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_PORTS, startListeners } from './listeners.js';
import { startResolver } from './resolver.js';

export const STRACE_ARGS = ['-f', '-tt', '-s', '256', '-e', 'trace=execve,openat,open,connect,sendto,kill'];
export const LIFECYCLE = ['preinstall', 'install', 'postinstall'];
export const MARKER_BEGIN = '@@ASSAY-EVENTS-BEGIN';
export const MARKER_END = '@@ASSAY-EVENTS-END';

export function readConfig(env) {
  const phase = env.ASSAY_PHASE === 'install' ? 'install' : 'start';
  const ports = env.ASSAY_PORTS ? env.ASSAY_PORTS.split(',').map(Number).filter((p) => Number.isInteger(p) && p >= 0 && p < 65536) : DEFAULT_PORTS;
  let cmd = [];
  if (env.ASSAY_CMD) {
    const parsed = JSON.parse(env.ASSAY_CMD);
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((a) => typeof a === 'string')) throw new Error('ASSAY_CMD must be a JSON array of strings');
    cmd = parsed;
  }
  return {
    phase,
    cmd,
    pkg: env.ASSAY_PKG || '/pkg',
    out: env.ASSAY_OUT || '/out',
    home: env.ASSAY_HOME || env.HOME || '/home/sandbox',
    canaryFiles: env.ASSAY_CANARY_FILES || '',
    strace: env.ASSAY_NO_STRACE === '1' ? undefined : env.ASSAY_STRACE || '/usr/bin/strace',
    ports,
    dnsPort: env.ASSAY_DNS_PORT ? Number(env.ASSAY_DNS_PORT) : 53,
    stdinGraceMs: Number.isFinite(Number(env.ASSAY_STDIN_GRACE_MS)) && env.ASSAY_STDIN_GRACE_MS ? Number(env.ASSAY_STDIN_GRACE_MS) : 1000,
  };
}

/** The environment the traced command sees: ours minus the harness's own settings. */
export function childEnv(env, extra = {}) {
  const out = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('ASSAY_')) out[k] = v;
  return { ...out, ...extra };
}

/** Writes the canary files, refusing any path outside the home directory. Returns the paths written. */
export function plantCanaries(encoded, home) {
  if (!encoded) return [];
  const files = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  const written = [];
  const root = path.resolve(home);
  for (const [file, content] of Object.entries(files)) {
    const abs = path.resolve(file);
    if (!abs.startsWith(`${root}/`) || typeof content !== 'string') continue;
    mkdirSync(path.dirname(abs), { recursive: true, mode: 0o700 });
    writeFileSync(abs, content, { mode: 0o600 });
    written.push(abs);
  }
  return written;
}

/** The install phase runs the lifecycle scripts npm would, each with `sh -c` in the package directory. */
export function lifecycleCommands(pkgDir) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  } catch {
    return [];
  }
  const scripts = manifest && typeof manifest.scripts === 'object' && manifest.scripts ? manifest.scripts : {};
  return LIFECYCLE.filter((name) => typeof scripts[name] === 'string' && scripts[name].trim() !== '').map((name) => ({
    name,
    script: scripts[name],
    env: {
      npm_lifecycle_event: name,
      npm_lifecycle_script: scripts[name],
      npm_package_name: String(manifest.name ?? ''),
      npm_package_version: String(manifest.version ?? ''),
      INIT_CWD: pkgDir,
    },
  }));
}

function traced(config, trace, argv, append) {
  if (!config.strace) return argv;
  return [config.strace, ...STRACE_ARGS, ...(append ? ['-A'] : []), '-o', trace, '--', ...argv];
}

function run(argv, options, onSpawn) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), options);
    current = child;
    onSpawn?.(child);
    child.on('error', (err) => resolve({ code: 127, error: String(err.message) }));
    child.on('exit', (code, signal) => resolve({ code: code ?? 128, signal: signal ?? undefined }));
  });
}

let current;

/**
 * Signals the command's whole process group: strace detaches from its tracees when it is signalled, so
 * signalling strace alone would leave the server running (and holding the container's stdout open).
 */
export function signalGroup(child, signal) {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try { child.kill(signal); } catch { /* already gone */ }
  }
}

/**
 * Relays the host's stdin to the server. The host closes stdin when its MCP survey is over; a server that
 * does not exit by itself within the grace period is then stopped, so the events file is always written
 * while the host still waits (it can signal only the container's keeper, not this process).
 */
export function relayStdin(input, child, graceMs, stop) {
  if (!child.stdin) return;
  child.stdin.on('error', () => undefined);
  input.pipe(child.stdin);
  input.on('end', () => setTimeout(() => stop('SIGTERM'), graceMs).unref());
}

/** Serialises the recorded events to the out file and to stderr between nonce-bearing markers. */
export function reportEvents(events, outFile, stderr = process.stderr) {
  const lines = events.map((e) => JSON.stringify(e));
  try {
    writeFileSync(outFile, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  } catch (err) {
    stderr.write(`assay-harness: cannot write ${outFile}: ${err.message}\n`);
  }
  const nonce = randomBytes(16).toString('hex');
  stderr.write(`\n${MARKER_BEGIN} ${nonce}\n${lines.map((l) => `${l}\n`).join('')}${MARKER_END} ${nonce} ${lines.length}\n`);
}

export async function main(env = process.env) {
  const config = readConfig(env);
  const events = [];
  const onEvent = (e) => events.push(e);
  const resolver = await startResolver({ port: config.dnsPort, phase: config.phase, onEvent }).catch((err) => {
    process.stderr.write(`assay-harness: resolver not started: ${err.message}\n`);
    return undefined;
  });
  const listeners = await startListeners({ ports: config.ports, phase: config.phase, onEvent });
  for (const f of listeners.failed) process.stderr.write(`assay-harness: listener ${f.port} not started: ${f.error}\n`);
  plantCanaries(config.canaryFiles, config.home);
  mkdirSync(config.out, { recursive: true });
  const trace = path.join(config.out, `trace-${config.phase}.txt`);

  let status = { code: 0 };
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    signalGroup(current, signal);
    setTimeout(() => {
      signalGroup(current, 'SIGKILL');
      void finish(128 + 15);
    }, 500).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  let finished = false;
  const finish = async (code) => {
    if (finished) return;
    finished = true;
    // Give in-flight captures their window to end before reporting.
    await new Promise((r) => setTimeout(r, 100));
    reportEvents(events, path.join(config.out, `events-${config.phase}.jsonl`));
    await Promise.allSettled([listeners.close(), resolver?.close()]);
    process.exit(code);
  };

  if (config.phase === 'install') {
    let first = true;
    for (const step of lifecycleCommands(config.pkg)) {
      status = await run(traced(config, trace, ['/bin/sh', '-c', step.script], !first), {
        cwd: config.pkg,
        env: childEnv(env, { ...step.env, PATH: `${path.join(config.pkg, 'node_modules/.bin')}:${env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}` }),
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      first = false;
      process.stderr.write(`assay-harness: ${step.name} exited ${status.code}\n`);
      if (status.code !== 0 || stopping) break;
    }
  } else {
    if (config.cmd.length === 0) throw new Error('ASSAY_CMD is required for the start phase');
    status = await run(traced(config, trace, config.cmd, false), { cwd: config.pkg, env: childEnv(env), stdio: ['pipe', 'inherit', 'inherit'], detached: true },
      (child) => relayStdin(process.stdin, child, config.stdinGraceMs, stop));
  }
  await finish(status.code);
}

const entry = process.argv[1] ? pathToFileURL(path.resolve(process.argv[1])).href : '';
if (import.meta.url === entry) {
  main().catch((err) => {
    process.stderr.write(`assay-harness: ${err?.message ?? err}\n`);
    process.exit(125);
  });
}
