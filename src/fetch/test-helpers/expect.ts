import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { AssayError } from '../../core/errors.js';

/** Awaits a promise that must reject with an AssayError, and returns that error for further checks. */
export async function expectAssayError(promise: Promise<unknown>): Promise<AssayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AssayError);
    return error as AssayError;
  }
  throw new Error('expected an AssayError, but the promise resolved');
}

/** A loopback port with nothing listening on it (the listener that found it is closed again). */
export async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The directory of a workspace a test made on disk (fails the test if it is held in memory). */
export function rootOf(workspace: { root?: string | undefined }): string {
  if (workspace.root === undefined) throw new Error('expected a workspace on disk, got one held in memory');
  return workspace.root;
}
