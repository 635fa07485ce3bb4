/**
 * What a job does, wherever it runs (a worker thread, or the calling thread as one more lane):
 * signature entries of a block range, or the speculative match scan of a segment. Pure work.
 */
import { createBlockSummer, signatureEntries } from '../signature-builder.js';
import { loadSignature, type LoadedSignature } from '../signature-index.js';
import { emptyMatches, scanMatches } from '../window-scan.js';
import { scanContextOf } from '../delta-encoder.js';
import { segmentDataLength, segmentLength } from '../segment-stitch.js';
import type { WorkerJob, WorkerReply, WorkerSetup } from './worker-protocol.js';

/** Blocks longer than this are summed in JavaScript (their segments would make a large arena). */
const MAX_KERNEL_BLOCK = 1 << 20;

/** Runs one job and returns its reply (the job's buffer goes back with it). */
export type JobHandler = (job: WorkerJob) => WorkerReply;

/** Prepares a handler for `setup`; `loaded` spares parsing the signature again where it already is. */
export async function createJobHandler(setup: WorkerSetup, loaded?: LoadedSignature): Promise<JobHandler> {
  if (setup.mode === 'signature') {
    const { params } = setup;
    const summer = await createBlockSummer(params);
    return (job) => {
      if (job.kind !== 'signature') throw new Error(`unexpected ${job.kind} job`);
      return { id: job.id, kind: 'signature', entries: signatureEntries(job.data, params, summer), data: job.data };
    };
  }
  const signature = loaded ?? loadSignature(setup.signature);
  const B = signature.params.blockLength;
  const ctx = await scanContextOf(signature, B <= MAX_KERNEL_BLOCK ? segmentDataLength(segmentLength(B), B) : 0);
  let arena = ctx.kernels?.arena();
  return (job) => {
    if (job.kind !== 'scan') throw new Error(`unexpected ${job.kind} job`);
    const matches = emptyMatches();
    let data = job.data;
    if (ctx.kernels && arena) {
      // A copy in the kernels' arena: the scan sums its blocks there.
      if (arena.length < data.length) arena = ctx.kernels.grow(data.length);
      arena.set(data);
      data = arena.subarray(0, data.length);
    }
    const next = scanMatches(data, 0, job.limit, job.atEnd, ctx, matches);
    return { id: job.id, kind: 'scan', ...matches, next, data: job.data };
  };
}
