// A file larger than 4 GiB, generated as a stream and never held in memory: signature, one-pass
// signature + delta (8-byte COPY fields) and patch through a random-access reader, with flat memory.
// MD4 keeps the run short; the kinds are covered byte for byte by the differential test.
// TIMEFS_LARGE_GIB overrides the size (default 4.25).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  checkDeltaMagic,
  concatBytes,
  createSignatureAndDelta,
  createSignatureBuilder,
  loadSignature,
  patchStream,
  readCommand,
  type BasisReader,
  type DeltaCommand,
} from '../../../src/delta/index.js';

const GIB = 2 ** 30;
const SIZE = Math.floor(Number(process.env.TIMEFS_LARGE_GIB ?? 4.25) * GIB);
const CHUNK = 1 << 20;

/** 1 MiB of seeded noise; generated chunk k is this template stamped with k every 4 KiB. */
const template = (() => {
  const t = new Uint8Array(CHUNK);
  let s = 0x2545f491;
  for (let i = 0; i < CHUNK; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    t[i] = s & 255;
  }
  return t;
})();

function basisChunk(k: number, out: Uint8Array): Uint8Array {
  out.set(template);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let j = 0; j < CHUNK; j += 4096) view.setUint32(j, k);
  return out;
}

const scratch = new Uint8Array(CHUNK);

/** Random access to the generated basis, into `out` (a new array if not given). */
function basisRead(offset: number, length: number, into?: Uint8Array): Uint8Array {
  const end = Math.min(SIZE, offset + length);
  const out = into ? into.subarray(0, Math.max(0, end - offset)) : new Uint8Array(Math.max(0, end - offset));
  for (let p = offset; p < end; ) {
    const k = Math.floor(p / CHUNK);
    const inChunk = p - k * CHUNK;
    const take = Math.min(CHUNK - inChunk, end - p);
    out.set(basisChunk(k, scratch).subarray(inChunk, inChunk + take), p - offset);
    p += take;
  }
  return out;
}

type Segment = { basis: [number, number] } | { literal: Uint8Array };
const literal = (n: number, fill: number) => ({ literal: new Uint8Array(n).fill(fill) });

/** The new file: an overwrite near the start, an insertion past 4 GiB, a deletion near the end, an append. */
const FOUR = 4 * GIB;
const segments: Segment[] = [
  { basis: [0, 100_000] },
  literal(1000, 1),
  { basis: [101_000, FOUR + CHUNK] },
  literal(777, 2),
  { basis: [FOUR + CHUNK, SIZE - 50_000] },
  { basis: [SIZE - 45_000, SIZE] },
  literal(12_345, 3),
];
const NEW_SIZE = segments.reduce((n, s) => n + ('basis' in s ? s.basis[1] - s.basis[0] : s.literal.length), 0);

async function* basisStream(): AsyncGenerator<Uint8Array> {
  const out = new Uint8Array(CHUNK);
  for (let k = 0; k * CHUNK < SIZE; k++) yield basisChunk(k, out).subarray(0, Math.min(CHUNK, SIZE - k * CHUNK));
}

async function* newStream(): AsyncGenerator<Uint8Array> {
  const out = new Uint8Array(CHUNK); // reused: each chunk is consumed before the next is made
  for (const s of segments) {
    if ('literal' in s) {
      yield s.literal;
      continue;
    }
    for (let p = s.basis[0]; p < s.basis[1]; ) {
      const take = Math.min(CHUNK - (p % CHUNK), s.basis[1] - p);
      yield basisRead(p, take, out);
      p += take;
    }
  }
}

/** Peak RSS, sampled by the passes. */
let peakRss = 0;
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
};

test(`a ${(SIZE / GIB).toFixed(2)} GiB file streams through signature, one-pass delta and patch in flat memory`, async (t) => {
  assert.ok(SIZE > FOUR + 2 * CHUNK, 'the file must exceed 4 GiB');
  global.gc?.();
  const baseline = process.memoryUsage.rss();
  let n = 0;
  let rssAfterWarmup = 0;

  // Pass 1: the basis signature.
  const builder = await createSignatureBuilder({ fileSize: SIZE, hash: 'md4' });
  const sigParts: Uint8Array[] = [];
  for await (const chunk of basisStream()) {
    sigParts.push(builder.update(chunk));
    if (++n % 64 === 0) sample();
  }
  sigParts.push(builder.finish());
  const signature = loadSignature(concatBytes(sigParts));
  sigParts.length = 0;
  assert.equal(signature.params.blockLength, Math.floor(Math.sqrt(SIZE)) & ~127);
  assert.equal(signature.blockCount, Math.ceil(SIZE / signature.params.blockLength));

  // Pass 2: the new file's signature and its delta, in one read; the new file's hash on the side.
  const onePass = await createSignatureAndDelta(signature, { fileSize: NEW_SIZE, hash: 'md4' });
  const deltaParts: Uint8Array[] = [];
  let newSigBytes = 0;
  const newHash = createHash('sha256');
  for await (const chunk of newStream()) {
    const out = onePass.update(chunk);
    deltaParts.push(out.delta);
    newSigBytes += out.signature.length;
    newHash.update(chunk);
    if (++n % 64 === 0) sample();
    if (rssAfterWarmup === 0 && n > 1024) rssAfterWarmup = peakRss;
  }
  const last = onePass.finish();
  deltaParts.push(last.delta);
  newSigBytes += last.signature.length;
  const delta = concatBytes(deltaParts);
  const newBlock = Math.floor(Math.sqrt(NEW_SIZE)) & ~127;
  assert.equal(newSigBytes, 12 + Math.ceil(NEW_SIZE / newBlock) * 20);
  assert.ok(delta.length < 2 * signature.params.blockLength * 6, `delta is small (${delta.length} bytes)`);

  // The delta needs 8-byte COPY fields: a copy longer than 4 GiB and one starting past 4 GiB.
  const copies: Extract<DeltaCommand, { op: 'copy' }>[] = [];
  checkDeltaMagic(delta);
  for (let p = 4; ; ) {
    const r = readCommand(delta, p);
    assert.ok(r);
    if (r.command.op === 'end') break;
    if (r.command.op === 'copy') copies.push(r.command);
    p = r.command.op === 'literal' ? r.command.dataOffset + r.command.length : r.next;
  }
  assert.ok(copies.some((c) => c.length > FOUR), 'a COPY longer than 4 GiB');
  assert.ok(copies.some((c) => c.position > FOUR), 'a COPY from past 4 GiB');
  assert.ok(delta.includes(0x54) || delta.includes(0x50) || delta.includes(0x4c), 'an N8 opcode is present');

  // Pass 3: patch through a random-access reader; the output hashes like the new file.
  const ring = [0, 1, 2].map(() => new Uint8Array(4 << 20));
  let turn = 0;
  const basis: BasisReader = {
    size: SIZE,
    read: async (offset, length) => basisRead(offset, length, length <= 4 << 20 ? ring[turn++ % 3] : undefined),
  };
  const outHash = createHash('sha256');
  let outBytes = 0;
  async function* deltaSource() {
    yield delta;
  }
  for await (const piece of patchStream(deltaSource(), basis, { reuseOutput: true })) {
    outHash.update(piece);
    outBytes += piece.length;
    if (++n % 16 === 0) sample();
  }
  assert.equal(outBytes, NEW_SIZE);
  assert.equal(outHash.digest('hex'), newHash.digest('hex'));

  // Memory stayed flat: the whole run grew RSS by far less than the file (generous bound).
  const grown = (peakRss - baseline) / 2 ** 20;
  t.diagnostic(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB, grown ${grown.toFixed(0)} MiB (${((peakRss - rssAfterWarmup) / 2 ** 20).toFixed(0)} MiB after the first GiB); delta ${delta.length} bytes, ${copies.length} COPY commands`);
  assert.ok(grown < 160, `RSS grew by ${grown.toFixed(0)} MiB over a ${(SIZE / GIB).toFixed(2)} GiB file`);
  // ... and did not keep growing with the file: the peak after 1 GiB is near the peak overall.
  const lateGrowth = (peakRss - rssAfterWarmup) / 2 ** 20;
  assert.ok(lateGrowth < 64, `RSS grew by ${lateGrowth.toFixed(0)} MiB after the first GiB`);
});
