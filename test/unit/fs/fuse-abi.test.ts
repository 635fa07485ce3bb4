import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeBatchForget, decodeName, decodeRequest, encodeAttrOut, encodeDirents, encodeEntry, encodeInitReply,
  encodeInvalidateEntry, encodeReply, INIT_FLAG, type FuseAttr,
} from '../../../src/fs/kernel/fuse-abi.js';

const attr: FuseAttr = { ino: 2 ** 40 + 7, size: 5000, mode: 0o100644, nlink: 1, uid: 1000, gid: 100, rdev: 0, mtimeNs: 1231465740123456789n, blksize: 131072 };

test('a request header decodes field by field (fuse_in_header, 40 bytes)', () => {
  const bytes = Buffer.alloc(48);
  bytes.writeUInt32LE(48, 0);
  bytes.writeUInt32LE(1, 4);
  bytes.writeBigUInt64LE(77n, 8);
  bytes.writeBigUInt64LE(5n, 16);
  bytes.writeUInt32LE(1000, 24);
  bytes.writeUInt32LE(100, 28);
  bytes.writeUInt32LE(4242, 32);
  bytes.write('a\xffb\0', 40, 'latin1');
  const request = decodeRequest(bytes);
  assert.deepEqual({ ...request, body: undefined }, { opcode: 1, unique: 77n, nodeId: 5, uid: 1000, gid: 100, pid: 4242, body: undefined });
  assert.deepEqual([...decodeName(request.body)], [0x61, 0xff, 0x62], 'names are exact bytes up to the NUL');
});

test('an error reply is the bare header with a negative errno', () => {
  const reply = encodeReply(9n, 2);
  assert.equal(reply.length, 16);
  assert.equal(reply.readUInt32LE(0), 16);
  assert.equal(reply.readInt32LE(4), -2);
  assert.equal(reply.readBigUInt64LE(8), 9n);
});

test('entry and attr replies carry 64-bit inode numbers and nanosecond times', () => {
  const entry = encodeEntry(12, attr, 3600);
  assert.equal(entry.length, 128);
  assert.equal(entry.readBigUInt64LE(0), 12n);
  assert.equal(entry.readBigUInt64LE(16), 3600n);
  assert.equal(entry.readBigUInt64LE(40), BigInt(attr.ino));
  assert.equal(entry.readBigInt64LE(40 + 32), 1231465740n, 'mtime seconds');
  assert.equal(entry.readUInt32LE(40 + 52), 123456789, 'mtime nanoseconds');
  assert.equal(entry.readUInt32LE(40 + 60), 0o100644);
  const out = encodeAttrOut({ ...attr, mtimeNs: -1n }, 1);
  assert.equal(out.length, 104);
  assert.equal(out.readBigInt64LE(16 + 32), -1n, 'before 1970: floor of the seconds');
  assert.equal(out.readUInt32LE(16 + 52), 999_999_999);
});

test('readdir records are 8-byte aligned, resume by offset and never exceed the size asked', () => {
  const entries = ['.', '..', 'a', 'long-name-'.repeat(20), 'b'].map((name, i) => ({ name: Buffer.from(name), type: i < 2 ? 4 : 8, ino: 0xffffffff }));
  const all = encodeDirents(entries, 0, 1 << 16);
  let at = 0;
  const names: string[] = [];
  const offsets: bigint[] = [];
  while (at < all.length) {
    const length = all.readUInt32LE(at + 16);
    names.push(all.subarray(at + 24, at + 24 + length).toString());
    offsets.push(all.readBigUInt64LE(at + 8));
    at += (24 + length + 7) & ~7;
  }
  assert.deepEqual(names, entries.map((e) => e.name.toString()));
  assert.deepEqual(offsets, [1n, 2n, 3n, 4n, 5n]);
  const small = encodeDirents(entries, 2, 100);
  assert.ok(small.length <= 100 && small.length > 0);
  assert.equal(small.readUInt32LE(16), 1, 'starts at the offset asked');
  assert.equal(encodeDirents(entries, 5, 4096).length, 0, 'past the end: empty');
});

test('INIT keeps only the flags both sides want and never claims a newer protocol', () => {
  const reply = encodeInitReply({ major: 7, minor: 28, maxReadahead: 131072, flags: INIT_FLAG.ASYNC_READ | (1 << 3) }, 1 << 20, 256);
  assert.equal(reply.length, 64);
  assert.equal(reply.readUInt32LE(4), 28);
  assert.equal(reply.readUInt32LE(8), 131072);
  assert.equal(reply.readUInt32LE(12), INIT_FLAG.ASYNC_READ);
  assert.equal(reply.readUInt16LE(28), 256);
});

test('batch forget and entry invalidation encode as the kernel reads them', () => {
  const body = Buffer.alloc(8 + 32);
  body.writeUInt32LE(2, 0);
  body.writeBigUInt64LE(5n, 8);
  body.writeBigUInt64LE(1n, 16);
  body.writeBigUInt64LE(6n, 24);
  body.writeBigUInt64LE(3n, 32);
  assert.deepEqual(decodeBatchForget(body), [{ nodeId: 5, count: 1 }, { nodeId: 6, count: 3 }]);
  const notice = encodeInvalidateEntry(7, Buffer.from([0x72, 0xe9]));
  assert.equal(notice.readInt32LE(4), 3, 'FUSE_NOTIFY_INVAL_ENTRY');
  assert.equal(notice.readBigUInt64LE(8), 0n, 'notifications have unique 0');
  assert.equal(notice.readBigUInt64LE(16), 7n);
  assert.equal(notice.readUInt32LE(24), 2);
  assert.deepEqual([...notice.subarray(32)], [0x72, 0xe9, 0]);
});
