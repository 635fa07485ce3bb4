import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coversPorts, parseReservedPorts } from '../../../scripts/grid/port-reservation.js';

describe('reserved port ranges', () => {
  it('parses the kernel list of ranges and single ports', () => {
    assert.deepEqual(parseReservedPorts('47000-47099,50000\n'), [[47000, 47099], [50000, 50000]]);
    assert.deepEqual(parseReservedPorts('\n'), []);
  });

  it('a block is covered only when one range holds all of it', () => {
    const ranges = parseReservedPorts('47000-47099,47100-47199');
    assert.equal(coversPorts(ranges, 47000, 47099), true);
    assert.equal(coversPorts(ranges, 47010, 47020), true);
    assert.equal(coversPorts(ranges, 47050, 47150), false);
    assert.equal(coversPorts(ranges, 46999, 47010), false);
  });
});
