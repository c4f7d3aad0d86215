import { errorMessage } from '../core/errors.js';
import type { Target } from '../core/target.js';
import { show } from './npm.js';
import type { HarvestItem, HarvestSource, SourceEnd, SourceOptions } from './source.js';
import { parseTargetSpec } from './spec.js';

export interface GitListSourceConfig {
  /** Git URLs with an optional `#ref`, in any form `scan` accepts for git targets. */
  urls: readonly string[];
}

/** Git repositories named on the command line (`--git`). Entries that are not git URLs are warnings. */
export function gitListSource(config: GitListSourceConfig): HarvestSource {
  return { id: 'git', list: (options) => listGit(config, options) };
}

/** The harvest key of a target: npm specs are already prefixed, everything else gets its kind. */
export function keyFor(target: Target): string {
  return target.kind === 'npm' ? target.spec : `${target.kind}:${target.spec}`;
}

async function* listGit(config: GitListSourceConfig, options: SourceOptions): AsyncGenerator<HarvestItem, SourceEnd, undefined> {
  let pages = 0;
  let items = 0;
  const seen = new Set<string>();
  for (const url of config.urls) {
    if (options.signal.aborted) return { status: 'aborted', reason: 'listing aborted', pages, items };
    if (options.limit !== undefined && items >= options.limit) return { status: 'limit', reason: `stopped after ${options.limit} items`, pages, items };
    pages++;
    const target = await gitTarget(url, options);
    if (target === undefined) continue;
    const key = keyFor(target);
    if (seen.has(key)) continue;
    seen.add(key);
    items++;
    yield { key, target, origin: 'git' };
  }
  return { status: 'complete', pages, items };
}

async function gitTarget(url: string, options: SourceOptions): Promise<Target | undefined> {
  try {
    // A fixed cwd: a git list names remote repositories, never paths relative to wherever we run.
    const target = await parseTargetSpec(url, { cwd: '/nonexistent-git-list-cwd' });
    if (target.kind === 'git') return target;
    options.onWarning?.(`git: skipped ${show(url)}: not a git URL (use --list for other targets)`);
  } catch (error) {
    options.onWarning?.(`git: skipped ${show(url)}: ${show(errorMessage(error))}`);
  }
  return undefined;
}
