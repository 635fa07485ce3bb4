/**
 * Wall time of single grid operations, one at a time (medians of 9), on the running local grid:
 * run it at RTT 0 and at RTT 50 (`TIMEFS_GRID_RTT_MS=50 npm run grid:start`) and divide the
 * difference by the RTT to get the round trips each web-API call costs the client node.
 *   node --import tsx scripts/grid-op-times.ts
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { TahoeStore } from '../src/store/tahoe/tahoe-store.js';
import { defaultGridConfig } from './grid/local-grid.js';

const store = new TahoeStore({ nodeUrl: readFileSync(`${defaultGridConfig().dir}/client/node.url`, 'utf8').trim() });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = async (f: () => Promise<unknown>) => { const t = performance.now(); await f(); return performance.now() - t; };
const N = 9;
const put: number[] = [], mkdir: number[] = [], link: number[] = [], list: number[] = [], listImm: number[] = [];
const dir = await store.mkdirMutable();
let last = await store.putImmutable(randomBytes(2000));
for (let i = 0; i < N; i++) {
  put.push(await time(async () => { last = await store.putImmutable(randomBytes(2000)); }));
  let imm = '';
  mkdir.push(await time(async () => { imm = await store.mkdirImmutable({ [`c${i}`]: { cap: last, metadata: { timefs: { i, r: randomBytes(8).toString('hex') } } } }); }));
  link.push(await time(() => store.link(dir, `n${i}`, imm)));
  list.push(await time(() => store.list(dir)));
  listImm.push(await time(() => store.list(imm)));
}
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`medians of ${N}: PUT 2 KB ${median(put).toFixed(0)} ms, mkdir-immutable ${median(mkdir).toFixed(0)} ms, link (set_children on a mutable dir) ${median(link).toFixed(0)} ms, list mutable ${median(list).toFixed(0)} ms, list immutable ${median(listImm).toFixed(0)} ms (load ${load})`);
