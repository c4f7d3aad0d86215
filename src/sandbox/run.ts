/**
 * One sandboxed look at a package, end to end: stage a readable copy, resolve its production dependencies
 * on the host with scripts disabled, run its install scripts in a container, start it in a second
 * container and speak MCP to it, then turn the traces, the harness's events and the tool list into
 * findings. No package code ever runs on the host; every container is removed before this returns.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import npa from 'npm-package-arg';
import { z } from 'zod';
import { AssayError, errorMessage } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import type { ToolInfo } from '../core/tool.js';
import type { Workspace } from '../core/workspace.js';
import { makeCanaries } from './canary.js';
import type { ContainerSpec, SandboxLimits, SandboxRun, SandboxRunResult as ContainerResult } from './container.js';
import { runContainer } from './container.js';
import type { DockerClient } from './docker.js';
import type { CanarySet, SandboxEvent, SandboxRunStatus } from './events.js';
import type { SandboxPhaseStatus } from './findings.js';
import { findingsFromRun } from './findings.js';
import { SANDBOX_PATHS } from './image.js';
import type { McpClientOptions, McpSurvey } from './mcp-client.js';
import { McpClientError, surveyServer } from './mcp-client.js';
import { extractHarnessBlock, parseHarnessEvents, parseStrace } from './strace.js';

export interface SandboxScanOptions {
  signal: AbortSignal;
  /** Wall-clock budget for the whole run: dependency resolution, install phase and start phase. */
  timeoutMs: number;
  /** The tool surface static analysis found, to compare with `tools/list`. */
  staticTools: readonly ToolInfo[];
  /** npm registry for dependencies; the user's npm configuration when absent. */
  registry?: string | undefined;
  onProgress?: ((message: string) => void) | undefined;
  docker?: DockerClient;
  /** Per-request MCP limits (initialize, list), each also bounded by what is left of the budget. */
  mcpTimeouts?: McpClientOptions['timeouts'];
  /** How long the server may run on after its stdin is closed before the harness stops it. */
  stdinGraceMs?: number;
  limits?: Partial<SandboxLimits>;
  /** Makes the canaries reproducible (tests). */
  canarySeed?: string;
  /** The npm binary used to resolve dependencies on the host. */
  npmPath?: string;
}

export interface SandboxScanResult {
  findings: Finding[];
  /** What `tools/list` returned, with `source: 'sandbox'`. */
  tools: ToolInfo[];
  phases: SandboxPhaseStatus[];
  /** The worst status of the install, start and MCP phases. */
  status: SandboxRunStatus;
  reason?: string;
  durationMs: number;
  /** Label values of the containers used (`mcp-assay.run`), all removed by the time this is returned. */
  runIds: string[];
}

const PKG = SANDBOX_PATHS.pkg;
const HARNESS = `${SANDBOX_PATHS.harness}/launch.js`;
const MAX_ARGS = 32;
const MAX_ARG_CHARS = 1024;
const MAX_DEPENDENCIES = 1000;
/** Time the host leaves the harness, after closing stdin, to stop the server and write its events. */
const DEFAULT_STDIN_GRACE_MS = 1000;
const HOST_GRACE_EXTRA_MS = 1500;
const NPM_TIMEOUT_MS = 120_000;
/** Host output of npm kept for the reason of a failure. */
const NPM_OUTPUT_BYTES = 64 * 1024;

// ------------------------------------------------------------------ the package's manifest

const ManifestSchema = z.object({
  name: z.string().max(214).optional().catch(undefined),
  version: z.string().max(256).optional().catch(undefined),
  main: z.string().max(1024).optional().catch(undefined),
  bin: z.union([z.string().max(1024), z.record(z.string().max(256), z.unknown())]).optional().catch(undefined),
  scripts: z.record(z.string().max(256), z.unknown()).optional().catch(undefined),
  dependencies: z.record(z.string().max(256), z.unknown()).optional().catch(undefined),
  optionalDependencies: z.record(z.string().max(256), z.unknown()).optional().catch(undefined),
}).loose();
type Manifest = z.infer<typeof ManifestSchema>;

const ArgSchema = z.object({
  type: z.string().max(32).optional().catch(undefined),
  name: z.string().max(MAX_ARG_CHARS).optional().catch(undefined),
  value: z.string().max(MAX_ARG_CHARS).optional().catch(undefined),
  default: z.string().max(MAX_ARG_CHARS).optional().catch(undefined),
}).loose();
const ServerJsonPackagesSchema = z.object({
  packages: z.array(z.object({
    registryType: z.string().max(64).optional().catch(undefined),
    runtimeArguments: z.array(z.unknown()).max(1000).optional().catch(undefined),
    packageArguments: z.array(z.unknown()).max(1000).optional().catch(undefined),
  }).loose()).max(200).optional().catch(undefined),
}).loose();

async function readJson(file: string, maxBytes = 1024 * 1024): Promise<unknown> {
  try {
    const info = await lstat(file);
    if (!info.isFile() || info.size > maxBytes) return undefined;
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Literal arguments declared in server.json (`value`, else `default`); inputs the user must fill are left out. */
function declaredArgs(raw: readonly unknown[] | undefined): string[] {
  const args: string[] = [];
  for (const item of (raw ?? []).slice(0, MAX_ARGS)) {
    const arg = ArgSchema.safeParse(item);
    if (!arg.success) continue;
    const value = arg.data.value ?? arg.data.default;
    if (arg.data.type === 'named' && arg.data.name !== undefined) {
      args.push(value === undefined ? arg.data.name : `${arg.data.name}=${value}`);
    } else if (value !== undefined) {
      args.push(value);
    }
  }
  return args;
}

function relativeEntry(target: string): string | undefined {
  const slashed = target.replace(/\\/g, '/');
  if (slashed.startsWith('/') || slashed.includes('\0')) return undefined;
  const normal = path.posix.normalize(slashed);
  if (normal === '..' || normal.startsWith('../') || normal === '.') return undefined;
  return normal;
}

function binTargets(manifest: Manifest): string[] {
  if (typeof manifest.bin === 'string') return [manifest.bin];
  if (manifest.bin === undefined) return [];
  const entries = Object.entries(manifest.bin).filter((e): e is [string, string] => typeof e[1] === 'string');
  const own = manifest.name?.split('/').pop();
  const named = entries.find(([name]) => name === own);
  return [...(named ? [named[1]] : []), ...entries.map(([, target]) => target)];
}

async function isRegularFile(file: string): Promise<boolean> {
  try {
    return (await lstat(file)).isFile();
  } catch {
    return false;
  }
}

export interface EntryPoint {
  /** The command run in the container, node first. */
  cmd: string[];
  /** Where the entry came from, for the reason of a failure. */
  from: 'server.json' | 'bin' | 'main' | 'index.js';
}

/**
 * The command that starts the server: the entry from `bin` (the one named like the package, else the
 * first), else `main`, else `index.js`, with the literal arguments server.json declares for an npm package.
 */
export async function resolveEntryPoint(dir: string, manifest: Manifest): Promise<EntryPoint | undefined> {
  const serverJson = ServerJsonPackagesSchema.safeParse(await readJson(path.join(dir, 'server.json')));
  const declared = serverJson.success ? serverJson.data.packages?.find((p) => p.registryType === undefined || p.registryType === 'npm') : undefined;
  const candidates: { target: string; from: EntryPoint['from'] }[] = [
    ...binTargets(manifest).map((target) => ({ target, from: 'bin' as const })),
    ...(manifest.main !== undefined ? [{ target: manifest.main, from: 'main' as const }] : []),
    { target: 'index.js', from: 'index.js' },
  ];
  for (const candidate of candidates) {
    const rel = relativeEntry(candidate.target);
    if (rel === undefined) continue;
    const withJs = (await isRegularFile(path.join(dir, rel))) ? rel : (await isRegularFile(path.join(dir, `${rel}.js`))) ? `${rel}.js` : undefined;
    if (withJs === undefined) continue;
    const cmd = [SANDBOX_PATHS.node, ...declaredArgs(declared?.runtimeArguments), `${PKG}/${withJs}`, ...declaredArgs(declared?.packageArguments)];
    return { cmd, from: declared !== undefined ? 'server.json' : candidate.from };
  }
  return undefined;
}

// ------------------------------------------------------------------ staging

/**
 * Copies the workspace's files into a fresh directory the container's unprivileged user can read
 * (workspaces are private to the host user). Only the files the workspace lists are copied, and only
 * regular files: no link made it into a workspace, and none is followed here.
 */
async function stageWorkspace(workspace: Workspace, signal: AbortSignal): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-assay-sandbox-'));
  try {
    await copyInto(dir, workspace, signal);
    return dir;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function copyInto(dir: string, workspace: Workspace, signal: AbortSignal): Promise<void> {
  const root = workspace.root;
  // A harvest keeps workspaces in memory only when the sandbox is off; this is the guard if that ever changes.
  if (root === undefined) throw new AssayError('internal', 'the sandbox needs the workspace unpacked on disk, and this one is held in memory');
  await chmod(dir, 0o755);
  const made = new Set<string>();
  for (const file of workspace.files) {
    signal.throwIfAborted();
    if (file.omitted === true) continue;
    const rel = relativeEntry(file.path);
    if (rel === undefined) continue;
    const source = path.join(root, rel);
    if (!(await isRegularFile(source))) continue;
    const dest = path.join(dir, rel);
    const parent = path.dirname(dest);
    if (!made.has(parent)) {
      await mkdir(parent, { recursive: true, mode: 0o755 });
      made.add(parent);
    }
    await copyFile(source, dest);
    await chmod(dest, 0o644);
  }
  // mkdir's mode is masked by the umask; the container user needs to traverse every directory.
  const all = new Set<string>();
  for (let d of made) {
    while (d.startsWith(`${dir}${path.sep}`) && !all.has(d)) {
      all.add(d);
      d = path.dirname(d);
    }
  }
  for (const d of all) await chmod(d, 0o755);
}

/** Makes a tree readable by anyone without following links (npm's .bin entries are links). */
async function makeReadable(dir: string, signal: AbortSignal, budget = { files: 200_000 }): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    signal.throwIfAborted();
    if (--budget.files < 0) return;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await makeReadable(full, signal, budget);
    else if (entry.isFile()) await chmod(full, 0o644);
  }
}

// ------------------------------------------------------------------ dependencies, on the host

type DependencyPlan = { kind: 'none' } | { kind: 'bundled' } | { kind: 'install'; dependencies: Record<string, string> } | { kind: 'refused'; reason: string };

/** Registry specs only: a URL, git, file or directory dependency would make npm fetch from anywhere. */
export function planDependencies(manifest: Manifest, hasNodeModules: boolean): DependencyPlan {
  const all = { ...manifest.optionalDependencies, ...manifest.dependencies };
  const names = Object.keys(all);
  if (names.length === 0) return { kind: 'none' };
  if (hasNodeModules) return { kind: 'bundled' };
  if (names.length > MAX_DEPENDENCIES) return { kind: 'refused', reason: `${names.length} dependencies (more than ${MAX_DEPENDENCIES})` };
  const dependencies: Record<string, string> = {};
  for (const name of names) {
    const spec = all[name];
    if (typeof spec !== 'string') return { kind: 'refused', reason: `dependency ${name.slice(0, 100)} has no version range` };
    let type: string;
    try {
      type = npa.resolve(name, spec).type;
    } catch (error) {
      return { kind: 'refused', reason: `dependency ${name.slice(0, 100)}: ${errorMessage(error).slice(0, 200)}` };
    }
    if (type !== 'version' && type !== 'range' && type !== 'tag' && type !== 'alias') {
      return { kind: 'refused', reason: `dependency ${name.slice(0, 100)} is a ${type} spec, not from the registry; not installed` };
    }
    dependencies[name] = spec;
  }
  return { kind: 'install', dependencies };
}

function runNpm(npm: string, args: string[], cwd: string, signal: AbortSignal, timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    execFile(npm, args, { cwd, signal, timeout: timeoutMs, maxBuffer: NPM_OUTPUT_BYTES * 4, env: { ...process.env, npm_config_update_notifier: 'false' } }, (error, _stdout, stderr) => {
      if (error === null) { resolve({ ok: true }); return; }
      const detail = String(stderr).trim().split('\n').filter((l) => /ERR!|error/i.test(l)).slice(0, 5).join(' ').slice(0, 500);
      resolve({ ok: false, reason: `npm install failed: ${errorMessage(error).split('\n')[0]?.slice(0, 200) ?? ''}${detail !== '' ? ` (${detail})` : ''}` });
    });
  });
}

/**
 * Installs the production dependencies into `staging/node_modules` with scripts off. npm runs in a
 * separate directory holding only a manifest we wrote (name, version, dependencies): the package's own
 * .npmrc, lockfile, overrides or workspaces never reach npm, and the registry is the user's (or --registry).
 */
async function installDependencies(staging: string, dependencies: Record<string, string>, options: SandboxScanOptions, timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  const work = await mkdtemp(path.join(tmpdir(), 'mcp-assay-deps-'));
  try {
    await writeFile(path.join(work, 'package.json'), JSON.stringify({ name: 'mcp-assay-sandbox-deps', version: '0.0.0', private: true, dependencies }));
    const args = ['install', '--ignore-scripts', '--omit=dev', '--no-audit', '--no-fund', '--package-lock=false', '--loglevel=error', ...(options.registry !== undefined ? ['--registry', options.registry] : [])];
    const done = await runNpm(options.npmPath ?? 'npm', args, work, options.signal, timeoutMs);
    options.signal.throwIfAborted();
    if (!done.ok) return done;
    await rename(path.join(work, 'node_modules'), path.join(staging, 'node_modules')).catch(async (error: unknown) => {
      // Nothing to move when every dependency was optional and skipped.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
    await makeReadable(path.join(staging, 'node_modules'), options.signal).catch(() => undefined);
    return { ok: true };
  } catch (error) {
    options.signal.throwIfAborted();
    return { ok: false, reason: `dependencies not installed: ${errorMessage(error).slice(0, 300)}` };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ containers

function canaryEnv(canaries: CanarySet): Record<string, string> {
  return { ...canaries.env, ASSAY_CANARY_FILES: Buffer.from(JSON.stringify(canaries.files)).toString('base64') };
}

const traceFile = (phase: 'install' | 'start'): string => `${SANDBOX_PATHS.out}/trace-${phase}.txt`;
const eventsFile = (phase: 'install' | 'start'): string => `${SANDBOX_PATHS.out}/events-${phase}.jsonl`;

function phaseSpec(phase: 'install' | 'start', staging: string, env: Record<string, string>, limits: Partial<SandboxLimits> | undefined): ContainerSpec {
  return {
    cmd: [SANDBOX_PATHS.node, HARNESS],
    env: { ...env, ASSAY_PHASE: phase },
    workingDir: PKG,
    binds: [{ host: staging, container: PKG }],
    collect: [traceFile(phase), eventsFile(phase)],
    ...(limits !== undefined ? { limits } : {}),
  };
}

interface Observed {
  events: SandboxEvent[];
  /** The trace or the events were cut at a cap. */
  truncated: boolean;
}

/** Trace events, then the harness's own events (the file, else the block on stderr). */
function observe(result: ContainerResult, phase: 'install' | 'start'): Observed {
  const trace = result.files[traceFile(phase)];
  const parsed = trace !== undefined ? parseStrace(trace.toString('utf8'), { phase }) : { events: [], truncated: false };
  const file = result.files[eventsFile(phase)]?.toString('utf8') ?? extractHarnessBlock(result.stderr.toString('utf8')) ?? '';
  const harness = parseHarnessEvents(file);
  const traceTooLarge = /larger than/.test(result.missingFiles[traceFile(phase)] ?? '');
  return { events: [...parsed.events, ...harness.events], truncated: parsed.truncated || harness.truncated || traceTooLarge };
}

function limitKind(reason: string | undefined): SandboxPhaseStatus['limit'] {
  if (reason === undefined) return undefined;
  if (/process limit|fork/i.test(reason)) return 'pids';
  if (/memory|SIGKILL/i.test(reason)) return 'memory';
  return undefined;
}

function containerPhase(phase: 'install' | 'start', result: ContainerResult): SandboxPhaseStatus {
  const status: SandboxPhaseStatus = { phase, status: result.status };
  if (result.reason !== undefined) status.reason = result.reason;
  const limit = result.status === 'limit' ? limitKind(result.reason) : undefined;
  if (limit !== undefined) status.limit = limit;
  return status;
}

/** An output cap hit turns an otherwise ordinary end into a limit: the flood is the behaviour. */
function withOutputCap(status: SandboxPhaseStatus, result: ContainerResult): SandboxPhaseStatus {
  if (status.status === 'limit' || status.status === 'error' || (!result.truncated.stdout && !result.truncated.stderr)) return status;
  const stream = result.truncated.stdout ? 'stdout' : 'stderr';
  return { phase: status.phase, status: 'limit', limit: 'output', reason: `${stream} went over the ${result.stdout.length || result.stderr.length}-byte cap (${result.dropped[stream]} bytes dropped)` };
}

function withTraceCap(status: SandboxPhaseStatus, observed: Observed): SandboxPhaseStatus {
  if (!observed.truncated || status.status !== 'completed') return status;
  return { phase: status.phase, status: 'limit', limit: 'events', reason: 'the trace went over its size or event cap' };
}

/** Closes stdin, gives the server time to exit, then ends the run; waits for the container to be gone. */
async function finishRun(run: SandboxRun, graceMs: number): Promise<ContainerResult> {
  run.stdin.end();
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'grace'>((resolve) => { timer = setTimeout(() => resolve('grace'), graceMs); });
  try {
    const first = await Promise.race([run.wait(), grace]);
    if (first !== 'grace') return first;
  } finally {
    clearTimeout(timer);
  }
  run.kill('the server did not exit after its stdin was closed');
  return run.wait();
}

function mcpPhase(survey: McpSurvey | undefined, error: unknown, result: ContainerResult): SandboxPhaseStatus {
  if (survey !== undefined) return { phase: 'mcp', status: 'completed' };
  const reason = errorMessage(error).slice(0, 300);
  if (error instanceof McpClientError && error.reason === 'timeout') return { phase: 'mcp', status: 'timeout', reason };
  if (result.truncated.stdout) return { phase: 'mcp', status: 'crashed', reason: `no MCP answer before stdout went over its cap (${reason})` };
  if (error instanceof McpClientError && error.reason === 'limit') return { phase: 'mcp', status: 'limit', limit: 'output', reason };
  return { phase: 'mcp', status: 'crashed', reason };
}

interface PhaseRun {
  runId: string;
  phases: SandboxPhaseStatus[];
  observed: Observed;
  tools: ToolInfo[];
}

async function installPhase(staging: string, env: Record<string, string>, options: SandboxScanOptions, timeoutMs: number): Promise<PhaseRun> {
  options.onProgress?.('sandbox: running install scripts');
  const run = runContainer(phaseSpec('install', staging, env, options.limits), { timeoutMs, signal: options.signal, ...(options.docker !== undefined ? { docker: options.docker } : {}) });
  run.stdout.resume();
  run.stderr.resume();
  run.stdin.end();
  const result = await run.wait();
  const observed = observe(result, 'install');
  const phase = withTraceCap(withOutputCap(containerPhase('install', result), result), observed);
  return { runId: run.runId, phases: [phase], observed, tools: [] };
}

async function startPhase(staging: string, entry: EntryPoint, env: Record<string, string>, options: SandboxScanOptions, timeoutMs: number): Promise<PhaseRun> {
  options.onProgress?.('sandbox: starting the server');
  const graceMs = options.stdinGraceMs ?? DEFAULT_STDIN_GRACE_MS;
  const spec = phaseSpec('start', staging, { ...env, ASSAY_CMD: JSON.stringify(entry.cmd), ASSAY_STDIN_GRACE_MS: String(graceMs) }, options.limits);
  const run = runContainer(spec, { timeoutMs, signal: options.signal, ...(options.docker !== undefined ? { docker: options.docker } : {}) });
  run.stderr.resume();
  // Every request is bounded by what is left, so the survey cannot outlast the container's own limit.
  const left = Math.max(500, timeoutMs - graceMs - HOST_GRACE_EXTRA_MS);
  const timeouts = { initialize: Math.min(options.mcpTimeouts?.initialize ?? 10_000, left), list: Math.min(options.mcpTimeouts?.list ?? 5_000, left) };
  let survey: McpSurvey | undefined;
  let failure: unknown;
  try {
    survey = await surveyServer(run.stdout, run.stdin, { signal: options.signal, timeouts });
  } catch (error) {
    failure = error;
  }
  run.stdout.resume();
  // Rejects only with the caller's abort, and only once the container is gone.
  const result = await finishRun(run, graceMs + HOST_GRACE_EXTRA_MS);
  const observed = observe(result, 'start');
  let start = withTraceCap(withOutputCap(containerPhase('start', result), result), observed);
  const mcp = mcpPhase(survey, failure, result);
  // The harness stops a server that outlives the survey: that end is ours, not a crash. A server that
  // ended on its own before answering shows as a crashed MCP phase instead.
  if (mcp.status !== 'crashed' && start.status === 'crashed') start = { phase: 'start', status: 'completed', reason: `stopped after the survey (${start.reason ?? 'signal'})` };
  return { runId: run.runId, phases: [start, mcp], observed, tools: survey?.tools.items ?? [] };
}

// ------------------------------------------------------------------ the whole run

const STATUS_RANK: Record<SandboxRunStatus, number> = { completed: 0, crashed: 1, timeout: 2, limit: 3, error: 4 };

function overall(phases: readonly SandboxPhaseStatus[]): { status: SandboxRunStatus; reason?: string } {
  // An install that failed is reported in its phase; the run's status is about the server itself.
  const counted = phases.filter((p) => p.phase !== 'install' || p.status === 'timeout' || p.status === 'limit');
  let worst: SandboxPhaseStatus | undefined;
  for (const p of counted) if (worst === undefined || STATUS_RANK[p.status] > STATUS_RANK[worst.status]) worst = p;
  if (worst === undefined || worst.status === 'completed') return { status: 'completed' };
  return { status: worst.status, reason: `${worst.phase}: ${worst.reason ?? worst.status}` };
}

function hasInstallScripts(manifest: Manifest): boolean {
  return ['preinstall', 'install', 'postinstall'].some((name) => {
    const script = manifest.scripts?.[name];
    return typeof script === 'string' && script.trim() !== '';
  });
}

/**
 * Runs the package in the sandbox and returns what it did as findings. Engine failures are a status
 * (`error`) with a reason; only the caller's abort throws, after every container is removed.
 */
export async function runSandbox(workspace: Workspace, callerOptions: SandboxScanOptions): Promise<SandboxScanResult> {
  // Per-run listeners go on a signal of our own: a caller's signal shared by many scans must not collect them.
  const options: SandboxScanOptions = { ...callerOptions, signal: AbortSignal.any([callerOptions.signal]) };
  const started = performance.now();
  const deadline = started + options.timeoutMs;
  const remaining = (): number => Math.max(1000, Math.floor(deadline - performance.now()));
  const runIds: string[] = [];
  const done = (out: Omit<SandboxScanResult, 'durationMs' | 'runIds'>): SandboxScanResult => ({ ...out, runIds, durationMs: Math.round(performance.now() - started) });

  options.onProgress?.('sandbox: staging the package');
  const staging = await stageWorkspace(workspace, options.signal);
  try {
    const manifest = ManifestSchema.safeParse(await readJson(path.join(staging, 'package.json')));
    const pkg: Manifest = manifest.success ? manifest.data : {};
    const phases: SandboxPhaseStatus[] = [];
    const events: SandboxEvent[] = [];

    const plan = planDependencies(pkg, workspace.files.some((f) => f.path.startsWith('node_modules/')));
    if (plan.kind === 'refused') phases.push({ phase: 'install', status: 'error', reason: plan.reason });
    if (plan.kind === 'install') {
      options.onProgress?.(`sandbox: resolving ${Object.keys(plan.dependencies).length} dependencies`);
      const installed = await installDependencies(staging, plan.dependencies, options, Math.min(NPM_TIMEOUT_MS, Math.floor(remaining() / 2)));
      if (!installed.ok) phases.push({ phase: 'install', status: 'error', reason: installed.reason });
    }

    const canaries = makeCanaries(options.canarySeed);
    const env = canaryEnv(canaries);
    if (hasInstallScripts(pkg)) {
      const install = await installPhase(staging, env, options, Math.floor(remaining() * 0.4));
      runIds.push(install.runId);
      phases.push(...install.phases);
      events.push(...install.observed.events);
    }

    const entry = await resolveEntryPoint(staging, pkg);
    let tools: ToolInfo[] = [];
    if (entry === undefined) {
      phases.push({ phase: 'start', status: 'error', reason: 'no entry point: package.json has no bin or main file, and there is no index.js' });
    } else {
      const start = await startPhase(staging, entry, env, options, remaining());
      runIds.push(start.runId);
      phases.push(...start.phases);
      events.push(...start.observed.events);
      tools = start.tools;
    }

    const findings = findingsFromRun({ events, canaries, runtimeTools: tools, staticTools: options.staticTools, statuses: phases });
    return done({ findings, tools, phases, ...overall(phases) });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
