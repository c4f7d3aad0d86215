import { WasmEngine } from './wasm.js';
import { YaraXEngine } from './yarax.js';
import { ENGINE_NAMES, type EngineName, type SignatureEngine } from './types.js';

export type * from './types.js';
export { ENGINE_NAMES } from './types.js';
export { WasmEngine, WasmRuleSet, MAX_MATCH_BYTES, MAX_MATCHES_PER_STRING, type WasmOptions } from './wasm.js';
export { YaraXEngine } from './yarax.js';

/** Defaults for engines made from now on (an analysis worker sets them once, at start). */
export interface EngineDefaults {
  /** Worker threads per engine (undefined: one per core, at most two). */
  threads?: number | undefined;
  /** Heap size at which a wasm instance is replaced (undefined: the pool's default). */
  wasmHeapLimitBytes?: number | undefined;
}

let defaults: EngineDefaults = {};

/**
 * An analysis worker sets one thread and a smaller wasm heap: the pool of analysis workers already covers the
 * cores (a second scanning thread per worker only made them fight over the cores and doubled the engines'
 * memory), and a harvest scans one package per call, so replacing an instance more often costs little.
 */
export function setEngineDefaults(next: EngineDefaults): void {
  defaults = { ...next };
}

export function createEngine(name: EngineName): SignatureEngine {
  const { threads, wasmHeapLimitBytes } = defaults;
  if (name === 'yara-x') return new YaraXEngine(threads === undefined ? {} : { workers: threads });
  return new WasmEngine({
    ...(threads === undefined ? {} : { size: threads }),
    ...(wasmHeapLimitBytes === undefined ? {} : { heapLimitBytes: wasmHeapLimitBytes }),
  });
}

/** Engines that can run here, the default (wasm) first. */
export async function availableEngines(): Promise<EngineName[]> {
  const out: EngineName[] = [];
  for (const name of ENGINE_NAMES) if (await createEngine(name).available()) out.push(name);
  return out;
}
