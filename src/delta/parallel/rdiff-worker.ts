/**
 * Worker-thread entry of the parallel rdiff engine: prepares a job handler (job-handlers.ts),
 * says `ready`, then answers each job. The job's buffer is transferred back with the reply so the
 * main thread can reuse it. No file or network I/O.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isTimefsError } from '../../model/errors.js';
import { adoptKernels } from '../wasm/kernels.js';
import { createJobHandler } from './job-handlers.js';
import type { WorkerJob, WorkerReply, WorkerSetup } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('rdiff-worker must run in a worker thread');

try {
  const setup = workerData as WorkerSetup;
  if (setup.kernels) adoptKernels(setup.kernels);
  const handle = await createJobHandler(setup);
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

function failure(id: number, err: unknown): WorkerReply {
  if (isTimefsError(err)) return { id, kind: 'error', code: err.code, message: err.message };
  return { id, kind: 'error', code: 'delta.worker', message: `rdiff worker thread failed: ${(err as Error)?.message ?? String(err)}` };
}
