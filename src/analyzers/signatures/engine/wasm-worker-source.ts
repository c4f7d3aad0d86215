/**
 * The worker body for the libyara-wasm engine, kept as plain JavaScript text and started with
 * `new Worker(WASM_WORKER_SOURCE, { eval: true })`: the same code then runs from src/ under vitest and from
 * dist/ without a build step or a path to resolve (ADR 0001).
 *
 * Protocol — in: `{ id, rules, data: Uint8Array, starts?: number[], maxPerString }`; out: `{ id, ok, rules:
 * [{ rule, matches: [[stringId, offset, length]], straddled: [fileIndex] }], errors: [{ message, line, warning }], recycled }` or
 * `{ id, ok: false, error }`. With `starts` (the first byte of each file in a concatenated buffer) matches
 * that straddle two files are dropped (the indices of the files they touch are listed in `straddled`) and each string keeps at most `maxPerString` matches per file.
 */
export const WASM_WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

// Embind's std::string conversion copies a Uint8Array into the wasm heap one byte at a time in JavaScript,
// a third of a scan's cost. The same copy as one TypedArray.set (identical bytes, signed or not) is
// substituted when the known text occurs exactly once; otherwise the module loads untouched.
const BYTE_LOOP = 'else for(g=0;g<l;++g)B[m+g]=f[g];';
const BULK_COPY = 'else B.set(f,m);';
function loadFactory(file) {
  const text = readFileSync(file, 'utf8');
  if (text.split(BYTE_LOOP).length !== 2) return { factory: require(file), fastCopy: false };
  const mod = { exports: {} };
  const fn = vm.compileFunction(text.replace(BYTE_LOOP, BULK_COPY), ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
  fn(mod.exports, require, mod, file, path.dirname(file));
  return { factory: mod.exports, fastCopy: true };
}
const { factory, fastCopy } = workerData.fastCopy === false ? { factory: require(workerData.modulePath), fastCopy: false } : loadFactory(workerData.modulePath);
const EVENTS = ['uncaughtException', 'unhandledRejection'];
let mod = null;
let calls = 0;
let recycled = 0;

async function instance() {
  if (mod !== null) return mod;
  const before = EVENTS.map((e) => process.listeners(e));
  mod = await factory();
  // libyara-wasm rethrows from process-wide handlers; drop the ones it just added.
  EVENTS.forEach((e, i) => {
    for (const l of process.listeners(e)) if (!before[i].includes(l)) process.removeListener(e, l);
  });
  calls = 0;
  pristine = pristineCopy(mod.HEAPU8);
  return mod;
}

// Each run() leaves about 10 MB allocated in the wasm heap, so every call grew the memory into fresh pages, and
// on a virtual machine the page faults cost more than the scan (ADR 0001, amendment 3). Nothing a call leaves
// behind is needed by the next (each compiles its rules and scans alone), and the heap's allocator keeps its
// state in the same memory: putting back the bytes the instance started with gives the next call a fresh
// instance's heap in pages already mapped. The copy ends at the last non-zero byte; the rest is zeroed.
let pristine = null;
function pristineCopy(heap) {
  let end = heap.length;
  while (end > 0 && heap[end - 1] === 0) end--;
  return heap.slice(0, end);
}
function restorePristine(m) {
  const heap = m.HEAPU8;
  heap.set(pristine);
  heap.fill(0, pristine.length);
}

function fileIndex(starts, offset) {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid; else hi = mid - 1;
  }
  return lo;
}

function collect(res, msg) {
  const out = { rules: [], errors: [] };
  const errs = res.compileErrors;
  for (let i = 0; i < errs.size(); i++) {
    const e = errs.get(i);
    out.errors.push({ message: e.message, line: e.lineNumber, warning: e.warning });
  }
  const rules = res.matchedRules;
  const starts = msg.starts;
  const total = msg.data.length;
  for (let i = 0; i < rules.size(); i++) {
    const r = rules.get(i);
    const list = r.resolvedMatches;
    const matches = [];
    const per = new Map();
    const straddled = new Set();
    for (let j = 0; j < list.size(); j++) {
      const m = list.get(j);
      const offset = Number(m.location);
      const length = Number(m.matchLength);
      let key = m.stringIdentifier;
      if (starts) {
        const f = fileIndex(starts, offset);
        // Files are separated by msg.gap filler bytes; a match reaching into them is not inside the file.
        const end = f + 1 < starts.length ? starts[f + 1] - (msg.gap || 0) : total;
        if (offset + length > end) {
          // Alone, each file this match touches might match differently (shorter, or not at all).
          const last = fileIndex(starts, offset + Math.max(length, 1) - 1);
          for (let k = f; k <= last; k++) straddled.add(k);
          continue;
        }
        key = key + '\u0000' + f;
      }
      const n = per.get(key) || 0;
      if (n >= msg.maxPerString) continue;
      per.set(key, n + 1);
      matches.push([m.stringIdentifier, offset, length]);
    }
    out.rules.push({ rule: r.ruleName, matches, straddled: [...straddled] });
  }
  return out;
}

parentPort.on('message', async (msg) => {
  try {
    const m = await instance();
    const res = m.run(msg.data, msg.rules);
    const out = collect(res, msg);
    if (workerData.restoreHeap !== false) restorePristine(m);
    calls++;
    const heapBytes = m.HEAP8.length;
    // Without the restore each call leaves ~10 MB behind; either way a heap past the limit (one call that needed
    // that much) and every recycleCalls-th call start a fresh instance, well before the 2 GB wall.
    if (calls >= workerData.recycleCalls || m.HEAP8.length >= workerData.heapLimit) { mod = null; recycled++; }
    parentPort.postMessage({ id: msg.id, ok: true, rules: out.rules, errors: out.errors, recycled, fastCopy, heapBytes });
  } catch (err) {
    mod = null;
    recycled++;
    parentPort.postMessage({ id: msg.id, ok: false, error: String(err && err.message ? err.message : err), recycled });
  }
});
`;
