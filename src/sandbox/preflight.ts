import { AssayError, errorMessage } from '../core/errors.js';
import { dockerClient, engineAddress } from './docker.js';
import { SANDBOX_IMAGE_LATEST } from './image.js';

/**
 * `--sandbox` needs a reachable engine and the image; say so before fetching anything, with the command
 * that shows what is missing, rather than reporting the analyzer as failed after the fact.
 */
export async function requireSandbox(signal: AbortSignal): Promise<void> {
  const docker = dockerClient();
  await docker.ping(signal).catch((error: unknown) => {
    throw new AssayError('network', `--sandbox needs a Docker engine, which is not reachable at ${engineAddress()}: ${errorMessage(error)} (run mcp-assay sandbox doctor)`, { cause: error });
  });
  if (!(await docker.imageExists(SANDBOX_IMAGE_LATEST, signal))) {
    throw new AssayError('notFound', `--sandbox needs the image ${SANDBOX_IMAGE_LATEST}: run mcp-assay sandbox build (mcp-assay sandbox doctor shows what else is missing)`);
  }
}
