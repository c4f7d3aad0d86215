/**
 * One sandboxed run: a throwaway container whose main process is only a keeper (`sleep`, under the engine's
 * init), and the workload started in it with `exec`, its stdio attached to the host. Keeping the container
 * alive past the workload's exit is what lets us read the trace files out of its tmpfs (the engine's
 * archive endpoint does not see tmpfs, and a stopped container has lost it) before removing it.
 *
 * The container is removed in every case: exit, crash, wall-clock timeout, the caller's abort, and the
 * host process being interrupted (SIGINT/SIGTERM handlers below). A host killed outright leaves a
 * container whose keeper ends by itself; cleanupStale() removes it on the next run.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { PassThrough, Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { z } from 'zod';
import { errorMessage, isAbortError } from '../core/errors.js';
import type { SandboxRunStatus } from './events.js';
import { DockerClient, callSignal, dockerClient, engineError, isNotFound, withAbort } from './docker.js';
import { SANDBOX_ENV_PATH, SANDBOX_IMAGE_LATEST, SANDBOX_PATHS, SANDBOX_USER } from './image.js';

export const RUN_LABEL = 'mcp-assay.run';

export interface SandboxLimits {
  memoryBytes: number;
  nanoCpus: number;
  pids: number;
  /** Size cap of each scratch tmpfs. */
  tmpfsBytes: number;
  /** Bytes kept of each of stdout and stderr; the rest is counted and dropped. */
  outputBytes: number;
  /** Largest file collected from the container. */
  collectBytes: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  memoryBytes: 512 * 1024 * 1024,
  nanoCpus: 1_000_000_000,
  pids: 128,
  tmpfsBytes: 64 * 1024 * 1024,
  outputBytes: 1024 * 1024,
  collectBytes: 16 * 1024 * 1024,
};

export interface BindMount {
  host: string;
  container: string;
  /** Read-only unless explicitly false. */
  readOnly?: boolean;
}

export interface ContainerSpec {
  /** The workload, run as the sandbox user with stdio attached. */
  cmd: readonly string[];
  /** Labels every container of the run; generated when absent. */
  runId?: string;
  image?: string;
  env?: Readonly<Record<string, string>>;
  workingDir?: string;
  binds?: readonly BindMount[];
  /** Files inside the container to read before removal (e.g. the strace output in /out). */
  collect?: readonly string[];
  limits?: Partial<SandboxLimits>;
}

export interface RunOptions {
  /** Wall-clock limit for the workload, from its start. */
  timeoutMs: number;
  signal?: AbortSignal;
  docker?: DockerClient;
}

export interface LimitUsage {
  /** Processes at the end of the run, and the cap. */
  pids?: { current: number; limit: number };
  /** Times the memory cap was hit (cgroup v1 failcnt), when the engine reports it. */
  memoryFailures?: number;
  /** Forks refused by the pids cap during the run (the cgroup's pids.events `max`). */
  pidsLimitHits?: number;
  /** Processes killed by the memory cap (the cgroup's `oom_kill`). */
  oomKills?: number;
}

export interface SandboxRunResult {
  status: SandboxRunStatus;
  /** Why the status is not `completed`, or how the run ended when the host stopped it. */
  reason?: string;
  exitCode?: number;
  stdout: Buffer;
  stderr: Buffer;
  truncated: { stdout: boolean; stderr: boolean };
  /** Bytes received beyond the cap and dropped. */
  dropped: { stdout: number; stderr: number };
  files: Record<string, Buffer>;
  /** Files that could not be collected, with the reason. */
  missingFiles: Record<string, string>;
  limits: LimitUsage;
  containerId?: string;
  runId: string;
  durationMs: number;
}

export interface SandboxRun {
  readonly runId: string;
  /** Writes go to the workload's stdin; end() closes it. Writes after the workload exited are dropped. */
  readonly stdin: Writable;
  /** The workload's stdout and stderr, each ending after `outputBytes`. */
  readonly stdout: PassThrough;
  readonly stderr: PassThrough;
  /** Settles once the container is gone; rejects only with the caller's abort reason. */
  wait(): Promise<SandboxRunResult>;
  /** Ends the workload now; the run then settles as it would have on exit. */
  kill(reason?: string): void;
}

// ------------------------------------------------------------------ output capture

/** Keeps the first `max` bytes of a stream, forwards them live, counts the rest. */
class CappedOutput {
  readonly live = new PassThrough();
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  dropped = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    const room = this.max - this.kept;
    if (room <= 0) { this.dropped += chunk.length; return; }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.dropped += chunk.length - part.length;
    this.kept += part.length;
    this.chunks.push(Buffer.from(part));
    // The cap bounds what waits here, so a reader that never reads cannot make us buffer without end.
    if (!this.live.writableEnded) this.live.write(part);
    if (this.kept >= this.max) this.live.end();
  }

  end(): void {
    if (!this.live.writableEnded) this.live.end();
  }

  get buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }
}

/**
 * Splits the engine's multiplexed stream (8-byte header: stream type, 3 zero bytes, big-endian length)
 * without ever holding a whole frame: a frame may claim up to 4 GiB.
 */
export class Demuxer {
  private header = Buffer.alloc(0);
  private remaining = 0;
  private target: ((chunk: Buffer) => void) | undefined;
  failed = false;

  constructor(private readonly sinks: { stdout: (chunk: Buffer) => void; stderr: (chunk: Buffer) => void }) {}

  write(data: Buffer): void {
    let offset = 0;
    while (offset < data.length && !this.failed) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, data.length - offset);
        this.target?.(data.subarray(offset, offset + take));
        this.remaining -= take;
        offset += take;
        continue;
      }
      const need = 8 - this.header.length;
      this.header = Buffer.concat([this.header, data.subarray(offset, offset + need)]);
      offset += Math.min(need, data.length - offset);
      if (this.header.length < 8) return;
      const type = this.header[0];
      this.remaining = this.header.readUInt32BE(4);
      this.header = Buffer.alloc(0);
      if (type === 1) this.target = this.sinks.stdout;
      else if (type === 2) this.target = this.sinks.stderr;
      else if (type === 0) this.target = undefined;
      else this.failed = true;
    }
  }
}

// ------------------------------------------------------------------ teardown on interrupt

interface LiveRun {
  remove: () => Promise<void>;
  /** Stops supervising the run at once: the process is going away. */
  interrupt: () => void;
}

const live = new Map<string, LiveRun>();
let handlersInstalled = false;
let reraise = false;

function onInterrupt(sig: NodeJS.Signals): void {
  const runs = [...live.values()];
  for (const r of runs) r.interrupt();
  const removals = runs.map((r) => r.remove().catch(() => undefined));
  void Promise.all(removals).then(() => {
    if (!reraise) return;
    // Nobody else handles the signal in this process: end it the way the signal would have.
    uninstallHandlers();
    process.kill(process.pid, sig);
  });
}

const onSigint = (): void => onInterrupt('SIGINT');
const onSigterm = (): void => onInterrupt('SIGTERM');

function installHandlers(): void {
  if (handlersInstalled) return;
  // With the CLI's own handlers present, they abort the run and end the process; we only remove.
  reraise = process.listenerCount('SIGINT') === 0 && process.listenerCount('SIGTERM') === 0;
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  handlersInstalled = true;
}

function uninstallHandlers(): void {
  if (!handlersInstalled) return;
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
  handlersInstalled = false;
}

function trackLive(id: string, run: LiveRun): void {
  live.set(id, run);
  installHandlers();
}

function untrackLive(id: string): void {
  live.delete(id);
  if (live.size === 0) uninstallHandlers();
}

/** Containers this process is running now. */
export function liveContainerCount(): number {
  return live.size;
}

// ------------------------------------------------------------------ engine helpers

async function removeContainer(docker: DockerClient, id: string): Promise<void> {
  try {
    await docker.api.getContainer(id).remove(withAbort({ force: true, v: true }, callSignal(undefined)));
  } catch (error) {
    if (isNotFound(error) || /already in progress/i.test(errorMessage(error))) return;
    throw engineError(`remove ${id.slice(0, 12)}`, error);
  }
}

const ContainerListSchema = z.array(z.object({ Id: z.string().max(128), Created: z.number().catch(0) }).loose()).max(10_000);

/**
 * Removes containers with our label created more than `maxAgeMs` ago: left behind by a host that was
 * killed outright. Younger ones may belong to another run in progress and are left alone.
 */
export async function cleanupStale(options: { maxAgeMs?: number; docker?: DockerClient; signal?: AbortSignal } = {}): Promise<number> {
  const docker = options.docker ?? dockerClient();
  const maxAgeMs = options.maxAgeMs ?? 30 * 60_000;
  let listed: z.infer<typeof ContainerListSchema>;
  try {
    listed = ContainerListSchema.parse(await docker.api.listContainers(withAbort({ all: true, filters: { label: [RUN_LABEL] } }, callSignal(options.signal))));
  } catch (error) {
    throw engineError('list containers', error);
  }
  const cutoff = Date.now() - maxAgeMs;
  const stale = listed.filter((c) => c.Created * 1000 <= cutoff);
  for (const c of stale) await removeContainer(docker, c.Id);
  return stale.length;
}

/** Every container with our label, optionally only one run's. */
export async function listRunContainers(runId?: string, docker: DockerClient = dockerClient()): Promise<string[]> {
  const label = runId === undefined ? RUN_LABEL : `${RUN_LABEL}=${runId}`;
  const listed = ContainerListSchema.parse(await docker.api.listContainers(withAbort({ all: true, filters: { label: [label] } }, callSignal(undefined))));
  return listed.map((c) => c.Id);
}

const StatsSchema = z.object({
  pids_stats: z.object({ current: z.number().optional(), limit: z.number().optional() }).loose().optional().catch(undefined),
  memory_stats: z.object({ failcnt: z.number().optional() }).loose().optional().catch(undefined),
}).loose();

async function limitUsage(container: Dockerode.Container): Promise<LimitUsage> {
  try {
    const stats = StatsSchema.parse(await container.stats(withAbort({ stream: false, 'one-shot': true } as const, callSignal(undefined, 10_000))));
    const usage: LimitUsage = {};
    const pids = stats.pids_stats;
    if (pids?.current !== undefined && pids.limit !== undefined) usage.pids = { current: pids.current, limit: pids.limit };
    if (stats.memory_stats?.failcnt !== undefined) usage.memoryFailures = stats.memory_stats.failcnt;
    return usage;
  } catch {
    return {};
  }
}

const ExecInspectSchema = z.object({ Running: z.boolean().catch(false), ExitCode: z.number().nullable().catch(null) }).loose();

async function execExitCode(exec: Dockerode.Exec): Promise<number | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const info = ExecInspectSchema.parse(await exec.inspect(withAbort({}, callSignal(undefined, 5_000))));
    if (!info.Running) return info.ExitCode ?? undefined;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return undefined;
}

/** Runs a short command in the container and returns its stdout (capped), or why it failed. */
async function execCapture(container: Dockerode.Container, cmd: string[], maxBytes: number, timeoutMs: number): Promise<{ ok: true; data: Buffer } | { ok: false; reason: string }> {
  const signal = callSignal(undefined, timeoutMs);
  try {
    const exec = await container.exec(withAbort({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: SANDBOX_USER }, signal));
    const stream = (await exec.start(withAbort({ hijack: true, stdin: false }, signal))) as Duplex;
    const out = new CappedOutput(maxBytes);
    const err = new CappedOutput(4096);
    out.live.resume();
    err.live.resume();
    const demux = new Demuxer({ stdout: (c) => out.push(c), stderr: (c) => err.push(c) });
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { stream.destroy(); reject(signal.reason as Error); };
      signal.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (chunk: Buffer) => demux.write(chunk));
      stream.on('error', reject);
      stream.on('close', () => { signal.removeEventListener('abort', onAbort); resolve(); });
      stream.on('end', () => stream.destroy());
    });
    const code = await execExitCode(exec);
    if (code !== 0) return { ok: false, reason: `exit ${code ?? '?'}: ${err.buffer.toString('utf8').trim().slice(0, 200)}` };
    if (out.truncated) return { ok: false, reason: `larger than ${maxBytes} bytes` };
    return { ok: true, data: out.buffer };
  } catch (error) {
    return { ok: false, reason: errorMessage(error).slice(0, 200) };
  }
}

/** cgroup v1 and v2 places of the counters; whichever exists is read. */
const CGROUP_COUNTER_FILES = ['/sys/fs/cgroup/pids/pids.events', '/sys/fs/cgroup/memory/memory.oom_control', '/sys/fs/cgroup/pids.events', '/sys/fs/cgroup/memory.events'];

export function parseCgroupCounters(text: string): Pick<LimitUsage, 'pidsLimitHits' | 'oomKills'> {
  const counters: Pick<LimitUsage, 'pidsLimitHits' | 'oomKills'> = {};
  for (const line of text.split('\n').slice(0, 200)) {
    const m = /^(max|oom_kill)\s+(\d{1,15})$/.exec(line.trim());
    if (m === null) continue;
    const value = Number(m[2]);
    if (m[1] === 'max') counters.pidsLimitHits = (counters.pidsLimitHits ?? 0) + value;
    else counters.oomKills = (counters.oomKills ?? 0) + value;
  }
  return counters;
}

/**
 * Reads the pids and OOM counters from inside the container. A saturated pids cap would refuse our own
 * exec, so the cap is raised a little first when the container is at it.
 */
async function cgroupCounters(container: Dockerode.Container, usage: LimitUsage, pidsLimit: number): Promise<Pick<LimitUsage, 'pidsLimitHits' | 'oomKills'>> {
  // Without stats (the engine was slow to answer) the container may be at its cap all the same: raise it anyway.
  const pids = usage.pids ?? { current: pidsLimit, limit: pidsLimit };
  if (pids.current >= pids.limit - 2) {
    await container.update(withAbort({ PidsLimit: pids.limit + 16 }, callSignal(undefined, 5_000))).catch(() => undefined);
  }
  const got = await execCapture(container, ['sh', '-c', `cat ${CGROUP_COUNTER_FILES.join(' ')} 2>/dev/null; exit 0`], 64 * 1024, 10_000);
  return got.ok ? parseCgroupCounters(got.data.toString('utf8')) : {};
}

function tmpfsOptions(bytes: number, extra = ''): string {
  return `rw,noexec,nosuid,nodev,size=${bytes}${extra}`;
}

function createOptions(spec: ContainerSpec, runId: string, limits: SandboxLimits, keeperSeconds: number): Dockerode.ContainerCreateOptions {
  const uid = SANDBOX_USER.split(':')[0] ?? '10001';
  return {
    Image: spec.image ?? SANDBOX_IMAGE_LATEST,
    // The keeper only holds the container open for the workload and for collecting files; it ends by itself.
    Cmd: ['sleep', String(keeperSeconds)],
    User: SANDBOX_USER,
    Env: [`PATH=${SANDBOX_ENV_PATH}`, `HOME=${SANDBOX_PATHS.home}`],
    WorkingDir: SANDBOX_PATHS.home,
    Labels: { [RUN_LABEL]: runId },
    NetworkDisabled: true,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Memory: limits.memoryBytes,
      MemorySwap: limits.memoryBytes,
      NanoCpus: limits.nanoCpus,
      PidsLimit: limits.pids,
      Tmpfs: {
        [SANDBOX_PATHS.tmp]: tmpfsOptions(limits.tmpfsBytes),
        [SANDBOX_PATHS.out]: tmpfsOptions(limits.tmpfsBytes),
        [SANDBOX_PATHS.home]: tmpfsOptions(Math.min(limits.tmpfsBytes, 16 * 1024 * 1024), `,uid=${uid},gid=${uid}`),
      },
      // Lets the harness listen on 53/80/443 as the unprivileged user; namespaced, so the host is untouched.
      Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' },
      Dns: ['127.0.0.1'],
      Binds: (spec.binds ?? []).map((b) => `${b.host}:${b.container}:${b.readOnly === false ? 'rw' : 'ro'}`),
      AutoRemove: false,
      Init: true,
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}

function statusFor(outcome: { timedOut: boolean; killedByHost: boolean; exitCode: number | undefined; usage: LimitUsage; stopReason?: string }): { status: SandboxRunStatus; reason?: string } {
  const { pids, pidsLimitHits, oomKills } = outcome.usage;
  if ((oomKills ?? 0) > 0) return { status: 'limit', reason: `memory limit reached (${oomKills} process${oomKills === 1 ? '' : 'es'} killed)` };
  if ((pidsLimitHits ?? 0) > 0) return { status: 'limit', reason: `process limit reached (${pidsLimitHits} fork${pidsLimitHits === 1 ? '' : 's'} refused)` };
  if (pids !== undefined && pids.limit > 0 && pids.current >= pids.limit) return { status: 'limit', reason: `process limit reached (${pids.current}/${pids.limit})` };
  if (outcome.timedOut) return { status: 'timeout', reason: 'wall-clock limit reached' };
  if (outcome.killedByHost) return { status: 'completed', reason: `stopped by the host${outcome.stopReason !== undefined ? `: ${outcome.stopReason}` : ''}` };
  if (outcome.exitCode === 0) return { status: 'completed' };
  if (outcome.exitCode === 137) {
    // Nothing but the kernel's OOM killer (or the process itself) sends SIGKILL in here.
    return { status: 'limit', reason: `killed (SIGKILL)${(outcome.usage.memoryFailures ?? 0) > 0 ? ': memory limit reached' : ', probably the memory limit'}` };
  }
  if (outcome.exitCode === undefined) return { status: 'error', reason: 'exit status unknown' };
  return { status: 'crashed', reason: outcome.exitCode > 128 ? `killed by signal ${outcome.exitCode - 128}` : `exit code ${outcome.exitCode}` };
}

// ------------------------------------------------------------------ the run

export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

/**
 * Starts the workload in a fresh container and returns its stdio at once. The result (status, capped
 * output, collected files) comes from wait(), after the container is gone.
 */
export function runContainer(spec: ContainerSpec, options: RunOptions): SandboxRun {
  const docker = options.docker ?? dockerClient();
  const limits: SandboxLimits = { ...DEFAULT_SANDBOX_LIMITS, ...spec.limits };
  const runId = spec.runId ?? newRunId();
  const started = performance.now();
  const out = new CappedOutput(limits.outputBytes);
  const err = new CappedOutput(limits.outputBytes);
  // Writes made before the workload is attached wait for it; if it never attaches they are dropped.
  let attach: (socket: Duplex | undefined) => void = () => undefined;
  const attached = new Promise<Duplex | undefined>((resolve) => { attach = resolve; });
  const usable = (s: Duplex | undefined): s is Duplex => s !== undefined && !s.destroyed && !s.writableEnded;
  const stdin = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      void attached.then((s) => { if (usable(s)) s.write(chunk, () => callback()); else callback(); });
    },
    final(callback) {
      void attached.then((s) => { if (usable(s)) s.end(); callback(); });
    },
  });
  stdin.on('error', () => undefined);

  let killRequest: ((reason: string | undefined) => void) | undefined;
  let killedEarly: string | undefined | null = null;
  let interrupted = false;
  let interruptRequest: (() => void) | undefined;
  const interrupt = (): void => {
    interrupted = true;
    interruptRequest?.();
  };
  const kill = (reason?: string): void => {
    if (killRequest !== undefined) killRequest(reason);
    else killedEarly = reason;
  };

  const result = (async (): Promise<SandboxRunResult> => {
    const base = (): Omit<SandboxRunResult, 'status'> => ({
      stdout: out.buffer, stderr: err.buffer,
      truncated: { stdout: out.truncated, stderr: err.truncated },
      dropped: { stdout: out.dropped, stderr: err.dropped },
      files: {}, missingFiles: {}, limits: {}, runId,
      durationMs: Math.round(performance.now() - started),
    });
    options.signal?.throwIfAborted();
    await cleanupStale({ docker, ...(options.signal !== undefined ? { signal: options.signal } : {}) }).catch(() => 0);
    const keeperSeconds = Math.ceil(options.timeoutMs / 1000) + 120;
    let container: Dockerode.Container;
    try {
      container = await docker.api.createContainer(withAbort(createOptions(spec, runId, limits, keeperSeconds), callSignal(options.signal)));
    } catch (error) {
      out.end(); err.end(); attach(undefined);
      if (isAbortError(error) && options.signal?.aborted === true) throw options.signal.reason;
      return { ...base(), status: 'error', reason: engineError('create', error).message };
    }
    // One removal shared by every path that ends the run (exit, abort, interrupt), so each waits for it.
    let removal: Promise<void> | undefined;
    const remove = (): Promise<void> => (removal ??= removeContainer(docker, container.id));
    trackLive(container.id, { remove, interrupt: () => interrupt() });
    try {
      return await supervise(container);
    } finally {
      out.end(); err.end(); attach(undefined);
      stdin.destroy();
      await remove().catch(() => undefined);
      untrackLive(container.id);
    }

    async function supervise(c: Dockerode.Container): Promise<SandboxRunResult> {
      let exec: Dockerode.Exec;
      let socket: Duplex;
      try {
        await c.start(withAbort({}, callSignal(options.signal)));
        const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`);
        exec = await c.exec(withAbort({
          Cmd: [...spec.cmd], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false,
          User: SANDBOX_USER, Env: [`PATH=${SANDBOX_ENV_PATH}`, `HOME=${SANDBOX_PATHS.home}`, ...env],
          WorkingDir: spec.workingDir ?? SANDBOX_PATHS.home,
        }, callSignal(options.signal)));
        socket = (await exec.start(withAbort({ hijack: true, stdin: true }, callSignal(options.signal)))) as Duplex;
      } catch (error) {
        if (options.signal?.aborted === true) throw options.signal.reason;
        return { ...base(), status: 'error', reason: engineError('start', error).message, containerId: c.id };
      }
      const stream = socket;
      attach(stream);
      const demux = new Demuxer({ stdout: (chunk) => out.push(chunk), stderr: (chunk) => err.push(chunk) });
      let timedOut = false;
      let killedByHost = false;
      let stopReason: string | undefined;
      let aborted = false;
      let onAbort = (): void => { aborted = true; };
      const ended = new Promise<void>((resolve) => {
        const finish = (): void => resolve();
        onAbort = () => { aborted = true; finish(); };
        stream.on('data', (chunk: Buffer) => { demux.write(chunk); if (demux.failed) stream.destroy(); });
        stream.on('error', finish);
        stream.on('close', finish);
        stream.on('end', () => { stream.destroy(); finish(); });
        const timer = setTimeout(() => { timedOut = true; finish(); }, options.timeoutMs);
        timer.unref();
        stream.once('close', () => clearTimeout(timer));
        killRequest = (reason) => { killedByHost = true; stopReason = reason; finish(); };
        if (killedEarly !== null) killRequest(killedEarly);
        options.signal?.addEventListener('abort', onAbort, { once: true });
        interruptRequest = () => { aborted = true; finish(); };
        if (interrupted) { aborted = true; finish(); }
        if (options.signal?.aborted === true) { aborted = true; finish(); }
      });
      await ended;
      // A signal shared by many runs (a harvest's) must not collect one listener per run.
      options.signal?.removeEventListener('abort', onAbort);
      killRequest = undefined;
      if (aborted) {
        stream.destroy();
        throw (options.signal?.aborted === true ? options.signal.reason : undefined) ?? new DOMException('the host process was interrupted', 'AbortError');
      }

      const stillRunning = timedOut || killedByHost;
      const exitCode = stillRunning ? undefined : await execExitCode(exec).catch(() => undefined);
      const stats = await limitUsage(c);
      const usage: LimitUsage = { ...stats, ...(await cgroupCounters(c, stats, limits.pids)) };
      const files: Record<string, Buffer> = {};
      const missingFiles: Record<string, string> = {};
      for (const file of spec.collect ?? []) {
        const got = await execCapture(c, ['cat', '--', file], limits.collectBytes, 15_000);
        if (got.ok) files[file] = got.data;
        else missingFiles[file] = got.reason;
      }
      stream.destroy();
      const { status, reason } = statusFor({ timedOut, killedByHost, exitCode, usage, ...(stopReason !== undefined ? { stopReason } : {}) });
      return {
        ...base(), status, ...(reason !== undefined ? { reason } : {}), ...(exitCode !== undefined ? { exitCode } : {}),
        files, missingFiles, limits: usage, containerId: c.id,
      };
    }
  })();
  // The caller may never call wait(); an unobserved rejection must not crash the process.
  result.catch(() => undefined);

  return { runId, stdin, stdout: out.live, stderr: err.live, wait: () => result, kill };
}

/** Runs a workload to the end with the given stdin, for callers that do not speak to it interactively. */
export async function runToCompletion(spec: ContainerSpec, options: RunOptions & { input?: string | Buffer }): Promise<SandboxRunResult> {
  const run = runContainer(spec, options);
  run.stdout.resume();
  run.stderr.resume();
  run.stdin.end(options.input ?? '');
  return run.wait();
}
