/**
 * The worker body for the YARA-X engine: each worker loads the native binding and compiles the rule set once,
 * then scans the files it is sent, so both cores scan (the binding's `scanAsync` gave wrong results when two
 * scans overlapped on one compiled set, measured with @litko/yara-x 0.3.0). Kept as JavaScript text for the same
 * reason as the wasm worker (ADR 0001).
 *
 * Protocol — workerData: `{ modulePath, rules, maxPerString }`; in: `{ id, files: [{ name, data }] }`; out: first `{ id: 0, ready: true, error? }` once compiled, then `{ id, ok, results:
 * [{ name, rules?: [{ rule, matches: [[id, offset, length]] }], error? }] }` or `{ id, ok: false, error }`.
 */
export const YARAX_WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
let scanner = null;
let loadError = null;
try {
  scanner = require(workerData.modulePath).compile(workerData.rules);
} catch (err) {
  loadError = String(err && err.message ? err.message : err);
}
parentPort.postMessage({ id: 0, ready: true, error: loadError === null ? undefined : loadError });

// Capped here, not in the scanner: a scanner-side cap would also change counts (#a) that conditions test.
function capped(matches) {
  const seen = new Map();
  const out = [];
  for (const m of matches) {
    const n = seen.get(m.identifier) || 0;
    if (n >= workerData.maxPerString) continue;
    seen.set(m.identifier, n + 1);
    out.push([m.identifier, m.offset, m.length]);
  }
  return out;
}

parentPort.on('message', (msg) => {
  if (scanner === null) {
    parentPort.postMessage({ id: msg.id, ok: false, error: 'yara-x failed to load in a worker: ' + loadError });
    return;
  }
  const results = [];
  for (const f of msg.files) {
    try {
      const rules = scanner.scan(Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength)).map((r) => ({
        rule: r.ruleIdentifier,
        matches: capped(r.matches),
      }));
      results.push({ name: f.name, rules });
    } catch (err) {
      results.push({ name: f.name, error: String(err && err.message ? err.message : err) });
    }
  }
  parentPort.postMessage({ id: msg.id, ok: true, results });
});
`;
