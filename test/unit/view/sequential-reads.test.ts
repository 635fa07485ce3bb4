import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTimefsError } from '../../../src/model/errors.js';
import { SequentialReads } from '../../../src/view/sequential-reads.js';
import type { VersionHandle } from '../../../src/view/version-reader.js';

const KiB = 1024;

/** A handle over `data` that counts its random reads and its streams. */
function fakeHandle(data: Uint8Array, streamLimit = data.length) {
  const counts = { randomReads: 0, streams: 0, streamClosed: 0 };
  const handle: VersionHandle = {
    size: data.length, hash: undefined, place: { path: '/big', snapshot: 'S' }, storage: 'chain', chainLength: 2,
    read: async (offset, length) => {
      counts.randomReads++;
      return data.slice(offset, Math.min(data.length, offset + length));
    },
    stream: (chunkBytes) => {
      counts.streams++;
      return (async function* () {
        try {
          for (let at = 0; at < streamLimit; at += chunkBytes) yield data.subarray(at, Math.min(streamLimit, at + chunkBytes));
        } finally {
          counts.streamClosed++;
        }
      })();
    },
  };
  return { handle, counts };
}

const data = new Uint8Array(300 * KiB).map((_, i) => (i * 7 + (i >> 9)) & 0xff);
const options = { minSize: 64 * KiB, chunkBytes: 10 * KiB, keepBehind: 40 * KiB, reachAhead: 50 * KiB };

describe('SequentialReads', () => {
  it('serves a reader going through the file from its start from one flow, also a little out of order', async () => {
    const { handle, counts } = fakeHandle(data);
    const reads = new SequentialReads(handle, options);
    // the kernel's parallel read-ahead: two reads in flight, the later one asked first
    for (let at = 0; at < data.length; at += 32 * KiB) {
      const pair = at === 0 ? [at, at + 16 * KiB] : [at + 16 * KiB, at];
      const got = await Promise.all(pair.map((o) => reads.read(o, 16 * KiB)));
      for (const [i, o] of pair.entries()) assert.equal(Buffer.compare(got[i]!, data.subarray(o, o + 16 * KiB)), 0, `read at ${o}`);
    }
    assert.equal(counts.streams, 1);
    assert.equal(counts.randomReads, 0, 'no range reads');
    reads.close();
  });

  it('a seek far ahead ends the flow: that read and every later one are random access', async () => {
    const { handle, counts } = fakeHandle(data);
    const reads = new SequentialReads(handle, options);
    await reads.read(0, 10 * KiB);
    assert.equal(Buffer.compare(await reads.read(200 * KiB, 5 * KiB), data.subarray(200 * KiB, 205 * KiB)), 0, 'far ahead');
    assert.equal(counts.randomReads, 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(counts.streamClosed, 1, 'the flow stopped at the seek');
    assert.equal(Buffer.compare(await reads.read(10 * KiB, 10 * KiB), data.subarray(10 * KiB, 20 * KiB)), 0, 'back where the flow was');
    assert.equal(counts.randomReads, 2);
    assert.equal(counts.streams, 1, 'no second flow');
  });

  it('sends reads behind what it holds and small files to random access', async () => {
    const { handle, counts } = fakeHandle(data);
    const reads = new SequentialReads(handle, options);
    await reads.read(0, 10 * KiB);
    await reads.read(50 * KiB, 10 * KiB); // within reach: pulls the flow up to 60 KiB, keeping 40 KiB behind
    assert.equal(counts.randomReads, 0);
    assert.equal(Buffer.compare(await reads.read(0, 4 * KiB), data.subarray(0, 4 * KiB)), 0, 'behind what is kept');
    assert.equal(counts.randomReads, 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(counts.streamClosed, 1, 'a read behind ends the flow');

    const small = fakeHandle(data.subarray(0, 32 * KiB));
    await new SequentialReads(small.handle, options).read(0, 8 * KiB);
    assert.equal(small.counts.streams, 0);
  });

  it('fails a read with an integrity error when the flow ends early', async () => {
    const { handle } = fakeHandle(data, 100 * KiB);
    const reads = new SequentialReads(handle, options);
    await reads.read(0, 64 * KiB);
    await assert.rejects(reads.read(96 * KiB, 16 * KiB), (err) => isTimefsError(err, 'integrity') && err.message.includes('/big'));
  });
});
