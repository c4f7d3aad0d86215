import { posix } from 'node:path';
import type { Finding, RuleMeta } from '../core/finding.js';
import { defineRule, makeFinding } from '../core/finding.js';
import { escapeTerminal } from '../core/text.js';
import type { ToolInfo } from '../core/tool.js';
import { findCanaryLeaks } from './canary.js';
import type { CanarySet, SandboxEvent, SandboxPhase, SandboxRunStatus } from './events.js';
import { SANDBOX_PATHS } from './image.js';
import { classifySensitivePath } from './strace.js';

export const SANDBOX_ANALYZER_ID = 'sandbox';

export const SANDBOX_RULES = {
  canaryExfiltrated: defineRule({
    id: 'sandbox/canary-exfiltrated',
    title: 'Sent a planted credential over the network',
    severity: 'critical',
    kind: 'threat',
    capability: 'credentials',
    description:
      'A canary credential planted for this run (a random value shaped like a cloud, GitHub, OpenAI or npm key, ' +
      'given as an environment variable or inside a file such as ~/.aws/credentials) appeared in bytes the code ' +
      'sent to a network address or in a DNS name it looked up, plainly or base64-, hex- or URL-encoded. The value ' +
      'exists nowhere else, so this is proof of credential theft, not suspicion.',
    recommendation: 'Do not run this server. Rotate any credential that was present where it already ran.',
  }),
  canaryFileRead: defineRule({
    id: 'sandbox/canary-file-read',
    title: 'Read a planted credential file',
    severity: 'high',
    kind: 'threat',
    capability: 'credentials',
    description:
      'The code opened one of the canary credential files planted in its home directory (~/.ssh/id_rsa, ' +
      '~/.aws/credentials, ~/.npmrc, an MCP client configuration). An MCP server has no reason to read the ' +
      'user\'s keys or other servers\' configurations.',
    recommendation: 'Find out why the file is read; treat the server as hostile unless one of its tools openly needs it.',
  }),
  sensitiveFileRead: defineRule({
    id: 'sandbox/sensitive-file-read',
    title: 'Tried to open a secret-holding path',
    severity: 'medium',
    kind: 'threat',
    capability: 'credentials',
    description:
      'The code tried to open a path where secrets usually live (SSH keys, cloud credentials, package tokens, ' +
      '.env files, MCP client configurations, /etc/shadow, browser profiles, keychains, wallets), whether or not ' +
      'the file existed in the sandbox. Probing for such paths is how credential stealers work.',
    recommendation: 'Check what the code does with the path; a server should read only files the user points it at.',
  }),
  dnsLookup: defineRule({
    id: 'sandbox/dns-lookup',
    title: 'Looked up host names',
    severity: 'low',
    kind: 'capability',
    capability: 'network',
    description:
      'The code asked the sandbox resolver for these names. Nothing left the container (every name resolved to ' +
      'the container\'s own loopback), but outside the sandbox the server would have reached them.',
    recommendation: 'Check that each name belongs to a service the server says it uses.',
  }),
  outboundConnection: defineRule({
    id: 'sandbox/outbound-connection',
    title: 'Opened a network connection',
    severity: 'medium',
    kind: 'capability',
    capability: 'network',
    description:
      'While starting or answering MCP requests the server connected to a network address (caught by the ' +
      'sandbox\'s own listeners, which record the HTTP host and path or the TLS server name it asked for).',
    recommendation: 'Check that the destination matches what the server\'s tools say they do.',
  }),
  installScriptNetwork: defineRule({
    id: 'sandbox/install-script-network',
    title: 'Install script used the network',
    severity: 'high',
    kind: 'threat',
    capability: 'network',
    description:
      'An install script (preinstall, install, postinstall), run in the sandbox as npm would, looked up a name ' +
      'or connected to an address. Install-time network access fetches second stages or sends data out before ' +
      'the user has run anything.',
    recommendation: 'Install with --ignore-scripts, or not at all until the script is explained.',
  }),
  installScriptExec: defineRule({
    id: 'sandbox/install-script-exec',
    title: 'Install script started other programs',
    severity: 'medium',
    kind: 'threat',
    capability: 'process',
    description:
      'An install script started programs other than a shell, node or a usual build tool, or ran a file from ' +
      'a writable location (a downloaded payload).',
    recommendation: 'Read what the script runs; a published package should not need to run anything at install time.',
  }),
  processExec: defineRule({
    id: 'sandbox/process-exec',
    title: 'Started other programs',
    severity: 'low',
    kind: 'capability',
    capability: 'process',
    description: 'While starting or answering MCP requests the server started other programs.',
    recommendation: 'Check that its tools say they run programs, and which.',
  }),
  writeOutsideScratch: defineRule({
    id: 'sandbox/write-outside-scratch',
    title: 'Tried to write outside its scratch space',
    severity: 'medium',
    kind: 'threat',
    capability: 'filesystem',
    description:
      'The code opened a file for writing outside the temporary directory and its home (the sandbox root is ' +
      'read-only, so the attempt failed there; on a real machine it would not).',
    recommendation: 'Check which files are written and why; persistence (shell profiles, autostart, other packages) is a red flag.',
  }),
  forkBomb: defineRule({
    id: 'sandbox/fork-bomb',
    title: 'Spawned processes without bound',
    severity: 'high',
    kind: 'threat',
    capability: 'process',
    description: 'The code hit the sandbox\'s process limit or created a very large number of processes.',
    recommendation: 'Do not run this server; it can make the machine unusable.',
  }),
  resourceLimit: defineRule({
    id: 'sandbox/resource-limit',
    title: 'Hit a sandbox resource limit',
    severity: 'medium',
    kind: 'threat',
    description: 'The run hit a sandbox limit (memory, processes, output size or trace size) and was stopped.',
    recommendation: 'Check whether the server needs that much; floods of output or memory are a denial of service.',
  }),
  toolOnlyAtRuntime: defineRule({
    id: 'sandbox/tool-only-at-runtime',
    title: 'Offers a tool its code does not declare',
    severity: 'medium',
    kind: 'threat',
    description:
      'tools/list at run time returned a tool that static analysis of the code did not find. Tools assembled or ' +
      'fetched at run time escape review and can change after the user approved the server.',
    recommendation: 'Read where the tool comes from; prefer servers whose tool list is fixed in the code.',
  }),
  toolDescriptionDiffers: defineRule({
    id: 'sandbox/tool-description-differs',
    title: 'Tool description differs at run time',
    severity: 'medium',
    kind: 'threat',
    description:
      'A tool\'s description at run time differs from the one in the code. The text the model reads is then not ' +
      'the text a reviewer read: a way to slip in instructions (tool poisoning).',
    recommendation: 'Compare both descriptions; trust neither until the difference is explained.',
  }),
  serverDidNotStart: defineRule({
    id: 'sandbox/server-did-not-start',
    title: 'Server did not answer MCP in the sandbox',
    severity: 'info',
    kind: 'threat',
    description: 'The server exited, crashed or never answered initialize in the sandbox, so its run-time behaviour was not observed.',
    recommendation: 'Read the reason; a server that needs configuration may need it given through --sandbox options.',
  }),
  timeout: defineRule({
    id: 'sandbox/timeout',
    title: 'Sandbox run timed out',
    severity: 'low',
    kind: 'threat',
    description: 'A phase of the sandbox run did not finish within its time limit and was stopped.',
    recommendation: 'A server that hangs on install or start wastes the user\'s time at best; check what it waits for.',
  }),
} as const satisfies Record<string, RuleMeta>;

export interface SandboxPhaseStatus {
  phase: SandboxPhase;
  status: SandboxRunStatus;
  reason?: string;
  /** Which limit was hit when status is `limit`. */
  limit?: 'pids' | 'memory' | 'cpu' | 'output' | 'events' | 'disk';
}

export interface SandboxRunInput {
  events: readonly SandboxEvent[];
  canaries: CanarySet;
  runtimeTools: readonly ToolInfo[];
  staticTools: readonly ToolInfo[];
  statuses: readonly SandboxPhaseStatus[];
  /** Home directory inside the container. */
  home?: string;
}

const MAX_LIST = 20;
/** More distinct processes than this in one run is a fork bomb, limit or not. */
export const FORK_BOMB_PROCESSES = 200;

const show = (s: string, max = 120): string => escapeTerminal(s.length > max ? `${s.slice(0, max)}…` : s);

function listText(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LIST).map((i) => show(i, 80));
  return items.length > MAX_LIST ? `${shown.join(', ')} (+${items.length - MAX_LIST} more)` : shown.join(', ');
}

const f = (rule: RuleMeta, input: Parameters<typeof makeFinding>[2]): Finding => makeFinding(rule, SANDBOX_ANALYZER_ID, input);

function canaryFindings(input: SandboxRunInput): Finding[] {
  const report = findCanaryLeaks(input.canaries, input.events);
  const out: Finding[] = [];
  for (const leak of report.exfiltrated) {
    const e = leak.event;
    const where = e.type === 'capture' ? `${e.sni ?? e.host ?? '?'}:${e.port}${e.path ? ` ${e.method ?? ''} ${e.path}` : ''}` : e.type === 'dns' ? `DNS ${e.name}` : e.type;
    out.push(
      f(SANDBOX_RULES.canaryExfiltrated, {
        message: `${leak.label} sent (${leak.encoding}) during ${e.phase} to ${show(where)}`,
        location: { event: `${e.type}:${e.phase}` },
        evidence: `${leak.label} ${leak.encoding} → ${where}`,
      }),
    );
  }
  for (const read of report.filesRead) {
    out.push(
      f(SANDBOX_RULES.canaryFileRead, {
        message: `opened ${show(read.path)} during ${read.event.phase}`,
        location: { event: `open:${read.event.phase}` },
        evidence: read.path,
      }),
    );
  }
  return out;
}

function sensitiveFindings(input: SandboxRunInput, home: string): Finding[] {
  const canaryPaths = new Set(Object.keys(input.canaries.files).map((p) => posix.normalize(p)));
  const byPath = new Map<string, { category: string; phase: SandboxPhase }>();
  for (const e of input.events) {
    if (e.type !== 'open' || canaryPaths.has(posix.normalize(e.path))) continue;
    const category = classifySensitivePath(e.path, home);
    if (category && !byPath.has(e.path)) byPath.set(e.path, { category, phase: e.phase });
  }
  return [...byPath].slice(0, MAX_LIST).map(([path, { category, phase }]) =>
    f(SANDBOX_RULES.sensitiveFileRead, { message: `${category}: ${show(path)} during ${phase}`, location: { event: `open:${phase}` }, evidence: path }),
  );
}

const isResolver = (e: SandboxEvent): boolean => e.type === 'connect' && e.port === 53 && (e.address === '127.0.0.1' || e.address === '::1');

function networkFindings(input: SandboxRunInput): Finding[] {
  const out: Finding[] = [];
  const names = new Map<SandboxPhase, Set<string>>();
  for (const e of input.events) if (e.type === 'dns') (names.get(e.phase) ?? names.set(e.phase, new Set()).get(e.phase))?.add(e.name);
  const installNames = [...(names.get('install') ?? [])];
  const runNames = [...new Set([...(names.get('start') ?? []), ...(names.get('mcp') ?? [])])];
  if (runNames.length > 0) out.push(f(SANDBOX_RULES.dnsLookup, { message: `looked up ${listText(runNames)}`, location: { event: 'dns' }, evidence: listText(runNames) }));

  const destinations = new Map<string, SandboxPhase>();
  for (const e of input.events) {
    if (e.type === 'capture') destinations.set(`${e.sni ?? e.host ?? '127.0.0.1'}:${e.port}${e.path ? ` ${e.method ?? ''} ${e.path}` : ''}`, e.phase);
    else if (e.type === 'connect' && (e.family === 'inet' || e.family === 'inet6') && !isResolver(e)) destinations.set(`${e.address}:${e.port ?? 0}`, e.phase);
  }
  const installDest = [...destinations].filter(([, p]) => p === 'install').map(([d]) => d);
  const runDest = [...destinations].filter(([, p]) => p !== 'install').map(([d]) => d);
  for (const dest of runDest.slice(0, MAX_LIST)) out.push(f(SANDBOX_RULES.outboundConnection, { message: `connected to ${show(dest)}`, location: { event: 'connect' }, evidence: dest }));
  if (installNames.length > 0 || installDest.length > 0) {
    const all = [...installNames.map((n) => `DNS ${n}`), ...installDest];
    out.push(f(SANDBOX_RULES.installScriptNetwork, { message: `install scripts reached ${listText(all)}`, location: { event: 'install' }, evidence: listText(all) }));
  }
  return out;
}

/** What an install script may run without comment. */
const USUAL_INSTALL_TOOLS = new Set(['sh', 'bash', 'dash', 'node', 'npm', 'npx', 'node-gyp', 'make', 'gmake', 'cc', 'gcc', 'g++', 'c++', 'clang', 'python', 'python3', 'tsc', 'env', 'true', 'mkdir', 'cp', 'rm', 'ln', 'echo']);
const WRITABLE_ROOTS = [SANDBOX_PATHS.tmp, SANDBOX_PATHS.home, SANDBOX_PATHS.out, '/dev/shm', '/var/tmp'];
const under = (p: string, roots: readonly string[]) => roots.some((r) => p === r || p.startsWith(`${r}/`));

function execFindings(input: SandboxRunInput): Finding[] {
  const out: Finding[] = [];
  const firstExec = new Map<SandboxPhase, Extract<SandboxEvent, { type: 'exec' }>>();
  const odd = { install: new Set<string>(), run: new Set<string>() };
  for (const e of input.events) {
    if (e.type !== 'exec') continue;
    // The first exec of a phase is the command the harness started, and further execs by that same pid are
    // its own start-up (a `#!/usr/bin/env node` shebang); only what it starts in new processes counts.
    const first = firstExec.get(e.phase);
    if (!first) firstExec.set(e.phase, e);
    if (e.phase !== 'install' && (!first || first.pid === e.pid)) continue;
    const name = posix.basename(e.path);
    const shown = [e.path, ...e.argv.slice(1, 4)].join(' ');
    if (e.phase === 'install') {
      // `sh /tmp/payload.sh`: a usual interpreter running a file the script just wrote (tmpfs may be noexec).
      const runsWritable = [e.path, ...e.argv.slice(1, 3)].some((a) => a.startsWith('/') && under(posix.normalize(a), WRITABLE_ROOTS));
      if (!USUAL_INSTALL_TOOLS.has(name) || runsWritable) odd.install.add(shown);
    } else {
      odd.run.add(shown);
    }
  }
  if (odd.install.size > 0) {
    const list = listText([...odd.install]);
    out.push(f(SANDBOX_RULES.installScriptExec, { message: `install scripts ran ${list}`, location: { event: 'exec:install' }, evidence: list }));
  }
  if (odd.run.size > 0) {
    const list = listText([...odd.run]);
    out.push(f(SANDBOX_RULES.processExec, { message: `started ${list}`, location: { event: 'exec' }, evidence: list }));
  }
  return out;
}

/** Writes the sandbox itself expects (terminal, null device, the process's own pipes). */
const HARMLESS_WRITE = /^\/(?:dev\/(?:null|tty|stdout|stderr|full|zero|urandom|random|ptmx|pts\/\d+)|proc\/self\/fd\/\d+)$/;

function writeFindings(input: SandboxRunInput): Finding[] {
  const paths = new Set<string>();
  for (const e of input.events) {
    if (e.type !== 'open' || !e.write) continue;
    if (!e.path.startsWith('/')) {
      // Relative to the working directory, the read-only package mount.
      paths.add(e.path);
      continue;
    }
    const p = posix.normalize(e.path);
    if (!HARMLESS_WRITE.test(p) && !under(p, WRITABLE_ROOTS)) paths.add(p);
  }
  if (paths.size === 0) return [];
  const list = listText([...paths]);
  return [f(SANDBOX_RULES.writeOutsideScratch, { message: `opened for writing: ${list}`, location: { event: 'open' }, evidence: list })];
}

function statusFindings(input: SandboxRunInput): Finding[] {
  const out: Finding[] = [];
  const pids = new Set<number>();
  for (const e of input.events) if (e.type === 'exec' || e.type === 'open' || e.type === 'connect') pids.add(e.pid);
  const pidLimit = input.statuses.find((s) => s.status === 'limit' && s.limit === 'pids');
  if (pidLimit || pids.size > FORK_BOMB_PROCESSES) {
    const phase = pidLimit?.phase ?? 'start';
    out.push(f(SANDBOX_RULES.forkBomb, { message: `${pids.size} processes seen${pidLimit ? '; process limit reached' : ''}`, location: { event: `limit:${phase}` }, evidence: `${phase}: ${pids.size} processes` }));
  }
  for (const s of input.statuses) {
    const reason = s.reason === undefined ? '' : `: ${show(s.reason, 200)}`;
    if (s.status === 'limit' && s.limit !== 'pids') out.push(f(SANDBOX_RULES.resourceLimit, { message: `${s.phase} hit the ${s.limit ?? 'resource'} limit${reason}`, location: { event: `limit:${s.phase}` }, evidence: `${s.phase} ${s.limit ?? 'limit'}` }));
    if (s.status === 'timeout') out.push(f(SANDBOX_RULES.timeout, { message: `${s.phase} timed out${reason}`, location: { event: `timeout:${s.phase}` }, evidence: `${s.phase} timeout` }));
  }
  const start = input.statuses.find((s) => s.phase === 'start');
  const mcp = input.statuses.find((s) => s.phase === 'mcp');
  const failed = mcp ? mcp.status !== 'completed' : start !== undefined;
  if (failed) {
    const s = mcp ?? start;
    const reason = s?.reason === undefined ? s?.status ?? 'no answer' : `${s.status}: ${show(s.reason, 200)}`;
    out.push(f(SANDBOX_RULES.serverDidNotStart, { message: reason, location: { event: 'mcp' }, evidence: s?.status ?? 'no answer' }));
  }
  return out;
}

const normaliseDescription = (d: string): string => d.replace(/\s+/g, ' ').trim();

function toolFindings(input: SandboxRunInput): Finding[] {
  // Without a static list there is nothing to compare with: tools built at run time are then not a finding.
  if (input.staticTools.length === 0) return [];
  const staticByName = new Map(input.staticTools.map((t) => [t.name, t]));
  const out: Finding[] = [];
  for (const tool of input.runtimeTools.slice(0, 500)) {
    const known = staticByName.get(tool.name);
    if (!known) {
      out.push(f(SANDBOX_RULES.toolOnlyAtRuntime, { message: `tool ${show(tool.name)} is listed at run time only`, location: { event: `tool:${tool.name}` }, evidence: tool.name }));
      continue;
    }
    if (known.description !== '' && normaliseDescription(known.description) !== normaliseDescription(tool.description)) {
      out.push(
        f(SANDBOX_RULES.toolDescriptionDiffers, {
          message: `static: "${show(known.description, 150)}" / run time: "${show(tool.description, 150)}"`,
          location: { event: `tool:${tool.name}` },
          evidence: `${tool.name}: ${tool.description}`,
        }),
      );
    }
  }
  return out;
}

/** Turns one sandbox run into findings. Pure: same input, same findings. */
export function findingsFromRun(input: SandboxRunInput): Finding[] {
  const home = input.home ?? SANDBOX_PATHS.home;
  return [
    ...canaryFindings(input),
    ...sensitiveFindings(input, home),
    ...networkFindings(input),
    ...execFindings(input),
    ...writeFindings(input),
    ...statusFindings(input),
    ...toolFindings(input),
  ];
}
