/**
 * Sandbox tests need a real Docker engine. Without one they skip with a clear message on a developer's
 * machine, and fail in CI (CI=true), where .ci/run is supposed to have started the engine.
 */
import { describe } from 'vitest';
import { errorMessage } from '../../core/errors.js';
import { DockerClient, engineAddress } from '../docker.js';
import { buildImage } from '../image.js';

export interface EngineState {
  available: boolean;
  reason: string;
}

let cached: Promise<EngineState> | undefined;

/** Pings the engine and makes sure the sandbox image is built (a no-op when it is up to date). */
export function engineState(): Promise<EngineState> {
  cached ??= (async (): Promise<EngineState> => {
    const docker = new DockerClient();
    try {
      await docker.ping();
    } catch (error) {
      return { available: false, reason: `no Docker engine at ${engineAddress()}: ${errorMessage(error)}` };
    }
    await buildImage(docker);
    return { available: true, reason: 'engine reachable, image built' };
  })();
  return cached;
}

export function inCi(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

/**
 * `describe` when the engine is there; otherwise `describe.skip` with the reason in its name, or, in CI,
 * a `describe` whose body throws, so a missing engine is a failure there.
 */
export async function describeWithDocker(name: string, body: () => void): Promise<void> {
  const state = await engineState();
  if (state.available) { describe(name, body); return; }
  if (inCi()) {
    describe(name, () => {
      throw new Error(`CI=true but the sandbox tests cannot run: ${state.reason}`);
    });
    return;
  }
  describe.skip(`${name} (skipped: ${state.reason}; start dockerd to run them)`, body);
}
