import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration, formatDuration, subtractDuration } from '../../../src/maint/duration.js';
import { applyForgetPolicy, describePolicy, isoWeekKey, type ForgetPolicy } from '../../../src/maint/forget-policy.js';
import { isTimefsError } from '../../../src/model/errors.js';

const snap = (iso: string) => ({ name: iso, time: new Date(iso) });
const NOW = new Date('2030-01-01T00:00:00Z');

/** Kept names (newest first) for a policy over the given ISO times. */
function kept(times: string[], policy: ForgetPolicy, now = NOW): string[] {
  return applyForgetPolicy(times.map(snap), policy, now).keep.map((s) => s.name);
}

// A varied history: several per hour, per day, across ISO-week, month and year boundaries.
const HISTORY = [
  '2014-12-31T23:30:00Z', '2015-01-01T00:10:00Z', '2015-01-01T00:50:00Z', '2015-01-04T12:00:00Z',
  '2015-01-05T08:00:00Z', '2015-01-05T08:30:00Z', '2015-01-05T09:00:00Z', '2015-01-11T23:59:59Z',
  '2015-01-12T00:00:00Z', '2015-02-28T10:00:00Z', '2015-03-01T10:00:00Z', '2015-03-01T10:20:00Z',
  '2015-03-31T22:00:00Z', '2015-12-28T06:00:00Z', '2016-01-03T18:00:00Z', '2016-01-04T01:00:00Z',
  '2016-02-29T12:00:00Z', '2016-02-29T13:00:00Z', '2016-03-01T00:00:00Z', '2016-03-01T00:30:00Z',
];

describe('forget policy (restic semantics)', () => {
  const table: { name: string; policy: ForgetPolicy; expect: string[] }[] = [
    { name: 'keep-last 3', policy: { last: 3 }, expect: ['2016-03-01T00:30:00Z', '2016-03-01T00:00:00Z', '2016-02-29T13:00:00Z'] },
    { name: 'keep-last unlimited keeps all', policy: { last: -1 }, expect: [...HISTORY].reverse() },
    { name: 'keep-last beyond the count keeps all', policy: { last: 100 }, expect: [...HISTORY].reverse() },
    {
      name: 'keep-hourly 4: newest per hour',
      policy: { hourly: 4 },
      expect: ['2016-03-01T00:30:00Z', '2016-02-29T13:00:00Z', '2016-02-29T12:00:00Z', '2016-01-04T01:00:00Z'],
    },
    {
      name: 'keep-daily 5: newest per UTC day',
      policy: { daily: 5 },
      expect: ['2016-03-01T00:30:00Z', '2016-02-29T13:00:00Z', '2016-01-04T01:00:00Z', '2016-01-03T18:00:00Z', '2015-12-28T06:00:00Z'],
    },
    {
      // ISO weeks: Mon 2016-02-29 and Tue 2016-03-01 share week 2016-09; Sun 2016-01-03 is in
      // week 2015-53 like 2015-12-28; Mon 2016-01-04 starts 2016-01.
      name: 'keep-weekly 4 follows ISO weeks across the year end',
      policy: { weekly: 4 },
      expect: ['2016-03-01T00:30:00Z', '2016-01-04T01:00:00Z', '2016-01-03T18:00:00Z', '2015-03-31T22:00:00Z'],
    },
    {
      name: 'keep-monthly 3',
      policy: { monthly: 3 },
      expect: ['2016-03-01T00:30:00Z', '2016-02-29T13:00:00Z', '2016-01-04T01:00:00Z'],
    },
    {
      name: 'keep-yearly unlimited: newest per year',
      policy: { yearly: -1 },
      expect: ['2016-03-01T00:30:00Z', '2015-12-28T06:00:00Z', '2014-12-31T23:30:00Z'],
    },
    {
      name: 'keep-yearly 5 with only 3 years keeps the oldest snapshot too',
      policy: { yearly: 5 },
      expect: ['2016-03-01T00:30:00Z', '2015-12-28T06:00:00Z', '2014-12-31T23:30:00Z'],
    },
    {
      name: 'keep-monthly 20 with fewer months adds the oldest snapshot (already its month’s newest)',
      policy: { monthly: 20 },
      expect: [
        '2016-03-01T00:30:00Z', '2016-02-29T13:00:00Z', '2016-01-04T01:00:00Z', '2015-12-28T06:00:00Z',
        '2015-03-31T22:00:00Z', '2015-02-28T10:00:00Z', '2015-01-12T00:00:00Z', '2014-12-31T23:30:00Z',
      ],
    },
    {
      name: 'keep-within 2d is relative to the newest snapshot, not to now',
      policy: { within: parseDuration('2d') },
      expect: ['2016-03-01T00:30:00Z', '2016-03-01T00:00:00Z', '2016-02-29T13:00:00Z', '2016-02-29T12:00:00Z'],
    },
    {
      name: 'keep-within 1m2h crosses the leap day by calendar months',
      policy: { within: parseDuration('1m2h') },
      expect: ['2016-03-01T00:30:00Z', '2016-03-01T00:00:00Z', '2016-02-29T13:00:00Z', '2016-02-29T12:00:00Z'],
    },
    {
      name: 'rules combine: last 1 + daily 2 + yearly 2',
      policy: { last: 1, daily: 2, yearly: 2 },
      expect: ['2016-03-01T00:30:00Z', '2016-02-29T13:00:00Z', '2015-12-28T06:00:00Z'],
    },
  ];
  for (const row of table) {
    it(row.name, () => assert.deepEqual(kept(HISTORY, row.policy), row.expect));
  }

  it('gives the reasons for each kept snapshot', () => {
    const result = applyForgetPolicy(HISTORY.map(snap), { last: 1, daily: 2, yearly: 5 }, NOW);
    const reasons = Object.fromEntries(result.decisions.filter((d) => d.keep).map((d) => [d.snapshot.name, d.reasons]));
    assert.deepEqual(reasons['2016-03-01T00:30:00Z'], ['last snapshot', 'daily snapshot', 'yearly snapshot']);
    assert.deepEqual(reasons['2016-02-29T13:00:00Z'], ['daily snapshot']);
    assert.deepEqual(reasons['2015-12-28T06:00:00Z'], ['yearly snapshot']);
    assert.deepEqual(reasons['2014-12-31T23:30:00Z'], ['yearly snapshot']);
    assert.equal(result.keep.length + result.remove.length, HISTORY.length);
    for (const d of result.decisions) assert.equal(d.keep, d.reasons.length > 0);
  });

  it('marks the oldest snapshot kept because counts were left', () => {
    const times = ['2020-01-01T10:00:00Z', '2020-01-01T11:00:00Z', '2020-01-01T12:00:00Z'];
    const result = applyForgetPolicy(times.map(snap), { daily: 3 }, NOW);
    assert.deepEqual(result.keep.map((s) => s.name), ['2020-01-01T12:00:00Z', '2020-01-01T10:00:00Z']);
    assert.deepEqual(result.decisions.at(-1)?.reasons, ['oldest daily snapshot']);
  });

  it('ignores snapshots in the future when finding the newest for keep-within', () => {
    const times = ['2029-12-30T00:00:00Z', '2029-12-31T12:00:00Z', '2031-06-01T00:00:00Z'];
    // newest in the past: 2029-12-31T12:00; within 1d keeps it and the future one, not 2029-12-30.
    assert.deepEqual(kept(times, { within: parseDuration('1d') }), ['2031-06-01T00:00:00Z', '2029-12-31T12:00:00Z']);
  });

  it('keep-within is strict: a snapshot exactly at the cutoff is removed', () => {
    const times = ['2020-01-01T00:00:00Z', '2020-01-02T00:00:00Z'];
    assert.deepEqual(kept(times, { within: parseDuration('1d') }), ['2020-01-02T00:00:00Z']);
  });

  it('refuses an empty policy', () => {
    assert.throws(() => applyForgetPolicy(HISTORY.map(snap), {}, NOW), (e) => isTimefsError(e, 'usage'));
    assert.throws(() => applyForgetPolicy(HISTORY.map(snap), { daily: 0, within: parseDuration('0d') }, NOW), (e) => isTimefsError(e, 'usage'));
  });

  it('never removes the newest snapshot, whatever the input order', () => {
    const shuffled = [...HISTORY].sort((a, b) => (a.slice(-6) < b.slice(-6) ? -1 : 1));
    for (const policy of [{ last: 1 }, { yearly: 1 }, { within: parseDuration('1h') }, { weekly: 2 }] as ForgetPolicy[]) {
      const result = applyForgetPolicy(shuffled.map(snap), policy, NOW);
      assert.equal(result.keep[0]?.name, '2016-03-01T00:30:00Z');
      assert.equal(result.decisions[0]?.keep, true);
    }
  });

  it('matches a group-by oracle on a long generated history', () => {
    // 600 snapshots at irregular intervals over ~3 years.
    const times: string[] = [];
    let t = Date.UTC(2019, 11, 20, 5, 0, 0);
    for (let i = 0; i < 600; i++) {
      t += ((i * 7919) % 97) * 1_800_000 + 600_000;
      times.push(new Date(t).toISOString().replace('.000', ''));
    }
    const newestFirst = [...times].reverse();
    const oracle = (key: (iso: string) => string, n: number): Set<string> => {
      const seen = new Map<string, string>();
      for (const iso of newestFirst) if (!seen.has(key(iso))) seen.set(key(iso), iso);
      const picked = [...seen.values()].slice(0, n);
      if (seen.size < n) picked.push(newestFirst.at(-1)!);
      return new Set(picked);
    };
    const cases: [ForgetPolicy, (iso: string) => string, number][] = [
      [{ hourly: 30 }, (iso) => iso.slice(0, 13), 30],
      [{ daily: 45 }, (iso) => iso.slice(0, 10), 45],
      [{ monthly: 18 }, (iso) => iso.slice(0, 7), 18],
      [{ monthly: 100 }, (iso) => iso.slice(0, 7), 100],
      [{ yearly: 2 }, (iso) => iso.slice(0, 4), 2],
      [{ weekly: 20 }, (iso) => String(isoWeekKey(new Date(iso))), 20],
    ];
    for (const [policy, key, n] of cases) {
      assert.deepEqual(new Set(kept(times, policy)), oracle(key, n), describePolicy(policy));
    }
    // keep-within: exactly the snapshots strictly after newest − 3m10d.
    const newest = new Date(newestFirst[0]!);
    const cutoff = subtractDuration(newest, parseDuration('3m10d'));
    const expected = newestFirst.filter((iso) => new Date(iso) > cutoff);
    assert.deepEqual(kept(times, { within: parseDuration('3m10d') }), expected);
    assert.ok(expected.length > 10 && expected.length < 600);
  });
});

describe('ISO weeks', () => {
  const table: [string, number][] = [
    ['2015-01-01T00:00:00Z', 201501], ['2014-12-29T00:00:00Z', 201501], ['2014-12-28T23:59:59Z', 201452],
    ['2016-01-03T00:00:00Z', 201553], ['2016-01-04T00:00:00Z', 201601], ['2020-12-31T00:00:00Z', 202053],
    ['2021-01-03T00:00:00Z', 202053], ['2021-01-04T00:00:00Z', 202101], ['2018-12-31T00:00:00Z', 201901],
  ];
  for (const [iso, week] of table) it(`${iso} is in ${week}`, () => assert.equal(isoWeekKey(new Date(iso)), week));
});

describe('durations', () => {
  it('parses and formats', () => {
    assert.deepEqual(parseDuration('1y5m7d2h'), { years: 1, months: 5, days: 7, hours: 2 });
    assert.deepEqual(parseDuration('36h'), { years: 0, months: 0, days: 0, hours: 36 });
    assert.deepEqual(parseDuration('2d3d'), { years: 0, months: 0, days: 5, hours: 0 });
    assert.equal(formatDuration(parseDuration('7d1y')), '1y7d');
    for (const bad of ['', '5', '1w', '-1d', '1.5d', 'd']) assert.throws(() => parseDuration(bad), (e) => isTimefsError(e, 'usage'), bad);
  });
  it('subtracts by the calendar', () => {
    const table: [string, string, string][] = [
      ['2016-03-31T10:00:00Z', '1m', '2016-03-02T10:00:00Z'], // 31 Feb 2016 rolls to 2 Mar
      ['2016-02-29T00:00:00Z', '1y', '2015-03-01T00:00:00Z'],
      ['2020-01-01T01:00:00Z', '2h', '2019-12-31T23:00:00Z'],
      ['2020-03-01T00:00:00Z', '1d', '2020-02-29T00:00:00Z'],
    ];
    for (const [from, d, to] of table) assert.equal(subtractDuration(new Date(from), parseDuration(d)).toISOString().replace('.000', ''), to);
  });
});
