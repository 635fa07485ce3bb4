// The one-pass operation equals a separate signature and delta; output never depends on chunking;
// the delta encoder's working memory stays bounded by the literal limit and the block length.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  concatBytes,
  createDeltaEncoder,
  createSignatureAndDelta,
  deltaOf,
  loadSignature,
  MAX_LITERAL_RUN,
  memoryBasis,
  patchBytes,
  patchStream,
  signatureOf,
} from '../../../src/delta/index.js';
import { noise } from '../../helpers/noise.js';

const old = noise(200_000, 1);
const next = concatBytes([old.subarray(0, 50_000), noise(70_000, 2), old.subarray(60_000), noise(333, 3)]);

test('one pass gives the same signature and delta as two separate passes, for any chunking', async () => {
  const oldSig = await signatureOf(old);
  const expectedSig = await signatureOf(next);
  const expectedDelta = await deltaOf(oldSig, next);
  for (const size of [1 << 20, 4096, 1000, 1]) {
    const onePass = await createSignatureAndDelta(loadSignature(oldSig), { fileSize: next.length });
    const outs = [];
    for (let p = 0; p < next.length; p += size) outs.push(onePass.update(next.subarray(p, p + size)));
    outs.push(onePass.finish());
    assert.deepEqual(concatBytes(outs.map((o) => o.signature)), expectedSig, `signature, chunks of ${size}`);
    assert.deepEqual(concatBytes(outs.map((o) => o.delta)), expectedDelta, `delta, chunks of ${size}`);
  }
  assert.deepEqual(await patchBytes(old, expectedDelta), next);
});

test('a 70 000-byte run of new data becomes literals of at most 32 768 bytes, emitted as it streams', async () => {
  const encoder = await createDeltaEncoder(loadSignature(await signatureOf(old)));
  let maxOutput = 0;
  const parts: Uint8Array[] = [];
  for (let p = 0; p < next.length; p += 8192) {
    const out = encoder.update(next.subarray(p, p + 8192));
    maxOutput = Math.max(maxOutput, out.length);
    parts.push(out);
  }
  parts.push(encoder.finish());
  // Output is released as the scan goes: no step holds more than one literal run plus a chunk.
  assert.ok(maxOutput <= MAX_LITERAL_RUN + 8192 + 64, `largest step output ${maxOutput}`);
  const delta = concatBytes(parts);
  assert.deepEqual(await patchBytes(old, delta), next);
  assert.ok(delta.length < 80_000, `delta ${delta.length} bytes`);
});

test('reused output buffers (for streaming writers) give the same delta and patch bytes', async () => {
  const sig = await signatureOf(old);
  const expected = await deltaOf(sig, next);
  const encoder = await createDeltaEncoder(loadSignature(sig), { reuseOutput: true });
  const copies: Uint8Array[] = [];
  for (let p = 0; p < next.length; p += 5000) copies.push(encoder.update(next.subarray(p, p + 5000)).slice());
  copies.push(encoder.finish().slice());
  assert.deepEqual(concatBytes(copies), expected);
  const pieces: Uint8Array[] = [];
  async function* deltaChunks() {
    for (let p = 0; p < expected.length; p += 777) yield expected.subarray(p, p + 777);
  }
  for await (const piece of patchStream(deltaChunks(), memoryBasis(old), { reuseOutput: true })) pieces.push(piece.slice());
  assert.deepEqual(concatBytes(pieces), next);
});

test('one pass hashes each unchanged block once when both sides use the same block length', async () => {
  const { createStrongHasher } = await import('../../../src/delta/strong-hash.js');
  const hasher = await createStrongHasher('blake2'); // the shared instance the engine uses
  const original = hasher.digest;
  let calls = 0;
  (hasher as { digest: typeof original }).digest = (data, start, length) => {
    calls++;
    return original(data, start, length);
  };
  try {
    const sig = loadSignature(await signatureOf(old));
    const edited = old.slice();
    edited[100_000] = (edited[100_000] as number) ^ 0xff; // an in-place change keeps the blocks aligned
    const onePass = await createSignatureAndDelta(sig, { fileSize: edited.length });
    calls = 0;
    const outs = [onePass.update(edited), onePass.finish()];
    const blocks = Math.ceil(edited.length / sig.params.blockLength);
    assert.ok(calls <= blocks + 4, `${calls} strong hashes for ${blocks} blocks`);
    assert.deepEqual(concatBytes(outs.map((o) => o.delta)), await deltaOf(await signatureOf(old), edited));
    assert.deepEqual(concatBytes(outs.map((o) => o.signature)), await signatureOf(edited));
  } finally {
    (hasher as { digest: typeof original }).digest = original;
  }
});
