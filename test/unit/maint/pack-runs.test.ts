import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planPackRuns } from '../../../src/maint/pack-runs.js';

const m = (offset: number, size: number, item = `${offset}`) => ({ offset, size, item });

test('planPackRuns: one run for a whole pack read in order, whatever order the members came in', () => {
  const runs = planPackRuns([m(300, 50), m(0, 100), m(100, 200), m(350, 0)]);
  assert.deepEqual(runs.map((r) => [r.start, r.length, r.members.map((x) => x.item)]), [[0, 350, ['0', '100', '300', '350']]]);
});

test('planPackRuns: a gap above maxGap or a run above maxRun starts a new request; every member is in exactly one run', () => {
  const limits = { maxRun: 1000, maxGap: 100 };
  // 0..250 (a gap of 50 read through); a gap of 150 starts 400..1100 (700 ≤ maxRun); 5000+3000 is alone (longer than maxRun).
  const members = [m(0, 100), m(150, 100), m(400, 100), m(500, 400), m(900, 200), m(5000, 3000)];
  const runs = planPackRuns(members, limits);
  assert.deepEqual(runs.map((r) => [r.start, r.length]), [[0, 250], [400, 700], [5000, 3000]]);
  assert.deepEqual(runs.flatMap((r) => r.members.map((x) => x.item)).sort(), members.map((x) => x.item).sort());
  for (const r of runs) for (const x of r.members) assert.ok(x.offset >= r.start && x.offset + x.size <= r.start + r.length);
  assert.deepEqual(planPackRuns([], limits), []);
});
