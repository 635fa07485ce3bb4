// Latency mode: a private grid with the delay proxy in front of each storage server. A small GET
// pays at least two round trips more than on loopback, and push + mount + `diff -r` across
// snapshots stay exact at RTT 20 ms (concurrency and timeouts hold under latency).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startPrivateGrid, type PrivateGrid } from '../helpers/grid.js';
import { describePushThenMount } from '../helpers/push-mount-suite.js';

const RTT_MS = 20;
/**
 * The GET check runs at a larger RTT, so that the few milliseconds of the node's own work that
 * overlap a wait (and timer granularity in the proxy) stay small next to the 2 RTT it must add.
 */
const CHECK_RTT_MS = 100;
const OVERLAP_TOLERANCE_MS = 10;
let grid: PrivateGrid | undefined;

/**
 * The fastest of GETs of several small immutable files, each read once. Load on the machine only ever
 * adds time, so the minimum is the fixed cost of a GET, where the median moved by tens of ms on a
 * busy machine. Each file is fresh to the node: a file it has read before keeps its shares located,
 * and a second read skips the round trip that finds them.
 */
async function fastestSmallGet(nodeUrl: string, caps: string[]): Promise<number> {
  const times: number[] = [];
  for (const cap of caps) {
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
  it(`adds at least 2 RTT to a small GET (RTT ${CHECK_RTT_MS} ms against none, same grid)`, async () => {
    const plain = await startPrivateGrid('latency', 60, { rttMs: 0 });
    const caps: string[] = [];
    for (let i = 0; i < 30; i++) {
      const put = await fetch(`${plain.nodeUrl}uri`, { method: 'PUT', body: Buffer.alloc(4096, i) });
      assert.ok(put.ok, `PUT answered ${put.status}`);
      caps.push(await put.text());
    }
    const without = await fastestSmallGet(plain.nodeUrl, caps.slice(0, 15));
    grid = await startPrivateGrid('latency', 60, { rttMs: CHECK_RTT_MS });
    const status = await (await fetch(`${grid.nodeUrl}?t=json`)).json() as { servers: unknown[] };
    assert.equal(status.servers.length, 3);
    const withDelay = await fastestSmallGet(grid.nodeUrl, caps.slice(15));
    assert.ok(withDelay - without >= 2 * CHECK_RTT_MS - OVERLAP_TOLERANCE_MS, `a 4 KiB GET took ${withDelay.toFixed(1)} ms at RTT ${CHECK_RTT_MS} and ${without.toFixed(1)} ms without`);
    grid = await startPrivateGrid('latency', 60, { rttMs: RTT_MS });
  });
});

describePushThenMount(`timefs push, then mount and diff -r every snapshot, at RTT ${RTT_MS} ms`, () => {
  if (!grid) throw new Error('the latency grid did not start');
  return grid.nodeUrl;
});
