import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type pacote from 'pacote';
import semver from 'semver';
import { z } from 'zod';
import { AssayError, errorMessage, isAbortError } from '../core/errors.js';
import type { ArchiveCache } from './archive-cache.js';
import { DEFAULT_CACHE_MAX_BYTES, openArchiveCache, tryParseIntegrity } from './archive-cache.js';
import { formatBytes } from '../core/limits.js';
import type { Target } from '../core/target.js';
import { isHttpUrl } from '../sources/http.js';
import { parseNpmSpec } from '../sources/spec.js';
import type { NpmSpec } from '../sources/spec.js';
import { resolveRegistry } from './registry-config.js';
import { abortReason, workspaceFromArchive } from './workspace.js';
import type { FetchContext, MadeWorkspace } from './workspace.js';

/** pacote (with sigstore, cacache and npm's fetch stack) takes about half a second to load: only fetches pay it. */
let pacoteModule: Promise<typeof pacote> | undefined;
function loadPacote(): Promise<typeof pacote> {
  pacoteModule ??= import('pacote').then((m) => m.default);
  return pacoteModule;
}

export interface NpmFetchOptions {
  /** `--registry`; otherwise the environment or npm's configuration decides. */
  registry?: string;
  /**
   * Our archive cache (tarballs by integrity, size-capped, see archive-cache.ts); no caching when unset.
   * pacote's own cache is always a private per-fetch temp dir, never ~/.npm and never this dir.
   */
  cacheDir?: string;
  /** Size cap of the archive cache; 2 GiB by default. */
  cacheMaxBytes?: number;
  /** Retries per request after the first attempt (network errors, 5xx). */
  retries?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  /**
   * The registry's answer for this exact version, when a source already read it from the packument: an
   * archive in our cache under that integrity is then used without asking the registry anything (a download
   * still goes through pacote, which reads the packument first and checks the bytes against the integrity).
   * Ignored unless the spec is that exact version, the integrity a usable sha512/384/256 one and the tarball
   * an http(s) URL.
   */
  resolved?: ResolvedVersion | undefined;
}

/** One version as its packument lists it: `dist.tarball` and `dist.integrity`. */
export interface ResolvedVersion {
  version: string;
  integrity: string;
  tarball: string;
}

const DEFAULT_RETRIES = 2;
const DEFAULT_TIMEOUT_MS = 120_000;

// What we rely on from the registry's answer; everything else in the manifest is ignored here.
const ManifestSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  _resolved: z.string().min(1),
  _integrity: z.string().min(1).optional(),
});
type ResolvedManifest = z.infer<typeof ManifestSchema>;

let processCacheDir: string | undefined;

/** One private temp dir per process, removed on exit, so a scan never reads or writes the user's npm cache. */
function processTempDir(): string {
  if (processCacheDir !== undefined) return processCacheDir;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-assay-npm-cache-'));
  processCacheDir = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** pacote's cache for one fetch. */
interface PacoteCache {
  dir(): Promise<string>;
  dispose(): Promise<void>;
}

/**
 * pacote's cache lives for one fetch only: it would otherwise grow with every tarball of a long harvest.
 * Archives worth keeping go to our own size-capped cache instead. The directory is made when pacote is first
 * asked for something: a fetch served from our cache without a manifest request never touches the disk for it.
 */
function fetchTempCache(): PacoteCache {
  let made: Promise<string> | undefined;
  return {
    dir: () => (made ??= mkdtemp(path.join(processTempDir(), 'fetch-'))),
    async dispose() {
      const dir = await made?.catch(() => undefined);
      if (dir !== undefined) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

const openCaches = new Map<string, Promise<ArchiveCache>>();

/** One cache object per dir and cap, so its running size estimate spares a walk of the dir per put. */
function archiveCacheFor(dir: string, maxBytes: number): Promise<ArchiveCache> {
  const key = `${path.resolve(dir)}\0${maxBytes}`;
  const known = openCaches.get(key);
  if (known !== undefined) return known;
  const opened = openArchiveCache({ dir, maxBytes });
  openCaches.set(key, opened);
  opened.catch(() => openCaches.delete(key));
  return opened;
}

interface RequestSetup {
  spec: NpmSpec;
  /** pacote's private cache for this fetch. */
  pacoteCache: PacoteCache;
  registry: string;
  signal: AbortSignal;
  opts: FetchContext & NpmFetchOptions;
  packumentCache: Map<string, pacote.Packument>;
}

async function pacoteOptions(setup: RequestSetup): Promise<pacote.Options> {
  const cache = await setup.pacoteCache.dir();
  const retries = setup.opts.retries ?? DEFAULT_RETRIES;
  const options = {
    registry: setup.registry,
    cache,
    tufCache: path.join(cache, '_tuf'),
    // Always ask the registry: a cached packument could hide a newly published (or pulled) version.
    preferOnline: true,
    // pacote reads a packument whole and offers no byte cap; asking for the abbreviated document keeps
    // it far smaller than the full one, and `timeout` plus the signal bound how long it can take.
    fullMetadata: false,
    packumentCache: setup.packumentCache,
    retry: { retries, factor: 2, minTimeout: 250, maxTimeout: 2000 },
    timeout: setup.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal: setup.signal,
    // Defence in depth behind parseNpmSpec: pacote must never fetch git (which runs `prepare`),
    // files, directories or arbitrary URLs on our behalf.
    allowGit: 'none',
    allowRemote: 'none',
    allowFile: 'none',
    allowDirectory: 'none',
  };
  return options as pacote.Options;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function errorField<T>(error: unknown, key: string, schema: z.ZodType<T>): T | undefined {
  const parsed = schema.safeParse((error as Record<string, unknown> | null)?.[key]);
  return parsed.success ? parsed.data : undefined;
}

const TAG = /^[A-Za-z0-9._-]{1,64}$/;

/** A few candidates for the message, from registry data: valid versions and plain tag names only. */
function availableHint(error: unknown): string {
  const versions = (errorField(error, 'versions', z.array(z.string())) ?? []).filter((v) => semver.valid(v) !== null);
  const tags = Object.entries(errorField(error, 'distTags', z.record(z.string(), z.string())) ?? {}).filter(
    ([tag, version]) => TAG.test(tag) && semver.valid(version) !== null,
  );
  const parts: string[] = [];
  if (versions.length > 0) {
    const newest = semver.rsort([...versions]).slice(0, 5);
    parts.push(`versions: ${newest.join(', ')}${versions.length > newest.length ? ', …' : ''}`);
  }
  if (tags.length > 0) parts.push(`tags: ${tags.slice(0, 5).map(([t, v]) => `${t}=${v}`).join(', ')}`);
  return parts.length > 0 ? `; available ${parts.join('; ')}` : '; the package has no versions';
}

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ERR_SOCKET_TIMEOUT',
]);

function networkCode(error: unknown): string | undefined {
  const code = errorCode(error);
  const status = errorField(error, 'statusCode', z.number());
  if (status !== undefined && status >= 500) return `E${status}`;
  if (code !== undefined && NETWORK_CODES.has(code)) return code;
  const errno = errorField(error, 'errno', z.string());
  if (errno !== undefined && NETWORK_CODES.has(errno)) return errno;
  const type = errorField(error, 'type', z.string());
  if (type === 'request-timeout' || type === 'body-timeout') return 'ETIMEDOUT';
  return undefined;
}


type Phase = 'manifest' | 'tarball';

/** One clear line per failure; the registry's own text (attacker-influenced) is never echoed at length. */
function mapNpmError(error: unknown, setup: RequestSetup, phase: Phase, id: string): Error {
  if (error instanceof AssayError) return error;
  if (setup.opts.signal.aborted) return abortReason(setup.opts.signal);
  const code = errorCode(error);
  const name = setup.spec.name;
  if (code === 'E404') {
    return phase === 'manifest'
      ? new AssayError('notFound', `package not found in the registry: ${name}`, { cause: error })
      : new AssayError('notFound', `tarball not found in the registry: ${id}`, { cause: error });
  }
  if (code === 'ETARGET' || code === 'ENOVERSIONS') {
    return new AssayError('notFound', `no version of ${name} matches ${setup.spec.fetchSpec}${availableHint(error)}`, { cause: error });
  }
  if (code === 'EINTEGRITY' || code === 'EMANIFESTMISMATCH') {
    return new AssayError('integrity', `integrity check failed for ${id}: the tarball does not match the registry's checksum`, { cause: error });
  }
  if (code === 'EJSONPARSE' || errorField(error, 'type', z.string()) === 'invalid-json' || error instanceof SyntaxError) {
    return new AssayError('invalidInput', `the registry sent an invalid response for ${name}: ${setup.registry}`, { cause: error });
  }
  const net = networkCode(error);
  if (net !== undefined) return new AssayError('network', `registry unreachable: ${setup.registry}: ${net}`, { cause: error });
  if (code !== undefined && /^E\d{3}$/.test(code)) {
    return new AssayError('network', `registry refused the request: ${setup.registry}: ${code}`, { cause: error });
  }
  if (code !== undefined && /^E[A-Z_]{2,40}$/.test(code)) {
    return new AssayError('network', `registry request failed: ${setup.registry}: ${code}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

async function resolveManifest(setup: RequestSetup): Promise<ResolvedManifest> {
  const id = `${setup.spec.name}@${setup.spec.fetchSpec}`;
  const options = await pacoteOptions(setup);
  let raw: unknown;
  try {
    raw = await (await loadPacote()).manifest(id, options);
  } catch (error) {
    throw mapNpmError(error, setup, 'manifest', id);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) throw new AssayError('invalidInput', `the registry's manifest for ${id} is missing name, version or dist.tarball`);
  if (parsed.data.name !== setup.spec.name || semver.valid(parsed.data.version) === null) {
    throw new AssayError('integrity', `the registry answered ${id} with a manifest for another package or an invalid version`);
  }
  return parsed.data;
}

/** Collects the tarball, refusing to hold more than `max` bytes. */
function collectCapped(stream: Readable, max: number, onOverflow: () => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    stream.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        onOverflow();
        reject(
          new AssayError(
            'invalidInput',
            `the tarball is over the archive size cap of ${formatBytes(max)}; raise it with --max-archive-size`,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    stream.on('error', (error: unknown) => {
      if (done) return;
      done = true;
      reject(error);
    });
  });
}

async function downloadTarball(setup: RequestSetup, manifest: ResolvedManifest, controller: AbortController): Promise<Buffer> {
  const id = `${manifest.name}@${manifest.version}`;
  const options: pacote.Options = { ...(await pacoteOptions(setup)), resolved: manifest._resolved };
  // With `integrity` set, npm-registry-fetch verifies the bytes as they stream and fails with EINTEGRITY.
  if (manifest._integrity !== undefined) options.integrity = manifest._integrity;
  try {
    return await (await loadPacote()).tarball.stream(
      id,
      (stream) => collectCapped(stream, setup.opts.limits.maxArchiveBytes, () => controller.abort()),
      options,
    );
  } catch (error) {
    throw mapNpmError(error, setup, 'tarball', id);
  }
}

/**
 * A verified cache hit spares the download; a miss downloads (integrity checked by pacote) and stores
 * the archive. Only a strictly valid sha512/384/256 integrity from the packument is ever a key.
 */
async function cachedOrDownloaded(
  setup: RequestSetup,
  manifest: ResolvedManifest,
  controller: AbortController,
  cache: ArchiveCache | undefined,
): Promise<Buffer> {
  const key = tryParseIntegrity(manifest._integrity);
  if (cache === undefined || key === undefined) return downloadTarball(setup, manifest, controller);
  const hit = await cacheStep(cache, () => cache.read(key.integrity, setup.opts.limits.maxArchiveBytes, setup.signal));
  if (hit !== undefined) return hit;
  const archive = await downloadTarball(setup, manifest, controller);
  await cacheStep(cache, () => cache.put(key.integrity, archive, { signal: setup.signal }));
  return archive;
}

/** A file-system failure of the cache (permissions, a full disk) is reported as such, in one line. */
async function cacheStep<T>(cache: ArchiveCache, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof AssayError || isAbortError(error)) throw error;
    throw new AssayError('store', `archive cache ${cache.dir} failed: ${errorCode(error) ?? errorMessage(error)}`, { cause: error });
  }
}

/**
 * The manifest a source's packument already gave for an exact version, as pacote would have resolved it; undefined
 * (so the registry is asked) unless it is for exactly this version with a usable integrity and an http(s) tarball.
 */
function pinnedManifest(spec: NpmSpec, resolved: ResolvedVersion | undefined): ResolvedManifest | undefined {
  if (resolved === undefined || spec.type !== 'version' || semver.valid(resolved.version) === null || spec.fetchSpec !== resolved.version) return undefined;
  if (tryParseIntegrity(resolved.integrity) === undefined || !isHttpUrl(resolved.tarball)) return undefined;
  return { name: spec.name, version: resolved.version, _resolved: resolved.tarball, _integrity: resolved.integrity };
}

function sha512Of(data: Buffer): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

function specOfTarget(target: Target): NpmSpec {
  if (target.kind !== 'npm' || !target.spec.startsWith('npm:')) {
    throw new AssayError('usage', `not an npm target: ${JSON.stringify(target.spec)}`);
  }
  // Re-validated here, not trusted from the caller: only registry specs ever reach pacote.
  return parseNpmSpec(target.spec.slice(4));
}

/**
 * Resolves an npm registry spec and downloads its tarball (integrity verified, size capped while
 * streaming), then unpacks it into a workspace. No lifecycle script is ever run: registry tarballs are
 * only downloaded, and pacote is never handed a git, file or directory spec.
 */
export async function fetchNpm(target: Target, ctx: FetchContext & NpmFetchOptions): Promise<MadeWorkspace> {
  const spec = specOfTarget(target);
  if (ctx.signal.aborted) throw abortReason(ctx.signal);
  const registry = await resolveRegistry({ explicit: ctx.registry, name: spec.name });
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const cache = ctx.cacheDir === undefined ? undefined : await archiveCacheFor(ctx.cacheDir, ctx.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES);
  const pacoteCache = fetchTempCache();
  const setup: RequestSetup = { spec, registry, pacoteCache, signal: controller.signal, opts: ctx, packumentCache: new Map() };
  try {
    const manifest = pinnedManifest(spec, ctx.resolved) ?? (await resolveManifest(setup));
    const archive = await cachedOrDownloaded(setup, manifest, controller, cache);
    if (ctx.signal.aborted) throw abortReason(ctx.signal);
    const integrity = manifest._integrity ?? sha512Of(archive);
    return await workspaceFromArchive(archive, target, { name: manifest.name, version: manifest.version, integrity }, ctx);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await pacoteCache.dispose().catch(() => undefined);
  }
}
