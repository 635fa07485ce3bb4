import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  dayName, endOfDayMs, parseSnapshotName, resolveTopLevel, snapshotAsOf, sortSnapshots, topLevelNames,
  type SnapshotRef,
} from '../../../src/view/time-tree.js';

function snap(name: string): SnapshotRef {
  const timeMs = parseSnapshotName(name);
  assert.ok(timeMs !== undefined, name);
  return { name, timeMs, cap: `URI:DIR2-CHK:${name}` };
}

const SNAPSHOTS = sortSnapshots([
  snap('2009-01-10T08:00:00Z'),
  snap('2009-01-09T01:49:00Z'),
  snap('2009-01-09T23:10:00Z'),
  snap('2009-01-12T00:30:00Z'),
]);

test('snapshot names parse only in the exact-time form', () => {
  const table: Array<[string, number | undefined]> = [
    ['2009-01-09T01:49:00Z', Date.UTC(2009, 0, 9, 1, 49)],
    ['2009-01-09T01:49:00.250Z', Date.UTC(2009, 0, 9, 1, 49, 0, 250)],
    ['2009-01-09', undefined],
    ['2009-01-09T01:49:00', undefined],
    ['latest', undefined],
  ];
  for (const [name, expected] of table) assert.equal(parseSnapshotName(name), expected, name);
});

test('end of day follows the calendar and rejects impossible days', () => {
  const table: Array<[string, number | undefined]> = [
    ['2009-01-09', Date.UTC(2009, 0, 10) - 1],
    ['2008-02-29', Date.UTC(2008, 2, 1) - 1],
    ['2009-02-29', undefined],
    ['2009-13-01', undefined],
    ['2009-1-09', undefined],
  ];
  for (const [name, expected] of table) assert.equal(endOfDayMs(name, 'utc'), expected, name);
});

test('day names and as-of resolution follow the local zone unless utc is asked for', () => {
  const saved = process.env.TZ;
  try {
    process.env.TZ = 'America/New_York'; // UTC-5 in January
    // 2009-01-10T03:00Z is still 9 January in New York
    assert.equal(dayName(Date.UTC(2009, 0, 10, 3), 'local'), '2009-01-09');
    assert.equal(dayName(Date.UTC(2009, 0, 10, 3), 'utc'), '2009-01-10');
    assert.equal(endOfDayMs('2009-01-09', 'local'), Date.UTC(2009, 0, 10, 5) - 1);
    // In New York, 2009-01-09 ends at 05:00Z on the 10th: 23:10Z on the 9th is the newest before it.
    const local = resolveTopLevel(SNAPSHOTS, '2009-01-09', 'local');
    assert.deepEqual(local?.kind === 'alias' && local.target.name, '2009-01-09T23:10:00Z');
    // New York's 11 January ends at 05:00Z on the 12th, after the 00:30Z snapshot
    const eleventh = resolveTopLevel(SNAPSHOTS, '2009-01-11', 'local');
    assert.equal(eleventh?.kind === 'alias' && eleventh.target.name, '2009-01-12T00:30:00Z');
    const eleventhUtc = resolveTopLevel(SNAPSHOTS, '2009-01-11', 'utc');
    assert.equal(eleventhUtc?.kind === 'alias' && eleventhUtc.target.name, '2009-01-10T08:00:00Z');
    assert.deepEqual(topLevelNames(SNAPSHOTS, 'local').slice(2, 5), ['2009-01-08', '2009-01-09', '2009-01-10']);
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});

test('as-of picks the newest snapshot at or before the moment', () => {
  const table: Array<[number, string | undefined]> = [
    [Date.UTC(2009, 0, 9, 1, 48), undefined],
    [Date.UTC(2009, 0, 9, 1, 49), '2009-01-09T01:49:00Z'],
    [Date.UTC(2009, 0, 9, 12), '2009-01-09T01:49:00Z'],
    [Date.UTC(2009, 0, 11), '2009-01-10T08:00:00Z'],
    [Date.UTC(2030, 0, 1), '2009-01-12T00:30:00Z'],
  ];
  for (const [time, expected] of table) assert.equal(snapshotAsOf(SNAPSHOTS, time)?.name, expected, String(time));
});

test('the top level lists latest, history, days with snapshots, then snapshots (utc)', () => {
  assert.deepEqual(topLevelNames(SNAPSHOTS, 'utc'), [
    'latest', 'history', '2009-01-09', '2009-01-10', '2009-01-12',
    '2009-01-09T01:49:00Z', '2009-01-09T23:10:00Z', '2009-01-10T08:00:00Z', '2009-01-12T00:30:00Z',
  ]);
  assert.deepEqual(topLevelNames([], 'utc'), []);
});

test('top-level names resolve to snapshots, aliases, history or nothing (utc)', () => {
  const table: Array<[string, string | undefined]> = [
    ['latest', 'alias:2009-01-12T00:30:00Z'],
    ['history', 'history'],
    ['2009-01-09', 'alias:2009-01-09T23:10:00Z'],
    ['2009-01-11', 'alias:2009-01-10T08:00:00Z'], // a day without a snapshot
    ['2010-06-01', 'alias:2009-01-12T00:30:00Z'],
    ['2009-01-08', undefined], // before the first snapshot
    ['2009-01-10T08:00:00Z', 'snapshot:2009-01-10T08:00:00Z'],
    ['2009-01-10T08:00:01Z', undefined],
    ['nonsense', undefined],
  ];
  for (const [name, expected] of table) {
    const entry = resolveTopLevel(SNAPSHOTS, name, 'utc');
    const shown = entry === undefined ? undefined
      : entry.kind === 'history' ? 'history'
        : entry.kind === 'alias' ? `alias:${entry.target.name}` : `snapshot:${entry.snapshot.name}`;
    assert.equal(shown, expected, name);
  }
});
