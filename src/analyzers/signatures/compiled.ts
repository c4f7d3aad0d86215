/**
 * Compiled rule sets, kept for the life of the process: compiling is the expensive part of YARA, and a
 * harvest scans thousands of workspaces with the same library. Closed when the CLI ends (or before the
 * process exits), so engine workers never keep it alive.
 */
import { AssayError } from '../../core/errors.js';
import type { CompiledRuleSet, EngineName, SignatureEngine } from './engine/types.js';
import type { LibraryRule } from './library.js';
import { ruleSources } from './library.js';

export type EngineFactory = (name: EngineName) => SignatureEngine;

/** Per engine factory (the real one in production; each test's fake its own), then per engine and library. */
const compiled = new Map<EngineFactory, Map<string, Promise<CompiledRuleSet>>>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('beforeExit', () => {
    void closeCompiledLibraries();
  });
}

/** Resolves an engine by name and refuses one that is not installed here (a usage error, exit 2). */
export async function requireEngine(name: EngineName, factory: EngineFactory): Promise<SignatureEngine> {
  const engine = factory(name);
  if (!(await engine.available())) {
    throw new AssayError('usage', `--yara-engine ${name} is not available on this platform (its package is not installed); use --yara-engine wasm`);
  }
  return engine;
}

/** The compiled set for these rules on this engine, compiled once per process and key. */
export function compileOnce(factory: EngineFactory, key: string, engine: SignatureEngine, rules: readonly LibraryRule[]): Promise<CompiledRuleSet> {
  const cacheKey = `${engine.name}\0${key}`;
  const sets = compiled.get(factory) ?? new Map<string, Promise<CompiledRuleSet>>();
  compiled.set(factory, sets);
  const existing = sets.get(cacheKey);
  if (existing) return existing;
  installExitHook();
  const promise = engine.compile(ruleSources(rules));
  sets.set(cacheKey, promise);
  promise.catch(() => sets.delete(cacheKey));
  return promise;
}

export async function closeCompiledLibraries(): Promise<void> {
  const all = [...compiled.values()].flatMap((sets) => [...sets.values()]);
  compiled.clear();
  await Promise.allSettled(all.map(async (p) => (await p).close()));
}
