/**
 * The push's view of the rdiff engine (src/delta): a streaming signature builder and a streaming
 * delta encoder against a loaded signature, both fed the same chunks in one pass over the file.
 * Large files are encoded on worker threads (src/delta/parallel); when a pass builds both, the
 * threads are shared out between them.
 */
import { loadSignature } from '../delta/index.js';
import { openDeltaEncoder, openSignatureEncoder, rdiffThreads, type AsyncEncoder } from '../delta/parallel/index.js';

/** Consumes a file's chunks and produces output bytes as it goes; `close` releases its threads. */
export type StreamEncoder = AsyncEncoder;

/** What the uploader needs from the rdiff engine. */
export interface DeltaEngine {
  /**
   * A signature encoder for a file of `fileSize` bytes with the given block and strong-sum
   * lengths; `withDelta` when the same pass also encodes a delta.
   */
  signature(fileSize: number, blockLength: number, strongLength: number, withDelta?: boolean): Promise<StreamEncoder>;
  /** A delta encoder against the signature `sig` (whole signature file bytes) for a file of about `fileSize` bytes. */
  delta(sig: Uint8Array, fileSize?: number, withSignature?: boolean): Promise<StreamEncoder>;
}

/** Worker threads for one encoder: all of them, or half each when a pass runs two encoders. */
function threadsFor(shared: boolean | undefined): number {
  const total = rdiffThreads();
  return shared ? Math.floor(total / 2) : total;
}

/** The engine backed by src/delta: byte-identical to librsync 2.3.2's rdiff. */
export const rdiffEngine: DeltaEngine = {
  async signature(fileSize, blockLength, strongLength, withDelta) {
    return openSignatureEncoder({ fileSize, blockLength, strongLength }, { sizeHint: fileSize, threads: threadsFor(withDelta) });
  },
  async delta(sig, fileSize, withSignature) {
    return openDeltaEncoder(sig, loadSignature(sig), { sizeHint: fileSize, threads: threadsFor(withSignature) });
  },
};
