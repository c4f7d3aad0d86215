/**
 * A thin layer over dockerode: one place that connects to the engine, gives every call a time limit and the
 * caller's AbortSignal, and turns engine failures into AssayErrors with a reason. Sandboxed runs use
 * container.ts on top of this.
 */
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import { z } from 'zod';
import { AssayError, errorMessage, isAbortError } from '../core/errors.js';

/** Ordinary engine calls (inspect, create, remove) finish in well under this. */
export const DOCKER_CALL_TIMEOUT_MS = 30_000;

export interface EngineVersion {
  version: string;
  apiVersion: string;
  os: string;
  arch: string;
}

const VersionSchema = z.object({
  Version: z.string().max(200).catch('unknown'),
  ApiVersion: z.string().max(50).catch('unknown'),
  Os: z.string().max(50).catch('unknown'),
  Arch: z.string().max(50).catch('unknown'),
});

/** Where the engine is, from DOCKER_HOST or the default socket; for messages only. */
export function engineAddress(): string {
  return process.env.DOCKER_HOST ?? '/var/run/docker.sock';
}

/** A signal that fires when the caller aborts or the call takes longer than `ms`. */
export function callSignal(signal: AbortSignal | undefined, ms = DOCKER_CALL_TIMEOUT_MS): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
}

function statusCode(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
}

export function isNotFound(error: unknown): boolean {
  return statusCode(error) === 404;
}

/** Engine errors become `network` AssayErrors naming the operation; aborts pass through untouched. */
export function engineError(operation: string, error: unknown): Error {
  if (isAbortError(error) || error instanceof AssayError) return error as Error;
  const code = statusCode(error);
  return new AssayError('network', `docker ${operation} failed${code !== undefined ? ` (HTTP ${code})` : ''}: ${errorMessage(error).slice(0, 500)}`, { cause: error });
}

/**
 * dockerode 5 accepts `abortSignal` in every call's options; the published typings predate it on some
 * methods, so those calls go through this narrow view.
 */
interface SignalledApi {
  ping(options: { abortSignal: AbortSignal }): Promise<unknown>;
  version(options: { abortSignal: AbortSignal }): Promise<unknown>;
}

/** Options carrying an AbortSignal, typed as what the typings expect for `T`. */
export function withAbort<T extends object>(options: T, signal: AbortSignal): T {
  return { ...options, abortSignal: signal };
}

/** dockerode (with ssh2 and grpc) takes about 0.4 s to load: only commands that reach the engine pay it. */
function newDockerApi(): Docker {
  const Ctor = createRequire(import.meta.url)('dockerode') as typeof Docker;
  return new Ctor();
}

export class DockerClient {
  readonly api: Docker;

  constructor(api: Docker = newDockerApi()) {
    this.api = api;
  }

  async ping(signal?: AbortSignal): Promise<void> {
    try {
      await (this.api as unknown as SignalledApi).ping({ abortSignal: callSignal(signal, 5_000) });
    } catch (error) {
      throw engineError(`ping (${engineAddress()})`, error);
    }
  }

  async version(signal?: AbortSignal): Promise<EngineVersion> {
    try {
      const raw = VersionSchema.parse(await (this.api as unknown as SignalledApi).version({ abortSignal: callSignal(signal, 5_000) }));
      return { version: raw.Version, apiVersion: raw.ApiVersion, os: raw.Os, arch: raw.Arch };
    } catch (error) {
      throw engineError('version', error);
    }
  }

  async imageExists(ref: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.api.getImage(ref).inspect(withAbort({}, callSignal(signal)));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw engineError(`inspect image ${ref}`, error);
    }
  }

  async tagImage(ref: string, repo: string, tag: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.api.getImage(ref).tag(withAbort({ repo, tag }, callSignal(signal)));
    } catch (error) {
      throw engineError(`tag ${ref} as ${repo}:${tag}`, error);
    }
  }

  /** `POST /images/create?fromSrc=-`: loads a root filesystem tar as a one-layer image. */
  async importTar(tar: Readable, options: { repo: string; tag: string; changes: string[]; signal: AbortSignal }): Promise<void> {
    try {
      const stream = await this.api.importImage(tar, { repo: options.repo, tag: options.tag, changes: options.changes, abortSignal: options.signal });
      const output = await readAll(stream, 1024 * 1024);
      // The engine reports a failed import as a JSON line with an error, still with HTTP 200.
      const failure = /"error(?:Detail)?"\s*:\s*(?:\{\s*"message"\s*:\s*)?"([^"]{0,500})/.exec(output);
      if (failure !== null) throw new Error(failure[1]);
    } catch (error) {
      tar.destroy();
      throw engineError('import', error);
    }
  }
}

async function readAll(stream: NodeJS.ReadableStream, max: number): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    if (text.length < max) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  }
  return text;
}

let shared: DockerClient | undefined;

/** One client per process; dockerode keeps no connection open between calls. */
export function dockerClient(): DockerClient {
  shared ??= new DockerClient();
  return shared;
}
