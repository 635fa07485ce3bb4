/**
 * The rdiff engine on several cores: signature and delta encoders that split the work over worker
 * threads when the input is large and there is more than one core, and otherwise run the
 * sequential engine on the calling thread. Either way the bytes are the same as `rdiff`'s.
 *
 * `TIMEFS_RDIFF_THREADS` sets the number of threads that compute (0 or 1 = sequential; default:
 * 2 on a machine with 2 or more cores that is not already busy, see {@link rdiffThreads}). With N of them, N - 1 are workers and the calling thread,
 * which would otherwise only wait, takes every N-th job.
 */
import { availableParallelism, loadavg } from 'node:os';
import { isTimefsError } from '../../model/errors.js';
import { createDeltaEncoder, scanContextOf, type DeltaEncoder } from '../delta-encoder.js';
import { createSignatureBuilder, type SignatureBuilder } from '../signature-builder.js';
import { resolveSignatureParams, type SignatureOptions, type SignatureParams } from '../signature-format.js';
import type { LoadedSignature } from '../signature-index.js';
import { createJobHandler, type JobHandler } from './job-handlers.js';
import { parallelDelta, parallelSignature, type AsyncEncoder, type JobRunner } from './parallel-encoders.js';
import { compiledKernels } from '../wasm/kernels.js';
import { WorkerPool } from './worker-pool.js';
import type { WorkerJob, WorkerSetup } from './worker-protocol.js';

export type { AsyncEncoder } from './parallel-encoders.js';

/** Inputs smaller than this stay on the calling thread: starting workers would cost more than they save. */
export const PARALLEL_MIN_BYTES = 24 << 20;

/**
 * Threads to compute with: `TIMEFS_RDIFF_THREADS`, else the number of cores up to 2, or none when
 * the machine is already busy (1-minute load average at or above the number of cores): then no
 * core is idle, and a second thread only adds its start-up and JIT warm-up (~20-50 % more CPU).
 * Below 2 means none.
 */
export function rdiffThreads(): number {
  const configured = process.env.TIMEFS_RDIFF_THREADS;
  if (configured !== undefined && /^\d+$/.test(configured)) return Number(configured) >= 2 ? Math.min(Number(configured), 16) : 0;
  const cores = availableParallelism();
  return cores >= 2 && loadavg()[0]! < cores ? 2 : 0;
}

/** Options of the encoders below. */
export interface ThreadOptions {
  /** Size of the input if known; unknown or small inputs are encoded on the calling thread. */
  sizeHint?: number | undefined;
  /** Worker threads (default {@link rdiffThreads}); 0 = none. One is worth it only beside other work. */
  threads?: number;
  /** Smallest input split over threads (default {@link PARALLEL_MIN_BYTES}). */
  minParallelBytes?: number;
  /** Return views of one internal buffer (valid until the next call) instead of copies. */
  reuseOutput?: boolean;
  /** Delta segment length (default from the block length); small values are for tests. */
  segmentLength?: number;
}

/** A signature encoder (with its parameters), on worker threads when that pays. */
export async function openSignatureEncoder(options: SignatureOptions, threads: ThreadOptions = {}): Promise<AsyncEncoder & { params: SignatureParams }> {
  const params = resolveSignatureParams(options);
  const runner = await runnerFor(threads, { mode: 'signature', params });
  if (runner) return { params, ...parallelSignature(params, runner) };
  return { params, ...onThisThread(await createSignatureBuilder(options)) };
}

/** A delta encoder against `signature` (parsed from `signatureBytes`), on worker threads when that pays. */
export async function openDeltaEncoder(signatureBytes: Uint8Array, signature: LoadedSignature, threads: ThreadOptions = {}): Promise<AsyncEncoder> {
  const reuseOutput = threads.reuseOutput === true;
  const runner = signature.blockCount > 0 ? await runnerFor(threads, { mode: 'delta', signature: signatureBytes }, signature) : undefined;
  if (!runner) return onThisThread(await createDeltaEncoder(signature, { reuseOutput }));
  const ctx = await scanContextOf(signature);
  return parallelDelta(ctx, runner, threads.segmentLength === undefined ? { reuseOutput } : { reuseOutput, segmentLength: threads.segmentLength });
}

/**
 * Where the jobs run: with N >= 2 threads, N - 1 workers plus the calling thread (which would
 * otherwise wait; one worker fewer to start); with 1, one worker beside other work. Undefined
 * when the input is small or unknown, or workers cannot start.
 */
async function runnerFor(threads: ThreadOptions, setup: WorkerSetup, loaded?: LoadedSignature): Promise<JobRunner | undefined> {
  const count = threads.threads ?? rdiffThreads();
  const size = threads.sizeHint;
  if (count < 1 || size === undefined || size < (threads.minParallelBytes ?? PARALLEL_MIN_BYTES)) return undefined;
  let pool: WorkerPool;
  try {
    pool = WorkerPool.launch(Math.max(1, count - 1), { ...setup, kernels: await compiledKernels() });
    // With the calling thread as a lane, work starts at once and the workers join when they are up.
    if (count >= 2) return withCallingThread(pool, await createJobHandler(setup, loaded));
    await pool.ready;
  } catch (err) {
    if (isTimefsError(err, 'delta.worker')) return undefined; // no threads here: the sequential engine does the same work
    throw err;
  }
  return pool;
}

/** Jobs a worker holds (one running, one waiting) before the calling thread takes the next one. */
const WORKER_QUEUE = 2;

/**
 * Runs each job on a worker when one is up and has room, else at once on the calling thread: the
 * calling thread works while the workers boot (or when they cannot start at all), then takes the
 * jobs they have no room for.
 */
function withCallingThread(pool: WorkerPool, handle: JobHandler): JobRunner {
  return {
    size: pool.size + 1,
    run(job, transfer) {
      if (pool.accepting && pool.shortestQueue < WORKER_QUEUE) return pool.run(job, transfer);
      try {
        return Promise.resolve(handle({ ...job, id: 0 } as WorkerJob));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    close: () => pool.close(),
  };
}

function onThisThread(encoder: SignatureBuilder | DeltaEncoder): AsyncEncoder {
  return {
    update: async (chunk) => encoder.update(chunk),
    finish: async () => encoder.finish(),
    close: async () => undefined,
    threads: 0,
  };
}
