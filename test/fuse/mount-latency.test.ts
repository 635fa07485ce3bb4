// Latency mode: a private grid with the delay proxy in front of each storage server. A small GET
// pays at least two round trips more than on loopback, and push + mount + `diff -r` across
// snapshots stay exact at RTT 20 ms (concurrency and timeouts hold under latency).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startPrivateGrid, type PrivateGrid } from '../helpers/grid.js';
import { describePushThenMount } from '../helpers/push-mount-suite.js';

const RTT_MS = 20;
let grid: PrivateGrid | undefined;

/**
 * The fastest of several GETs of one small immutable file. Load on the machine only ever adds time,
 * so the minimum is the fixed cost of a GET, where the median moved by tens of ms on a busy machine.
 */
async function fastestSmallGet(nodeUrl: string, cap: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const started = performance.now();
    const res = await fetch(`${nodeUrl}uri/${encodeURIComponent(cap)}`);
    assert.equal(res.status, 200);
    assert.equal((await res.arrayBuffer()).byteLength, 4096);
    times.push(performance.now() - started);
  }
  return Math.min(...times);
}

after(async () => {
  await grid?.stop();
});

describe('latency mode of the local grid', () => {
  it(`adds at least 2 RTT to a small GET (RTT ${RTT_MS} ms against none, same grid)`, async () => {
    const plain = await startPrivateGrid('latency', 60, { rttMs: 0 });
    const put = await fetch(`${plain.nodeUrl}uri`, { method: 'PUT', body: Buffer.alloc(4096, 7) });
    assert.ok(put.ok, `PUT answered ${put.status}`);
    const cap = await put.text();
    const without = await fastestSmallGet(plain.nodeUrl, cap);
    grid = await startPrivateGrid('latency', 60, { rttMs: RTT_MS });
    const status = await (await fetch(`${grid.nodeUrl}?t=json`)).json() as { servers: unknown[] };
    assert.equal(status.servers.length, 3);
    const withDelay = await fastestSmallGet(grid.nodeUrl, cap);
    assert.ok(withDelay - without >= 2 * RTT_MS, `a 4 KiB GET took ${withDelay.toFixed(1)} ms at RTT ${RTT_MS} and ${without.toFixed(1)} ms without`);
  });
});

describePushThenMount(`timefs push, then mount and diff -r every snapshot, at RTT ${RTT_MS} ms`, () => {
  if (!grid) throw new Error('the latency grid did not start');
  return grid.nodeUrl;
});
