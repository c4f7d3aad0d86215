import semver from 'semver';
import { z } from 'zod';
import { truncateText } from '../core/text.js';
import { endStatusFor, failureReason, fetchJson, joinUrl, type HttpRequestOptions, type RetryPolicy } from './http.js';
import { DEFAULT_MAX_PAGES, npmNameProblem, show } from './npm.js';
import type { HarvestItem, HarvestSource, RegistryMeta, SourceEnd, SourceOptions } from './source.js';
import { formatGitSpec, parseGitSpec } from './spec.js';

export const MCP_REGISTRY_PAGE_MAX_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MCP_REGISTRY_PAGE_SIZE = 100;
const OFFICIAL_META = 'io.modelcontextprotocol.registry/official';

export interface McpRegistrySourceConfig {
  /** Registry base URL, e.g. from `--mcp-registry`; never hard-coded. */
  baseUrl: string;
  pageSize?: number;
  maxPages?: number;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  pageMaxBytes?: number;
}

// Every field is optional and bounded: the registry's shape has changed before and will again.
const str = (max: number) => z.string().max(max);
const EnvVarSchema = z.object({
  name: str(256),
  description: z.string().optional(),
  isSecret: z.boolean().optional(),
  is_secret: z.boolean().optional(),
  isRequired: z.boolean().optional(),
  is_required: z.boolean().optional(),
});
const PackageSchema = z.object({
  registryType: str(64).optional(),
  registry_type: str(64).optional(),
  registry_name: str(64).optional(),
  identifier: str(1024).optional(),
  name: str(1024).optional(),
  version: str(256).optional(),
  transport: z.object({ type: str(64).optional() }).optional(),
  environmentVariables: z.array(z.unknown()).max(1024).optional(),
  environment_variables: z.array(z.unknown()).max(1024).optional(),
});
const ServerSchema = z.object({
  name: str(1024),
  description: z.string().max(65_536).optional(),
  version: str(256).optional(),
  version_detail: z.object({ version: str(256).optional(), release_date: str(64).optional() }).optional(),
  repository: z.object({ url: str(4096).optional() }).optional(),
  packages: z.array(z.unknown()).max(256).optional(),
  published_at: str(64).optional(),
  _meta: z.record(z.string(), z.unknown()).optional(),
});
const OfficialMetaSchema = z.object({ publishedAt: str(64).optional(), published_at: str(64).optional() });
const PageSchema = z.object({
  servers: z.array(z.unknown()).max(10_000),
  metadata: z.object({ nextCursor: str(4096).nullish(), next_cursor: str(4096).nullish() }).optional(),
});

type Server = z.infer<typeof ServerSchema>;
type Package = z.infer<typeof PackageSchema>;

/** Servers listed by an MCP registry (`/v0/servers`), as npm and git targets with the server.json metadata. */
export function mcpRegistrySource(config: McpRegistrySourceConfig): HarvestSource {
  return { id: 'mcp-registry', list: (options) => listRegistry(config, options) };
}

async function* listRegistry(config: McpRegistrySourceConfig, options: SourceOptions): AsyncGenerator<HarvestItem, SourceEnd, undefined> {
  let pages = 0;
  let items = 0;
  const end = (status: SourceEnd['status'], reason?: string): SourceEnd => (reason === undefined ? { status, pages, items } : { status, reason, pages, items });
  const pageSize = Math.min(100, Math.max(1, Math.floor(config.pageSize ?? DEFAULT_MCP_REGISTRY_PAGE_SIZE)));
  const maxPages = Math.max(1, config.maxPages ?? DEFAULT_MAX_PAGES);
  const seenCursors = new Set<string>();
  const seenKeys = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    if (options.signal.aborted) return end('aborted', 'listing aborted');
    if (pages >= maxPages) return end('truncated', `listing stopped at the page cap (${maxPages} pages)`);
    const query = `?limit=${pageSize}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const url = joinUrl(config.baseUrl, `/v0/servers${query}`);
    const result = await fetchJson(url, requestOptions(config, options));
    if (!result.ok) return end(endStatusFor(result.failure), failureReason(result.failure));
    const page = PageSchema.safeParse(result.value);
    // Without the page we cannot know the next cursor, so the rest of the listing is unknown.
    if (!page.success) return end('failed', `${url}: not an MCP registry server list`);
    pages++;
    for (const entry of page.data.servers) {
      for (const item of itemsFor(entry, options)) {
        if (seenKeys.has(item.key)) continue;
        if (limitReached(items, options)) return end('limit', `stopped after ${options.limit} items`);
        seenKeys.add(item.key);
        items++;
        yield item;
        // Checked again here so the page after the last wanted item is never requested.
        if (limitReached(items, options)) return end('limit', `stopped after ${options.limit} items`);
      }
    }
    const next = page.data.metadata?.nextCursor ?? page.data.metadata?.next_cursor ?? undefined;
    if (next === undefined || next === '') return end('complete');
    if (seenCursors.has(next)) return end('truncated', `the registry repeated cursor ${JSON.stringify(truncateText(next, 80))}`);
    seenCursors.add(next);
    cursor = next;
  }
}

function limitReached(items: number, options: SourceOptions): boolean {
  return options.limit !== undefined && items >= options.limit;
}

function requestOptions(config: McpRegistrySourceConfig, options: SourceOptions): HttpRequestOptions {
  const request: HttpRequestOptions = { signal: options.signal, maxBytes: config.pageMaxBytes ?? MCP_REGISTRY_PAGE_MAX_BYTES };
  if (options.fetch !== undefined) request.fetch = options.fetch;
  if (options.onWarning !== undefined) request.onWarning = options.onWarning;
  if (config.timeoutMs !== undefined) request.timeoutMs = config.timeoutMs;
  if (config.retry !== undefined) request.retry = config.retry;
  return request;
}

/** One server list entry, current (`{server, _meta}`) or older flat shape, to its targets. */
export function itemsFor(entry: unknown, options: Pick<SourceOptions, 'since' | 'onWarning'>): HarvestItem[] {
  const warn = (message: string): void => options.onWarning?.(`mcp-registry: ${message}`);
  const wrapped = entry !== null && typeof entry === 'object' && 'server' in entry ? (entry as { server: unknown; _meta?: unknown }) : undefined;
  const parsed = ServerSchema.safeParse(wrapped === undefined ? entry : wrapped.server);
  if (!parsed.success) {
    warn('skipped a malformed server entry');
    return [];
  }
  const server = parsed.data;
  const packages = parsePackages(server, warn);
  const meta = registryMeta(server, packages, wrapped?._meta);
  if (options.since !== undefined && meta.publishedAt !== undefined && Date.parse(meta.publishedAt) < options.since.getTime()) return [];
  const items: HarvestItem[] = [];
  for (const pkg of packages) {
    const item = npmItem(pkg, meta, warn);
    if (item !== undefined) items.push(item);
  }
  const repo = gitItem(meta.repository, meta, warn);
  if (repo !== undefined) items.push(repo);
  if (items.length === 0) warn(`${show(server.name)} has no npm package or https repository to scan`);
  return items;
}

function parsePackages(server: Server, warn: (m: string) => void): Package[] {
  const out: Package[] = [];
  for (const raw of server.packages ?? []) {
    const pkg = PackageSchema.safeParse(raw);
    if (pkg.success) out.push(pkg.data);
    else warn(`${show(server.name)}: skipped a malformed package entry`);
  }
  return out;
}

function registryMeta(server: Server, packages: Package[], outerMeta: unknown): RegistryMeta {
  const meta: RegistryMeta = { registryName: truncateText(server.name, 512) };
  if (server.description !== undefined) meta.description = truncateText(server.description, 4096);
  const version = server.version ?? server.version_detail?.version;
  if (version !== undefined) meta.version = version;
  const repository = server.repository?.url;
  if (repository !== undefined && repository.length <= 2048) meta.repository = repository;
  const transports = unique(packages.map((p) => p.transport?.type).filter((t): t is string => t !== undefined)).slice(0, 16);
  if (transports.length > 0) meta.transports = transports;
  const env = packages.flatMap((p) => p.environmentVariables ?? p.environment_variables ?? []).flatMap(envVar).slice(0, 128);
  if (env.length > 0) meta.environmentVariables = env;
  const publishedAt = officialPublishedAt(outerMeta) ?? officialPublishedAt(server._meta) ?? server.published_at ?? server.version_detail?.release_date;
  if (publishedAt !== undefined && !Number.isNaN(Date.parse(publishedAt))) meta.publishedAt = publishedAt;
  return meta;
}

function officialPublishedAt(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const parsed = OfficialMetaSchema.safeParse((raw as Record<string, unknown>)[OFFICIAL_META]);
  return parsed.success ? (parsed.data.publishedAt ?? parsed.data.published_at) : undefined;
}

type EnvVar = NonNullable<RegistryMeta['environmentVariables']>[number];

function envVar(raw: unknown): EnvVar[] {
  const parsed = EnvVarSchema.safeParse(raw);
  if (!parsed.success) return [];
  const v = parsed.data;
  const out: EnvVar = { name: v.name };
  if (v.description !== undefined) out.description = truncateText(v.description, 2048);
  const isSecret = v.isSecret ?? v.is_secret;
  if (isSecret !== undefined) out.isSecret = isSecret;
  const isRequired = v.isRequired ?? v.is_required;
  if (isRequired !== undefined) out.isRequired = isRequired;
  return [out];
}

function npmItem(pkg: Package, meta: RegistryMeta, warn: (m: string) => void): HarvestItem | undefined {
  const type = (pkg.registryType ?? pkg.registry_type ?? pkg.registry_name)?.toLowerCase();
  if (type !== 'npm') return undefined;
  const name = pkg.identifier ?? pkg.name;
  if (name === undefined) {
    warn(`${show(meta.registryName)}: npm package without a name`);
    return undefined;
  }
  const problem = npmNameProblem(name);
  if (problem !== undefined) {
    warn(`${show(meta.registryName)}: skipped npm package ${show(name)}: ${problem}`);
    return undefined;
  }
  const version = pkg.version === undefined ? undefined : (semver.valid(pkg.version) ?? undefined);
  if (pkg.version !== undefined && version === undefined) {
    warn(`${show(meta.registryName)}: skipped npm package ${name}: version ${show(pkg.version)} is not exact`);
    return undefined;
  }
  const spec = `npm:${name}@${version ?? 'latest'}`;
  const target: HarvestItem['target'] = version === undefined ? { kind: 'npm', spec, name } : { kind: 'npm', spec, name, version };
  return { key: spec, target, origin: 'mcp-registry', registry: meta };
}

function gitItem(url: string | undefined, meta: RegistryMeta, warn: (m: string) => void): HarvestItem | undefined {
  if (url === undefined || url === '') return undefined;
  if (!/^https:\/\//i.test(url)) {
    warn(`${show(meta.registryName)}: repository ${show(url)} is not an https URL`);
    return undefined;
  }
  try {
    const spec = formatGitSpec(parseGitSpec(url));
    return { key: `git:${spec}`, target: { kind: 'git', spec }, origin: 'mcp-registry', registry: meta };
  } catch {
    warn(`${show(meta.registryName)}: repository ${show(url)} is not a usable git URL`);
    return undefined;
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
