/**
 * `mcp-assay sandbox build | doctor`: build the offline image, and say what a sandboxed scan still needs
 * on this machine, one line per requirement with the fix.
 */
import type { Command } from 'commander';
import { AssayError, EXIT, errorMessage } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import { escapeTerminal } from '../core/text.js';
import { runToCompletion } from '../sandbox/container.js';
import { DockerClient, dockerClient, engineAddress } from '../sandbox/docker.js';
import { SANDBOX_IMAGE_LATEST, buildImage } from '../sandbox/image.js';
import type { Io } from './io.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when the check fails. */
  fix?: string;
}

/** Checks run in order; each later one needs the earlier ones, so the first failure ends the list. */
export async function doctorChecks(docker: DockerClient, signal: AbortSignal): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  try {
    await docker.ping(signal);
    const v = await docker.version(signal);
    checks.push({ name: 'engine', ok: true, detail: `Docker ${v.version} (API ${v.apiVersion}, ${v.os}/${v.arch}) at ${engineAddress()}` });
  } catch (error) {
    checks.push({
      name: 'engine', ok: false, detail: `not reachable at ${engineAddress()}: ${errorMessage(error)}`,
      fix: 'install docker.io and start the engine: dockerd --bridge=none --iptables=false &',
    });
    return checks;
  }
  const hasImage = await docker.imageExists(SANDBOX_IMAGE_LATEST, signal).catch(() => false);
  checks.push(hasImage
    ? { name: 'image', ok: true, detail: SANDBOX_IMAGE_LATEST }
    : { name: 'image', ok: false, detail: `${SANDBOX_IMAGE_LATEST} is missing`, fix: 'mcp-assay sandbox build' });
  if (!hasImage) return checks;

  const probe = "const s=require('fs').readFileSync('/proc/self/status','utf8');console.log(JSON.stringify({uid:process.getuid(),caps:/CapEff:\\s*(\\w+)/.exec(s)?.[1],nnp:/NoNewPrivs:\\s*(\\d)/.exec(s)?.[1]}))";
  const isolated = await runToCompletion({ cmd: ['node', '-e', probe] }, { timeoutMs: 20_000, signal });
  const detail = isolated.stdout.toString('utf8').trim().slice(0, 200);
  const expected = /"uid":10001,"caps":"0+","nnp":"1"/.test(detail);
  checks.push(isolated.status === 'completed' && expected
    ? { name: 'isolation', ok: true, detail: `container started with no network, no capabilities, no-new-privileges, uid 10001 (${isolated.durationMs} ms)` }
    : { name: 'isolation', ok: false, detail: `${isolated.status}${isolated.reason !== undefined ? `: ${isolated.reason}` : ''} ${detail}`.trim(), fix: 'check the engine log; rebuild the image with mcp-assay sandbox build --force' });

  const strace = await runToCompletion({ cmd: ['strace', '-f', '-e', 'trace=execve', '-o', '/out/t', 'node', '-e', '0'], collect: ['/out/t'] }, { timeoutMs: 20_000, signal });
  const traced = strace.files['/out/t']?.toString('utf8') ?? '';
  checks.push(strace.status === 'completed' && traced.includes('execve(')
    ? { name: 'strace', ok: true, detail: 'strace -f traces a process in the sandbox' }
    : { name: 'strace', ok: false, detail: `${strace.status}: ${strace.reason ?? ''} ${strace.stderr.toString('utf8').slice(0, 200)}`.trim(), fix: 'install strace on the host (apt-get install strace), then mcp-assay sandbox build' });
  return checks;
}

function formatChecks(checks: readonly DoctorCheck[]): string {
  return checks.map((c) => `${c.ok ? 'ok     ' : 'missing'}  ${c.name.padEnd(9)} ${escapeTerminal(c.detail)}${c.fix !== undefined ? `\n         fix: ${c.fix}` : ''}`).join('\n') + '\n';
}

interface BuildFlags {
  force?: boolean;
  node?: string;
}

async function build(flags: BuildFlags, io: Io, signal: AbortSignal): Promise<ExitCode> {
  const docker = dockerClient();
  await docker.ping(signal).catch((error: unknown) => {
    throw new AssayError('network', `the Docker engine is not reachable at ${engineAddress()}: ${errorMessage(error)} (run mcp-assay sandbox doctor)`, { cause: error });
  });
  const result = await buildImage(docker, { signal, ...(flags.force === true ? { force: true } : {}), ...(flags.node !== undefined ? { nodePath: flags.node } : {}) });
  io.out(`${result.built ? 'built' : 'up to date'}: ${result.tag} (${result.entries} entries), tagged ${SANDBOX_IMAGE_LATEST}\n`);
  return EXIT.ok;
}

export function registerSandbox(program: Command, io: Io, signal: AbortSignal, setExit: (code: ExitCode) => void): void {
  const sandbox = program.command('sandbox').description('the container a sandboxed scan runs in: build the image, check this machine');
  sandbox
    .command('build')
    .description('assemble the sandbox image offline from this machine\'s node, strace and their libraries, and load it')
    .option('--force', 'rebuild even when an image with the same inputs exists')
    .option('--node <path>', 'the Node binary to put in the image (default: the one running mcp-assay)')
    .action(async (flags: BuildFlags) => {
      setExit(await build(flags, io, signal));
    });
  sandbox
    .command('doctor')
    .description('check the engine, the image, strace and the isolation settings; print the fix for what is missing')
    .action(async () => {
      const checks = await doctorChecks(dockerClient(), signal);
      io.out(formatChecks(checks));
      setExit(checks.every((c) => c.ok) && checks.length === 4 ? EXIT.ok : EXIT.notFound);
    });
}
