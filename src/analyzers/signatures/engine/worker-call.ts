import type { Transferable, Worker } from 'node:worker_threads';

export interface WorkerCallOptions {
  /** Names the engine in crash and exit messages (`wasm`, `yara-x`). */
  label: string;
  timeoutMs: number;
  timeoutError: () => Error;
  signal?: AbortSignal | undefined;
  transfer?: readonly Transferable[];
}

/**
 * Posts one request to an engine worker and waits for the reply carrying the same id. The promise rejects
 * when the worker crashes or exits, the time limit passes or the signal aborts; the caller decides whether
 * the worker is still fit for use. Every listener is removed on every path.
 */
export function callWorker<R extends { id: number }>(worker: Worker, message: { id: number } & Record<string, unknown>, options: WorkerCallOptions): Promise<R> {
  const { signal } = options;
  return new Promise<R>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error): void => { cleanup(); reject(err); };
    const onMessage = (msg: R): void => {
      if (msg.id !== message.id) return;
      cleanup();
      resolve(msg);
    };
    const onError = (err: Error): void => fail(new Error(`${options.label} worker crashed: ${err.message}`));
    const onExit = (code: number): void => fail(new Error(`${options.label} worker exited with code ${code}`));
    const onAbort = (): void => fail(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    const timer = setTimeout(() => fail(options.timeoutError()), options.timeoutMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.postMessage(message, options.transfer ?? []);
  });
}
