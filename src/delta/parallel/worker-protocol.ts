/** Messages between the main thread and rdiff-worker.ts (structured-cloned; buffers transferred). */
import type { ErrorCode } from '../../model/errors.js';
import type { SignatureParams } from '../signature-format.js';

/**
 * What a worker prepares once, at start: signature parameters, or the signature to match against;
 * and the compiled WebAssembly kernels when the main thread has them (see wasm/kernels.ts).
 */
export type WorkerSetup = ({ mode: 'signature'; params: SignatureParams } | { mode: 'delta'; signature: Uint8Array }) & { kernels?: object | undefined };

/** One piece of work. */
export type WorkerJob =
  /** Signature entries of consecutive blocks of `data` (the last may be short). */
  | { id: number; kind: 'signature'; data: Uint8Array }
  /** Scan of `data` from 0 while below `limit` (see `scanMatches`). */
  | { id: number; kind: 'scan'; data: Uint8Array; limit: number; atEnd: boolean };

/** A worker's answer: `ready` once after setup, then one reply per job, in any order, by `id`. */
export type WorkerReply =
  | { id: number; kind: 'ready' }
  | { id: number; kind: 'signature'; entries: Uint8Array; data: Uint8Array }
  | { id: number; kind: 'scan'; positions: number[]; blocks: number[]; lengths: number[]; next: number; data: Uint8Array }
  | { id: number; kind: 'error'; code: ErrorCode; message: string };

/** A job as submitted, before the pool numbers it. */
export type WorkerRequest = WorkerJob extends infer J ? (J extends WorkerJob ? Omit<J, 'id'> : never) : never;
