import { execFile } from 'node:child_process';
import { AssayError } from '../core/errors.js';

/** Reads one key of npm's configuration; undefined when npm has no value for it. */
export type NpmConfigReader = (key: string) => Promise<string | undefined>;

export interface RegistryConfigOptions {
  /** The `--registry` option; wins over everything else. */
  explicit?: string | undefined;
  /** Package name, so a scoped package can use its `@scope:registry`. */
  name?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Replaces `npm config get` (tests). */
  readNpmConfig?: NpmConfigReader;
}

const NPM_CONFIG_TIMEOUT_MS = 15_000;
const MAX_URL_LENGTH = 2048;

/** Validates an http(s) registry URL and gives it the trailing slash pacote and URL joins expect. */
export function normaliseRegistryUrl(value: string, source: string): string {
  const text = value.trim();
  let url: URL;
  try {
    if (text.length === 0 || text.length > MAX_URL_LENGTH) throw new Error('bad length');
    url = new URL(text);
  } catch {
    throw new AssayError('usage', `invalid registry URL from ${source}: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AssayError('usage', `registry URL from ${source} must be http(s): ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new AssayError('usage', `registry URL from ${source} must not carry a query or fragment`);
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** `npm_config_registry` in any case, the way npm itself reads it. */
function registryFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  for (const [key, value] of Object.entries(env)) {
    if (key.toLowerCase() === 'npm_config_registry' && value !== undefined && value.trim() !== '') return value;
  }
  return undefined;
}

function runNpmConfigGet(key: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    // execFile, no shell: the key is passed as one argument. The working directory stays the user's,
    // never a fetched package's, so only the user's own .npmrc files take part.
    execFile(
      'npm',
      ['config', 'get', key],
      {
        timeout: NPM_CONFIG_TIMEOUT_MS,
        maxBuffer: 64 * 1024,
        windowsHide: true,
        shell: process.platform === 'win32',
        // A config read must not write a debug log under ~/.npm or ask the registry whether npm is current.
        env: { ...process.env, npm_config_logs_max: '0', npm_config_update_notifier: 'false' },
      },
      (error, stdout) => {
        if (error) {
          reject(new AssayError('usage', `could not read npm's registry configuration (npm config get ${key}): ${error.message.split('\n', 1)[0] ?? ''}; pass --registry`, { cause: error }));
          return;
        }
        const value = stdout.trim();
        resolve(value === '' || value === 'undefined' || value === 'null' ? undefined : value);
      },
    );
  });
}

const configCache = new Map<string, Promise<string | undefined>>();

/** `npm config get <key>`, run at most once per key per process. A failed read is not cached. */
export const readNpmConfigCached: NpmConfigReader = (key) => {
  const cached = configCache.get(key);
  if (cached !== undefined) return cached;
  const pending = runNpmConfigGet(key);
  configCache.set(key, pending);
  pending.catch(() => configCache.delete(key));
  return pending;
};

/** Forgets what `npm config get` answered (tests). */
export function clearNpmConfigCache(): void {
  configCache.clear();
}

function scopeOf(name: string | undefined): string | undefined {
  if (name === undefined || !name.startsWith('@')) return undefined;
  const slash = name.indexOf('/');
  return slash > 1 ? name.slice(0, slash) : undefined;
}

/**
 * The registry to fetch from: `--registry`, then `npm_config_registry`, then npm's own configuration
 * (`@scope:registry` for a scoped name, then `registry`). Always an http(s) URL ending in `/`.
 */
export async function resolveRegistry(opts: RegistryConfigOptions = {}): Promise<string> {
  if (opts.explicit !== undefined) return normaliseRegistryUrl(opts.explicit, '--registry');
  const fromEnv = registryFromEnv(opts.env ?? process.env);
  if (fromEnv !== undefined) return normaliseRegistryUrl(fromEnv, 'npm_config_registry');
  const read = opts.readNpmConfig ?? readNpmConfigCached;
  const scope = scopeOf(opts.name);
  if (scope !== undefined) {
    const scoped = await read(`${scope}:registry`);
    if (scoped !== undefined) return normaliseRegistryUrl(scoped, `npm config ${scope}:registry`);
  }
  const configured = await read('registry');
  if (configured === undefined) {
    throw new AssayError('usage', 'npm has no registry configured (npm config get registry); pass --registry');
  }
  return normaliseRegistryUrl(configured, 'npm config registry');
}
