/**
 * Worker-thread entry of the parallel rdiff engine: signature entries of block ranges, or the
 * speculative match scan of a segment of the new file. Pure work: no file or network I/O.
 * The job's buffer is transferred back with the reply so the main thread can reuse it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isTimefsError } from '../../model/errors.js';
import { signatureEntries } from '../signature-builder.js';
import { loadSignature } from '../signature-index.js';
import { createStrongHasher } from '../strong-hash.js';
import { emptyMatches, scanMatches, type ScanContext } from '../window-scan.js';
import type { WorkerJob, WorkerReply, WorkerSetup } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('rdiff-worker must run in a worker thread');

const setup = workerData as WorkerSetup;

try {
  const handle = setup.mode === 'signature' ? await signatureJobs(setup.params) : await scanJobs(setup.signature);
  port.on('message', (job: WorkerJob) => {
    let reply: WorkerReply;
    try {
      reply = handle(job);
    } catch (err) {
      reply = failure(job.id, err);
    }
    port.postMessage(reply, 'data' in reply ? [reply.data.buffer as ArrayBuffer] : []);
  });
  port.postMessage({ id: 0, kind: 'ready' } satisfies WorkerReply);
} catch (err) {
  port.postMessage(failure(0, err));
}

async function signatureJobs(params: Extract<WorkerSetup, { mode: 'signature' }>['params']): Promise<(job: WorkerJob) => WorkerReply> {
  const hasher = await createStrongHasher(params.strong);
  return (job) => {
    if (job.kind !== 'signature') throw new Error(`unexpected ${job.kind} job`);
    return { id: job.id, kind: 'signature', entries: signatureEntries(job.data, params, hasher), data: job.data };
  };
}

async function scanJobs(signatureBytes: Uint8Array): Promise<(job: WorkerJob) => WorkerReply> {
  const signature = loadSignature(signatureBytes);
  const hasher = await createStrongHasher(signature.params.strong);
  const ctx: ScanContext = {
    blockLength: signature.params.blockLength,
    rollsum: signature.params.weak === 'rollsum',
    index: signature.index,
    strong: (data, start, length) => hasher.digest(data, start, length),
  };
  return (job) => {
    if (job.kind !== 'scan') throw new Error(`unexpected ${job.kind} job`);
    const matches = emptyMatches();
    const next = scanMatches(job.data, 0, job.limit, job.atEnd, ctx, matches);
    return { id: job.id, kind: 'scan', ...matches, next, data: job.data };
  };
}

function failure(id: number, err: unknown): WorkerReply {
  if (isTimefsError(err)) return { id, kind: 'error', code: err.code, message: err.message };
  return { id, kind: 'error', code: 'delta.worker', message: `rdiff worker thread failed: ${(err as Error)?.message ?? String(err)}` };
}
