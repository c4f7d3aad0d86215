import { gitListSource } from './git-list.js';
import { listFileSource } from './list-file.js';
import { mcpRegistrySource } from './mcp-registry.js';
import { npmSource, type NpmSourceConfig } from './npm.js';
import type { HarvestSource } from './source.js';

/** Every source id a HarvestItem's `origin` can carry. */
export const SOURCE_IDS = ['npm', 'mcp-registry', 'git', 'list'] as const;
export type SourceId = (typeof SOURCE_IDS)[number];

export interface HarvestSourceOptions {
  /** npm registry base URL (`--registry` or npm config); needed for search and `names`. */
  registry?: string;
  /** MCP registry base URL (`--mcp-registry`). */
  mcpRegistry?: string;
  /** `--keyword`; replaces the default keywords. */
  keywords?: string[];
  /** Explicit npm package names. */
  names?: string[];
  /** `--list` files. */
  listFiles?: string[];
  /** `--git` URLs. */
  gitUrls?: string[];
  /** Search npm by keyword (default: on when a registry is given and nothing else was asked for). */
  search?: boolean;
}

/** Builds the sources a harvest asked for, in a fixed order: lists and git first, then registries. */
export function sourcesFromOptions(opts: HarvestSourceOptions): HarvestSource[] {
  const sources: HarvestSource[] = [];
  for (const file of opts.listFiles ?? []) sources.push(listFileSource({ path: file }));
  if (opts.gitUrls !== undefined && opts.gitUrls.length > 0) sources.push(gitListSource({ urls: opts.gitUrls }));
  const npm = npmConfig(opts);
  if (npm !== undefined) sources.push(npmSource(npm));
  if (opts.mcpRegistry !== undefined) sources.push(mcpRegistrySource({ baseUrl: opts.mcpRegistry }));
  return sources;
}

function npmConfig(opts: HarvestSourceOptions): NpmSourceConfig | undefined {
  if (opts.registry === undefined) return undefined;
  const names = opts.names ?? [];
  const search = opts.search ?? (opts.keywords !== undefined || !askedForOther(opts));
  if (!search && names.length === 0) return undefined;
  const config: NpmSourceConfig = { registry: opts.registry, names };
  // No search is an empty keyword list; a search without --keyword uses the source's defaults.
  if (!search) config.keywords = [];
  else if (opts.keywords !== undefined) config.keywords = opts.keywords;
  return config;
}

function askedForOther(opts: HarvestSourceOptions): boolean {
  return (opts.names?.length ?? 0) > 0 || (opts.listFiles?.length ?? 0) > 0 || (opts.gitUrls?.length ?? 0) > 0 || opts.mcpRegistry !== undefined;
}
