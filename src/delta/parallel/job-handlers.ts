/**
 * What a job does, wherever it runs (a worker thread, or the calling thread as one more lane):
 * signature entries of a block range, or the speculative match scan of a segment. Pure work.
 */
import { signatureEntries } from '../signature-builder.js';
import { loadSignature, type LoadedSignature } from '../signature-index.js';
import { createStrongHasher } from '../strong-hash.js';
import { emptyMatches, scanMatches } from '../window-scan.js';
import { scanContextOf } from '../delta-encoder.js';
import type { WorkerJob, WorkerReply, WorkerSetup } from './worker-protocol.js';

/** Runs one job and returns its reply (the job's buffer goes back with it). */
export type JobHandler = (job: WorkerJob) => WorkerReply;

/** Prepares a handler for `setup`; `loaded` spares parsing the signature again where it already is. */
export async function createJobHandler(setup: WorkerSetup, loaded?: LoadedSignature): Promise<JobHandler> {
  if (setup.mode === 'signature') {
    const { params } = setup;
    const hasher = await createStrongHasher(params.strong);
    return (job) => {
      if (job.kind !== 'signature') throw new Error(`unexpected ${job.kind} job`);
      return { id: job.id, kind: 'signature', entries: signatureEntries(job.data, params, hasher), data: job.data };
    };
  }
  const ctx = await scanContextOf(loaded ?? loadSignature(setup.signature));
  return (job) => {
    if (job.kind !== 'scan') throw new Error(`unexpected ${job.kind} job`);
    const matches = emptyMatches();
    const next = scanMatches(job.data, 0, job.limit, job.atEnd, ctx, matches);
    return { id: job.id, kind: 'scan', ...matches, next, data: job.data };
  };
}
