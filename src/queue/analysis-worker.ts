/**
 * Worker-thread side of the analysis pool: analyses one workspace the main thread fetched and posts the
 * report back. Nothing from the main thread is trusted blindly: the request is validated here and the
 * report is validated again on the way back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { AssayError, errorMessage } from '../core/errors.js';
import { contentsMismatch } from '../core/workspace.js';
import { AnalysisRequestSchema, analyzersFor } from './analysis-pool.js';
import type { AnalysisResponse } from './analysis-pool.js';
import { setEngineDefaults } from '../analyzers/signatures/engine/index.js';
import { analyseWorkspace } from './scan-job.js';

const WorkerDataSchema = z.object({ engineThreads: z.number().int().positive().optional() }).nullish();
const config = WorkerDataSchema.safeParse(workerData);
/** A wasm instance is replaced once one call has grown its heap past this size (ADR 0001, amendment 3). */
const WASM_HEAP_LIMIT_BYTES = 48 * 1024 * 1024;
setEngineDefaults({ threads: config.success ? config.data?.engineThreads : undefined, wasmHeapLimitBytes: WASM_HEAP_LIMIT_BYTES });

const MessageSchema = z.object({ id: z.number().int(), request: z.unknown() });

async function handle(message: unknown): Promise<AnalysisResponse> {
  const envelope = MessageSchema.safeParse(message);
  if (!envelope.success) return { id: -1, ok: false, category: 'internal', message: 'malformed request to the analysis worker' };
  const { id } = envelope.data;
  const request = AnalysisRequestSchema.safeParse(envelope.data.request);
  if (!request.success) return { id, ok: false, category: 'internal', message: `malformed analysis request: ${request.error.issues[0]?.message ?? ''}` };
  const { workspace, contents } = request.data;
  const mismatch = contents === undefined ? undefined : contentsMismatch(workspace, contents);
  if (mismatch !== undefined) return { id, ok: false, category: 'internal', message: `malformed analysis request: ${mismatch}` };
  try {
    // The main thread enforces the job's time limit by terminating this worker; this signal never fires.
    const analyzers = analyzersFor(request.data);
    const report = await analyseWorkspace(request.data.target, workspace, {
      contents,
      ...(analyzers === undefined ? {} : { analyzers }),
      signal: new AbortController().signal,
      analyzerLimits: request.data.analyzerLimits,
      capabilities: request.data.capabilities,
      fetchMs: request.data.fetchMs,
    });
    return { id, ok: true, report };
  } catch (error) {
    return { id, ok: false, category: error instanceof AssayError ? error.category : 'internal', message: errorMessage(error) };
  }
}

parentPort?.on('message', (message: unknown) => {
  void handle(message).then((response) => parentPort?.postMessage(response));
});
