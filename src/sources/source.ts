import { z } from 'zod';
import type { Target } from '../core/target.js';

/**
 * What the official MCP registry says about a server (its server.json), kept with the package so a
 * catalog can show it. Parsed leniently from the registry: unknown fields are dropped, bad ones omitted.
 */
export const RegistryMetaSchema = z.object({
  registryName: z.string().max(512),
  description: z.string().max(4096).optional(),
  version: z.string().max(256).optional(),
  repository: z.string().max(2048).optional(),
  transports: z.array(z.string().max(64)).max(16).optional(),
  environmentVariables: z.array(z.object({
    name: z.string().max(256),
    description: z.string().max(2048).optional(),
    isSecret: z.boolean().optional(),
    isRequired: z.boolean().optional(),
  })).max(128).optional(),
  publishedAt: z.string().max(64).optional(),
});
export type RegistryMeta = z.infer<typeof RegistryMetaSchema>;

/** What npm's packument says about one version, when a source looked it up. */
export const NpmVersionMetaSchema = z.object({
  integrity: z.string().max(512).optional(),
  /** `dist.tarball`: an http(s) URL, so that the fetch need not ask the registry for the manifest again. */
  tarball: z.string().max(2048).optional(),
  publishedAt: z.string().max(64).optional(),
  maintainers: z.array(z.string().max(256)).max(64).optional(),
  deprecated: z.boolean().optional(),
});
export type NpmVersionMeta = z.infer<typeof NpmVersionMetaSchema>;

/** One thing a source found to scan. `key` identifies it across harvests (dedupe and the durable queue). */
export interface HarvestItem {
  /** `npm:<name>@<version>`, `git:<url>#<commit-or-ref>[:subdir]`, or the list line normalised. */
  key: string;
  target: Target;
  /** The source id that produced it (`npm`, `mcp-registry`, `git`, `list`). */
  origin: string;
  npm?: NpmVersionMeta;
  registry?: RegistryMeta;
}

/** Why a source stopped. `complete` is the only clean end; every other status says why in `reason`. */
export const SOURCE_END_STATUSES = ['complete', 'limit', 'aborted', 'failed', 'truncated'] as const;
export type SourceEndStatus = (typeof SOURCE_END_STATUSES)[number];
export interface SourceEnd {
  status: SourceEndStatus;
  reason?: string;
  /** Pages (or lines) read, and items yielded. */
  pages: number;
  items: number;
}

export interface SourceOptions {
  signal: AbortSignal;
  /** Stop after this many items (status `limit`). */
  limit?: number;
  /** Only versions published at or after this time, where the source knows publish times. */
  since?: Date;
  /** Non-fatal problems (a malformed entry skipped, a retry after 429) for the harvest log. */
  onWarning?: (message: string) => void;
  /** Injected for tests; defaults to the global fetch. Only loopback servers are used in tests. */
  fetch?: typeof fetch;
}

/**
 * A source lists targets lazily, so a harvest can start scanning before the listing ends and a listing that
 * never ends is cut off by `limit`, a page cap or the signal. It never throws for remote trouble: the
 * generator's return value says how it ended.
 */
export interface HarvestSource {
  readonly id: string;
  list(options: SourceOptions): AsyncGenerator<HarvestItem, SourceEnd, undefined>;
}
