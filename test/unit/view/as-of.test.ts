import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTimefsError } from '../../../src/model/errors.js';
import { dayName, endOfDayMs, parseSnapshotSpec, resolveSnapshotSpec } from '../../../src/view/as-of.js';

const snap = (name: string): { name: string; timeMs: number } => ({ name, timeMs: Date.parse(name) });
// 23:30 UTC on the 9th is already the 10th in Berlin (+01:00) and still the 9th in New York (-05:00).
const list = [snap('2009-01-09T01:49:00Z'), snap('2009-01-09T23:30:00Z'), snap('2009-01-12T08:00:00Z')];

function withTimeZone<T>(tz: string, fn: () => T): T {
  const saved = process.env.TZ;
  process.env.TZ = tz;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

describe('parseSnapshotSpec', () => {
  const table: Array<[string, string]> = [
    ['latest', 'latest'], ['2009-01-09', 'day'], ['2009-01-09T01:49:00Z', 'time'], ['2009-01-09T01:49Z', 'time'],
    ['2009-01-09T01:49:00+02:00', 'time'], ['2009-01-09T01:49:00', 'name'], ['snap-1', 'name'], ['2009-1-9', 'name'],
  ];
  for (const [spec, kind] of table) it(`${spec} is a ${kind}`, () => assert.equal(parseSnapshotSpec(spec).kind, kind));
  for (const bad of ['2009-02-30', '2009-13-01', '2009-00-10']) {
    it(`refuses the impossible day ${bad}`, () => assert.throws(() => parseSnapshotSpec(bad), (err) => isTimefsError(err, 'usage')));
  }
});

describe('day resolution', () => {
  it('ends UTC days at midnight UTC', () => {
    assert.equal(endOfDayMs(2009, 1, 9, { utc: true }), Date.UTC(2009, 0, 10));
    assert.equal(endOfDayMs(2008, 12, 31, { utc: true }), Date.UTC(2009, 0, 1));
  });

  const table: Array<[tz: string, day: string, expected: string | null]> = [
    ['UTC', '2009-01-09', '2009-01-09T23:30:00Z'],
    ['Europe/Berlin', '2009-01-09', '2009-01-09T01:49:00Z'], // 23:30Z is the 10th there
    ['Europe/Berlin', '2009-01-10', '2009-01-09T23:30:00Z'],
    ['America/New_York', '2009-01-08', '2009-01-09T01:49:00Z'], // 01:49Z is 20:49 on the 8th there
    ['America/New_York', '2009-01-09', '2009-01-09T23:30:00Z'],
    ['America/New_York', '2009-01-07', null],
    ['Asia/Tokyo', '2009-01-11', '2009-01-09T23:30:00Z'],
    ['Asia/Tokyo', '2009-01-12', '2009-01-12T08:00:00Z'],
  ];
  for (const [tz, day, expected] of table) {
    it(`${day} in ${tz} resolves to ${expected ?? 'nothing'}`, () => {
      withTimeZone(tz, () => {
        if (expected === null) assert.throws(() => resolveSnapshotSpec(list, day), (err) => isTimefsError(err, 'snapshot.not-found'));
        else assert.equal(resolveSnapshotSpec(list, day).name, expected);
      });
    });
  }

  it('the utc option ignores the local zone', () => {
    withTimeZone('Europe/Berlin', () => assert.equal(resolveSnapshotSpec(list, '2009-01-09', { utc: true }).name, '2009-01-09T23:30:00Z'));
  });

  it('names days in the local zone or UTC', () => {
    const t = Date.parse('2009-01-09T23:30:00Z');
    withTimeZone('Europe/Berlin', () => {
      assert.equal(dayName(t), '2009-01-10');
      assert.equal(dayName(t, { utc: true }), '2009-01-09');
    });
  });

  it('an empty repository has no latest, with a hint to push', () => {
    assert.throws(() => resolveSnapshotSpec([], 'latest'), (err) => isTimefsError(err, 'snapshot.not-found') && /timefs push/.test(err.hint ?? ''));
  });

  it('an exact name wins even when it does not look like a time', () => {
    assert.equal(resolveSnapshotSpec([...list, { name: 'manual', timeMs: 0 }], 'manual').name, 'manual');
  });
});
