/**
 * The rdiff engine on several cores: signature and delta encoders that split the work over worker
 * threads when the input is large and there is more than one core, and otherwise run the
 * sequential engine on the calling thread. Either way the bytes are the same as `rdiff`'s.
 *
 * `TIMEFS_RDIFF_THREADS` sets the number of worker threads (0 or 1 = sequential; default: the
 * number of cores, at most 2).
 */
import { availableParallelism } from 'node:os';
import { isTimefsError } from '../../model/errors.js';
import { createDeltaEncoder, type DeltaEncoder } from '../delta-encoder.js';
import { createSignatureBuilder, type SignatureBuilder } from '../signature-builder.js';
import { resolveSignatureParams, type SignatureOptions, type SignatureParams } from '../signature-format.js';
import type { LoadedSignature } from '../signature-index.js';
import { createStrongHasher } from '../strong-hash.js';
import { parallelDelta, parallelSignature, type AsyncEncoder } from './parallel-encoders.js';
import { WorkerPool } from './worker-pool.js';
import type { WorkerSetup } from './worker-protocol.js';

export type { AsyncEncoder } from './parallel-encoders.js';

/** Inputs smaller than this stay on the calling thread: starting workers would cost more than they save. */
export const PARALLEL_MIN_BYTES = 24 << 20;

/** Worker threads to use: `TIMEFS_RDIFF_THREADS`, else the number of cores up to 2; below 2 means none. */
export function rdiffThreads(): number {
  const configured = process.env.TIMEFS_RDIFF_THREADS;
  const n = configured !== undefined && /^\d+$/.test(configured) ? Number(configured) : Math.min(2, availableParallelism());
  return n >= 2 ? Math.min(n, 16) : 0;
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
  const pool = await poolFor(threads, () => ({ mode: 'signature', params }));
  if (pool) return { params, ...parallelSignature(params, pool) };
  return { params, ...onThisThread(await createSignatureBuilder(options)) };
}

/** A delta encoder against `signature` (parsed from `signatureBytes`), on worker threads when that pays. */
export async function openDeltaEncoder(signatureBytes: Uint8Array, signature: LoadedSignature, threads: ThreadOptions = {}): Promise<AsyncEncoder> {
  const reuseOutput = threads.reuseOutput === true;
  const pool = signature.blockCount > 0 ? await poolFor(threads, () => ({ mode: 'delta', signature: signatureBytes })) : undefined;
  if (!pool) return onThisThread(await createDeltaEncoder(signature, { reuseOutput }));
  const hasher = await createStrongHasher(signature.params.strong);
  const ctx = {
    blockLength: signature.params.blockLength,
    rollsum: signature.params.weak === 'rollsum',
    index: signature.index,
    strong: (data: Uint8Array, start: number, length: number) => hasher.digest(data, start, length),
  };
  return parallelDelta(ctx, pool, threads.segmentLength === undefined ? { reuseOutput } : { reuseOutput, segmentLength: threads.segmentLength });
}

async function poolFor(threads: ThreadOptions, setup: () => WorkerSetup): Promise<WorkerPool | undefined> {
  const count = threads.threads ?? rdiffThreads();
  const size = threads.sizeHint;
  if (count < 1 || size === undefined || size < (threads.minParallelBytes ?? PARALLEL_MIN_BYTES)) return undefined;
  try {
    return await WorkerPool.start(count, setup());
  } catch (err) {
    if (isTimefsError(err, 'delta.worker')) return undefined; // no threads here: the sequential engine does the same work
    throw err;
  }
}

function onThisThread(encoder: SignatureBuilder | DeltaEncoder): AsyncEncoder {
  return {
    update: async (chunk) => encoder.update(chunk),
    finish: async () => encoder.finish(),
    close: async () => undefined,
    threads: 0,
  };
}
