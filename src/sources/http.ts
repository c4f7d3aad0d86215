import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, isAbortError } from '../core/errors.js';
import { createRegistryFetch, type RegistryFetch } from './http2.js';

/** Why a request gave up. Only `network`, `status` 5xx and 429 are ever retried. */
export type HttpFailureKind = 'aborted' | 'network' | 'status' | 'too-large' | 'invalid-json';

export interface HttpFailure {
  kind: HttpFailureKind;
  message: string;
  status?: number;
  /** True when the last attempt failed for a transient reason (the retries ran out). */
  transient: boolean;
  attempts: number;
}

export type HttpResult<T> = { ok: true; value: T; status: number; attempts: number } | { ok: false; failure: HttpFailure };

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  /** First backoff; doubled per attempt, with full jitter. */
  baseDelayMs: number;
  /** Upper bound on any single sleep, Retry-After included. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 60_000 });
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface HttpRequestOptions {
  /** The caller's signal; aborting it ends the request and any backoff sleep at once. */
  signal: AbortSignal;
  /** Cap on the response body, checked while reading. */
  maxBytes: number;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  headers?: Record<string, string>;
  /** The HTTP client; by default one shared by the process, HTTP/2 where the server speaks it (http2.ts). */
  fetch?: typeof fetch;
  onWarning?: (message: string) => void;
  /** Injected by tests to replace the random jitter factor in [0, 1). */
  random?: () => number;
}

type Attempt =
  | { kind: 'done'; body: Buffer; status: number }
  | { kind: 'retry'; failure: Omit<HttpFailure, 'attempts'>; retryAfterMs?: number }
  | { kind: 'fail'; failure: Omit<HttpFailure, 'attempts'> };

/** GET a URL and return its body as bytes, retrying transient failures. Never throws for remote trouble. */
export async function fetchBytes(url: string, options: HttpRequestOptions): Promise<HttpResult<Buffer>> {
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  const maxAttempts = Math.max(1, Math.floor(policy.maxAttempts));
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(url, options);
    if (outcome.kind === 'done') return { ok: true, value: outcome.body, status: outcome.status, attempts: attempt };
    if (outcome.kind === 'fail') return { ok: false, failure: { ...outcome.failure, attempts: attempt } };
    if (attempt >= maxAttempts) return { ok: false, failure: { ...outcome.failure, attempts: attempt } };
    const delay = backoffDelay(attempt, policy, outcome.retryAfterMs, options.random ?? Math.random);
    options.onWarning?.(`${outcome.failure.message}; retry ${attempt}/${maxAttempts - 1} in ${delay} ms`);
    try {
      await sleep(delay, undefined, { signal: options.signal });
    } catch {
      return { ok: false, failure: { kind: 'aborted', message: `aborted while waiting to retry ${url}`, transient: false, attempts: attempt } };
    }
  }
}

/** GET a URL and parse it as JSON. A body that is not JSON is an `invalid-json` failure, never retried. */
export async function fetchJson(url: string, options: HttpRequestOptions): Promise<HttpResult<unknown>> {
  const result = await fetchBytes(url, { ...options, headers: { accept: 'application/json', ...options.headers } });
  if (!result.ok) return result;
  try {
    return { ok: true, value: JSON.parse(result.value.toString('utf8')) as unknown, status: result.status, attempts: result.attempts };
  } catch (error) {
    const failure: HttpFailure = {
      kind: 'invalid-json',
      message: `${url} did not return valid JSON: ${errorMessage(error).slice(0, 200)}`,
      transient: false,
      attempts: result.attempts,
    };
    return { ok: false, failure };
  }
}

/** Full jitter on an exponential base, or the server's Retry-After; either way capped. */
export function backoffDelay(attempt: number, policy: RetryPolicy, retryAfterMs: number | undefined, random: () => number): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), policy.maxDelayMs);
  const exponential = policy.baseDelayMs * 2 ** Math.min(attempt - 1, 30);
  return Math.floor(Math.min(exponential, policy.maxDelayMs) * random());
}

/** Retry-After as delta-seconds or an HTTP date; anything else is ignored. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  // HTTP dates spell the month; without this Date.parse would read "-5" or "1.5" as years.
  if (text.length > 64 || !/[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

let shared: RegistryFetch | undefined;

/** One client for every source request of the process, so that each registry gets one HTTP/2 session. */
function sharedFetch(): RegistryFetch {
  shared ??= createRegistryFetch();
  return shared;
}

async function attemptOnce(url: string, options: HttpRequestOptions): Promise<Attempt> {
  if (options.signal.aborted) return { kind: 'fail', failure: { kind: 'aborted', message: `aborted before requesting ${url}`, transient: false } };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)]);
  const doFetch = options.fetch ?? sharedFetch().fetch;
  let response: Response;
  try {
    response = await doFetch(url, { signal, headers: options.headers ?? {}, redirect: 'follow' });
  } catch (error) {
    return requestError(url, error, options.signal, timeoutMs);
  }
  if (response.status === 429 || response.status >= 500) {
    await discard(response);
    const failure = { kind: 'status' as const, status: response.status, message: `${url} answered HTTP ${response.status}`, transient: true };
    const retryAfterMs = response.status === 429 || response.status === 503 ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
    return retryAfterMs === undefined ? { kind: 'retry', failure } : { kind: 'retry', failure, retryAfterMs };
  }
  if (!response.ok) {
    await discard(response);
    return { kind: 'fail', failure: { kind: 'status', status: response.status, message: `${url} answered HTTP ${response.status}`, transient: false } };
  }
  try {
    const body = await readCapped(response, options.maxBytes);
    if (body === undefined) {
      return { kind: 'fail', failure: { kind: 'too-large', message: `${url} sent more than ${options.maxBytes} bytes`, transient: false } };
    }
    return { kind: 'done', body, status: response.status };
  } catch (error) {
    return requestError(url, error, options.signal, timeoutMs);
  }
}

function requestError(url: string, error: unknown, callerSignal: AbortSignal, timeoutMs: number): Attempt {
  if (callerSignal.aborted) return { kind: 'fail', failure: { kind: 'aborted', message: `request to ${url} aborted`, transient: false } };
  const timedOut = isAbortError(error);
  const message = timedOut ? `${url} did not answer within ${timeoutMs} ms` : `request to ${url} failed: ${describeNetworkError(error)}`;
  return { kind: 'retry', failure: { kind: 'network', message, transient: true } };
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const code = (cause as { code?: unknown } | null)?.code;
  const text = typeof code === 'string' ? `${errorMessage(error)} (${code})` : errorMessage(error);
  return text.slice(0, 300);
}

/** Reads at most `maxBytes`; returns undefined (and cancels the stream) as soon as the body goes over. */
async function readCapped(response: Response, maxBytes: number): Promise<Buffer | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await discard(response);
    return undefined;
  }
  if (response.body === null) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/** How a source ends when a request it cannot do without gave up. */
export function endStatusFor(failure: HttpFailure): 'aborted' | 'failed' | 'truncated' {
  if (failure.kind === 'aborted') return 'aborted';
  if (failure.kind === 'too-large') return 'truncated';
  return 'failed';
}

/** One-line reason for a SourceEnd: the failure and how many attempts it took. */
export function failureReason(failure: HttpFailure): string {
  return failure.attempts > 1 ? `${failure.message} (gave up after ${failure.attempts} attempts)` : failure.message;
}

/** True for an absolute http: or https: URL. */
export function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol } = new URL(text);
  return protocol === 'https:' || protocol === 'http:';
}

/** Joins a base URL (possibly with a path) and an absolute path, without doubling slashes. */
export function joinUrl(base: string, pathAndQuery: string): string {
  return `${base.replace(/\/+$/, '')}${pathAndQuery}`;
}
