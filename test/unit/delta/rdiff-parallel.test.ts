// The split scan: `locate` and `stitchSegment` on hand-made cases, and the parallel signature and
// delta (jobs run in-process here) equal to the sequential engine for tiny segments, edge block
// lengths, every signature kind, repeated blocks and matches straddling segment boundaries.
// Real worker threads and real `rdiff` are in test/integration/delta/rdiff-parallel.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concatBytes, deltaOf, loadSignature, patchBytes, signatureOf, type SignatureOptions } from '../../../src/delta/index.js';
import { parallelDelta, parallelSignature, type JobRunner } from '../../../src/delta/parallel/parallel-encoders.js';
import type { WorkerReply, WorkerRequest } from '../../../src/delta/parallel/worker-protocol.js';
import { locate, segmentDataLength, stitchSegment } from '../../../src/delta/segment-stitch.js';
import { createBlockSummer, signatureEntries } from '../../../src/delta/signature-builder.js';
import { resolveSignatureParams } from '../../../src/delta/signature-format.js';
import { createStrongHasher } from '../../../src/delta/strong-hash.js';
import { scanContextOf } from '../../../src/delta/delta-encoder.js';
import { emptyMatches, scanMatches, type ScanContext } from '../../../src/delta/window-scan.js';
import { noise } from '../../helpers/noise.js';

function contextOf(sig: Uint8Array): Promise<ScanContext> {
  return scanContextOf(loadSignature(sig));
}

/** Runs worker jobs in this thread, answering in a shuffled order as real workers may. */
async function inProcessRunner(sig: Uint8Array | undefined, options: SignatureOptions): Promise<JobRunner & { jobs: number }> {
  const ctx = sig ? await contextOf(sig) : undefined;
  const params = resolveSignatureParams(options);
  const summer = await createBlockSummer(params);
  let tick = 0;
  const runner = {
    size: 2,
    jobs: 0,
    async run(job: WorkerRequest): Promise<WorkerReply> {
      runner.jobs++;
      for (let i = (tick++ * 7) % 3; i > 0; i--) await new Promise((resolve) => setImmediate(resolve));
      if (job.kind === 'signature') return { id: 0, kind: 'signature', entries: signatureEntries(job.data, params, summer), data: job.data };
      const matches = emptyMatches();
      const next = scanMatches(job.data, 0, job.limit, job.atEnd, ctx as ScanContext, matches);
      return { id: 0, kind: 'scan', ...matches, next, data: job.data };
    },
    close: async () => undefined,
  };
  return runner;
}

async function parallelDeltaOf(sig: Uint8Array, data: Uint8Array, segmentLength: number, chunk: number): Promise<{ delta: Uint8Array; jobs: number }> {
  const runner = await inProcessRunner(sig, {});
  const encoder = parallelDelta(await contextOf(sig), runner, { segmentLength });
  const parts: Uint8Array[] = [];
  for (let p = 0; p < data.length; p += chunk) parts.push(await encoder.update(data.subarray(p, p + chunk)));
  parts.push(await encoder.finish());
  await encoder.close();
  return { delta: concatBytes(parts), jobs: runner.jobs };
}

test('locate tells a visited position from one inside a matched window', () => {
  const spec = { positions: [0, 10, 30], blocks: [0, 1, 2], lengths: [8, 8, 8] };
  assert.deepEqual(locate(spec, 0), { inside: -1, next: 0 });
  assert.deepEqual(locate(spec, 5), { inside: 0, next: 1 });
  assert.deepEqual(locate(spec, 8), { inside: -1, next: 1 }); // right after a window: visited
  assert.deepEqual(locate(spec, 10), { inside: -1, next: 1 });
  assert.deepEqual(locate(spec, 17), { inside: 1, next: 2 });
  assert.deepEqual(locate(spec, 20), { inside: -1, next: 2 });
  assert.deepEqual(locate(spec, 40), { inside: -1, next: 3 });
  assert.deepEqual(locate(emptyMatches(), 3), { inside: -1, next: 0 });
});

test('stitching re-scans from inside a speculative match until the two scans meet', async () => {
  const B = 16;
  const basis = noise(B * 8, 5);
  const ctx = await contextOf(await signatureOf(basis, { blockLength: B }));
  // The new file is the basis shifted by 3: the true scan (entering at 0) misses 0..2, then matches at 3, 19, ...
  const data = concatBytes([noise(3, 6), basis]);
  const length = 64;
  const view = data.subarray(0, segmentDataLength(length, B));
  const spec = emptyMatches();
  const specNext = scanMatches(view, 0, length, false, ctx, spec);
  const segment = { start: 0, length, data: view, atEnd: false, spec, specNext };
  // Entering in step (at 0): the speculative scan is the true one.
  const inStep = stitchSegment(segment, 0, ctx);
  assert.deepEqual(inStep.matches.positions, [3, 19, 35, 51]);
  assert.equal(inStep.next, 67);
  // Entering at 5 (a previous match ended there): inside the window matched at 3, re-scan to 19.
  const late = stitchSegment(segment, 5, ctx);
  assert.deepEqual(late.matches.positions, [19, 35, 51]);
  // Entering beyond the segment: nothing here, carry the position on.
  assert.deepEqual(stitchSegment(segment, 70, ctx), { matches: emptyMatches(), next: 70 });
});

test('parallel signature equals the sequential one for every kind, block length and chunking', async () => {
  const data = noise(70_001, 7);
  for (const options of [
    { blockLength: 1 },
    { blockLength: 127, hash: 'md4' as const },
    { blockLength: 4096, rollsum: 'rollsum' as const, strongLength: 8 },
    { fileSize: data.length },
    { blockLength: 100_000 }, // one short block
  ]) {
    const expected = await signatureOf(data, options);
    const runner = await inProcessRunner(undefined, options);
    const encoder = parallelSignature(resolveSignatureParams(options), runner);
    const parts: Uint8Array[] = [];
    for (let p = 0; p < data.length; p += 9999) parts.push(await encoder.update(data.subarray(p, p + 9999)));
    parts.push(await encoder.finish());
    assert.deepEqual(concatBytes(parts), expected, JSON.stringify(options));
  }
});

test('parallel delta equals the sequential one across segment boundaries, edge block lengths and kinds', async () => {
  const basis = noise(60_000, 11);
  const zeros = new Uint8Array(20_000);
  const cases: { name: string; options: SignatureOptions; next: Uint8Array }[] = [];
  // Shifted by one byte: every match straddles some boundary of 1000-byte segments.
  const shifted = concatBytes([Uint8Array.of(9), basis.subarray(0, 30_000), noise(50_000, 12), basis.subarray(29_000), Uint8Array.of(1, 2)]);
  for (const blockLength of [1, 2, 63, 256, 999, 1000, 1001, 4096, 70_000]) {
    cases.push({ name: `shifted, B=${blockLength}`, options: { blockLength }, next: shifted });
  }
  cases.push({ name: 'rollsum + md4', options: { blockLength: 333, rollsum: 'rollsum', hash: 'md4' }, next: shifted });
  cases.push({ name: 'short strong sums', options: { blockLength: 64, strongLength: 2 }, next: shifted });
  cases.push({ name: 'identical', options: { blockLength: 700 }, next: basis });
  cases.push({ name: 'tail block only', options: { blockLength: 700 }, next: basis.subarray(60_000 - 500) });
  // Repeated blocks: every position matches, so a scan out of step never meets the true one.
  cases.push({ name: 'zeros against zeros, off by 3', options: { blockLength: 256 }, next: concatBytes([Uint8Array.of(1, 2, 3), zeros]) });
  cases.push({ name: 'zeros, B=1', options: { blockLength: 1 }, next: concatBytes([Uint8Array.of(7), zeros.subarray(0, 5000)]) });
  cases.push({ name: 'empty new file', options: { blockLength: 64 }, next: new Uint8Array(0) });
  for (const c of cases) {
    const old = c.name.startsWith('zeros') ? zeros : basis;
    const sig = await signatureOf(old, c.options);
    const expected = await deltaOf(sig, c.next);
    for (const [segmentLength, chunk] of [
      [1000, 777],
      [4093, 1 << 16],
    ] as const) {
      const { delta, jobs } = await parallelDeltaOf(sig, c.next, segmentLength, chunk);
      assert.deepEqual(delta, expected, `${c.name}, segments of ${segmentLength}`);
      if (c.next.length > 2 * (segmentLength + (sig.length > 12 ? loadSignature(sig).params.blockLength : 0))) {
        assert.ok(jobs > 1, `${c.name}: the scan was split (${jobs} jobs)`);
      }
    }
    assert.deepEqual(await patchBytes(old, expected), c.next, c.name);
  }
});
