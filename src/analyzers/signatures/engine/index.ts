import { WasmEngine } from './wasm.js';
import { YaraXEngine } from './yarax.js';
import { ENGINE_NAMES, type EngineName, type SignatureEngine } from './types.js';

export type * from './types.js';
export { ENGINE_NAMES } from './types.js';
export { WasmEngine, WasmRuleSet, MAX_MATCH_BYTES, MAX_MATCHES_PER_STRING, type WasmOptions } from './wasm.js';
export { YaraXEngine } from './yarax.js';

export function createEngine(name: EngineName): SignatureEngine {
  return name === 'yara-x' ? new YaraXEngine() : new WasmEngine();
}

/** Engines that can run here, the default (wasm) first. */
export async function availableEngines(): Promise<EngineName[]> {
  const out: EngineName[] = [];
  for (const name of ENGINE_NAMES) if (await createEngine(name).available()) out.push(name);
  return out;
}
