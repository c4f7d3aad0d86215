import { afterEach, describe, expect, it } from 'vitest';
import { WasmPool } from './pool.js';

const RULE = 'rule needle { strings: $n = "needle" condition: $n }';
const pools: WasmPool[] = [];
afterEach(async () => { await Promise.all(pools.splice(0).map((p) => p.close())); });

function pool(): WasmPool {
  const p = new WasmPool({ size: 1 });
  pools.push(p);
  return p;
}

function matches(reply: Awaited<ReturnType<WasmPool['call']>>): [string, number, number][] {
  return reply.rules.flatMap((r) => r.matches);
}

describe('WasmPool: the bytes a call sends', () => {
  it('moves a whole buffer the caller gave up', async () => {
    const data = new Uint8Array(Buffer.from('a needle'));
    const reply = await pool().call({ rules: RULE, data, maxPerString: 20, transfer: true });
    expect(matches(reply)).toEqual([['$n', 2, 6]]);
    expect(data.buffer.byteLength).toBe(0);
  });

  it.each([
    ['kept by the caller', false],
    ['given up, but only a view of a larger buffer', true],
  ])('sends a copy of exactly the view when the buffer is %s', async (_name, transfer) => {
    // "needle" outside the view must not be seen, and offsets count from the view's first byte.
    const backing = Buffer.from(`needle ${'x'.repeat(64)} the needle ${'y'.repeat(64)} needle`);
    const start = 'needle '.length;
    const view = backing.subarray(start, start + 64 + ' the needle'.length);
    const reply = await pool().call({ rules: RULE, data: view, maxPerString: 20, transfer });
    expect(matches(reply)).toEqual([['$n', 64 + 5, 6]]);
    expect(backing.buffer.byteLength).toBeGreaterThan(0);
    expect(view.toString('latin1')).toBe(`${'x'.repeat(64)} the needle`);
  });
});
