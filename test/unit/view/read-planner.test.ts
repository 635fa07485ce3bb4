import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOW_LATENCY_MS, planWholeRead, ReadPlanner, type FetchRange } from '../../../src/view/read-planner.js';

const MiB = 1 << 20;
const KiB = 1024;

/** Drives a planner like the block cache does: fetched blocks become present at once. */
function simulate(size: number, reads: Array<[number, number]>, options = {}, preloaded: number[] = []): { fetches: FetchRange[]; perRead: FetchRange[][]; planner: ReadPlanner } {
  const planner = new ReadPlanner(size, options);
  const present = new Set(preloaded);
  const fetches: FetchRange[] = [];
  const perRead: FetchRange[][] = [];
  for (const [offset, length] of reads) {
    const planned = planner.plan(offset, length, (b) => present.has(b));
    for (const f of planned) for (let b = Math.floor(f.start / MiB); b * MiB < f.end; b++) present.add(b);
    // every byte the read needs is present after its own plan
    for (let b = Math.floor(offset / MiB); b * MiB < Math.min(size, offset + length); b++) assert.ok(present.has(b), `block ${b} of the read at ${offset} was planned`);
    fetches.push(...planned);
    perRead.push(planned);
  }
  return { fetches, perRead, planner };
}

function sequentialReads(from: number, to: number, chunk: number): Array<[number, number]> {
  const reads: Array<[number, number]> = [];
  for (let o = from; o < to; o += chunk) reads.push([o, Math.min(chunk, to - o)]);
  return reads;
}

describe('ReadPlanner', () => {
  it('a large file read from offset 0 opens an 8 MiB-run window at the first read', () => {
    const size = 64 * MiB;
    const { fetches, perRead } = simulate(size, sequentialReads(0, size, 128 * KiB));
    assert.deepEqual(perRead[0], [{ start: 0, end: 8 * MiB }, { start: 8 * MiB, end: 16 * MiB }, { start: 16 * MiB, end: 24 * MiB }]);
    assert.equal(fetches.length, 8, '64 MiB in eight requests');
    for (const f of fetches) assert.equal(f.end - f.start, 8 * MiB);
    assert.equal(fetches.reduce((n, f) => n + f.end - f.start, 0), size, 'every byte fetched once');
  });

  it('never fetches less than the run it serves, except at the end of the file', () => {
    const size = 37 * MiB + 12_345;
    const runBytes = 8 * MiB;
    // blocks already cached by an earlier random read must not split runs into small requests
    const { fetches } = simulate(size, sequentialReads(0, size, 1 * MiB), {}, [1, 2, 9, 30]);
    for (const f of fetches) {
      assert.ok(f.end === size || f.end % runBytes === 0, `fetch ${f.start}-${f.end} ends on a run boundary or at the end`);
      const run = Math.floor(f.start / runBytes);
      const runEnd = Math.min(size, (run + 1) * runBytes);
      assert.equal(f.end, runEnd, 'a fetch covers the rest of its run in one request');
    }
    assert.equal(fetches[fetches.length - 1]?.end, size);
    assert.ok(fetches.length <= 6, `${fetches.length} requests for 37 MiB`);
  });

  it('random small reads fetch at most 2 MiB each, and nothing when cached', () => {
    const size = 256 * MiB;
    const offsets = [100 * MiB + 5, 7 * MiB + 900 * KiB, 200 * MiB, 31 * MiB + 1];
    const { perRead } = simulate(size, offsets.map((o) => [o, 4 * KiB]));
    for (const planned of perRead) {
      assert.equal(planned.length, 1);
      const [f] = planned as [FetchRange];
      assert.ok(f.end - f.start <= 2 * MiB, `random read fetched ${f.end - f.start}`);
    }
    const again = simulate(size, [[100 * MiB + 5, 4 * KiB], [100 * MiB + 8 * KiB, 4 * KiB]]);
    assert.equal(again.perRead[1]?.length, 0, 'a second read in a fetched block fetches nothing');
  });

  it('a random 1 MiB read as the kernel sends it (three ~1 MiB requests with its readahead) fetches no window', () => {
    const size = 256 * MiB;
    const at = 84560 * KiB;
    const { fetches, planner } = simulate(size, [[at, 1024 * KiB], [at + 1024 * KiB, 1024 * KiB], [at + 2064 * KiB, 1008 * KiB]]);
    assert.equal(planner.sequential, false);
    assert.ok(fetches.reduce((n, f) => n + f.end - f.start, 0) <= 4 * MiB, 'read-around only, no 8 MiB runs');
  });

  it('a reader that starts mid-file becomes sequential after 4 MiB, then fetches runs ahead', () => {
    const size = 100 * MiB;
    const { perRead, planner } = simulate(size, sequentialReads(40 * MiB, 60 * MiB, 512 * KiB));
    assert.ok(perRead[0]!.every((f) => f.end - f.start <= 2 * MiB), 'the first read is planned as random');
    assert.ok(planner.sequential);
    const later = perRead.slice(8).flat();
    assert.ok(later.length > 0);
    for (const f of later) assert.equal(f.end % (8 * MiB), 0, 'runs once sequential');
  });

  it('reads with small gaps (a chain reaching its base between literal bytes) continue the run', () => {
    const size = 64 * MiB;
    const reads: Array<[number, number]> = [];
    for (let o = 0; o < 30 * MiB; o += 300 * KiB) reads.push([o, 200 * KiB]);
    const { fetches } = simulate(size, reads);
    assert.ok(fetches.every((f) => f.end - f.start === 8 * MiB), 'all fetches are whole runs');
  });

  it('small files are read without a window; a read past the end plans nothing', () => {
    const { fetches } = simulate(3 * MiB, sequentialReads(0, 3 * MiB, 128 * KiB));
    assert.equal(fetches.reduce((n, f) => n + f.end - f.start, 0), 3 * MiB);
    assert.ok(fetches.every((f) => f.end - f.start <= 2 * MiB));
    assert.deepEqual(new ReadPlanner(1000).plan(1000, 10, () => false), []);
  });

  it('planStart opens the window before any read for a file that will be read whole', () => {
    const planner = new ReadPlanner(20 * MiB, { runsAhead: 2 });
    assert.deepEqual(planner.planStart(() => false), [{ start: 0, end: 8 * MiB }, { start: 8 * MiB, end: 16 * MiB }]);
    assert.ok(planner.sequential);
    assert.deepEqual(new ReadPlanner(1 * MiB).planStart(() => false), []);
  });

  it('a whole read streams at low latency and uses ranges in flight otherwise (or before anything is measured)', () => {
    const size = 64 * MiB;
    assert.deepEqual(planWholeRead(size, 3), { kind: 'stream' }, 'loopback: one GET');
    assert.deepEqual(planWholeRead(size, LOW_LATENCY_MS + 80), { kind: 'ranges', rangeBytes: 16 * MiB, inFlight: 3 }, '50 ms RTT: ranges hide it');
    assert.deepEqual(planWholeRead(size, undefined), { kind: 'ranges', rangeBytes: 16 * MiB, inFlight: 3 });
    assert.deepEqual(planWholeRead(16 * MiB, 500), { kind: 'stream' }, 'up to one range it is one request either way');
    const plan = planWholeRead(size, 200, 8 * MiB, 4);
    assert.ok(plan.kind === 'ranges' && plan.rangeBytes === 8 * MiB && plan.inFlight === 4);
  });
});

