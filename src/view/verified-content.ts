/**
 * An open version as the mount reads it: a chain-reader {@link VersionHandle}, read from its
 * in-order flow where the reads go through it from the start ({@link SequentialReads}), whose
 * sequential pass to the end is hash-checked (read-model's {@link SequentialHashCheck}). A mismatch fails the
 * read that completes the pass with `integrity` (EIO in the mount) and reports it once.
 */
import { isTimefsError } from '../model/errors.js';
import { SequentialHashCheck } from './hash-check.js';
import type { FileContent } from './mount-source.js';
import { SequentialReads } from './sequential-reads.js';
import type { VersionHandle } from './version-reader.js';

/** Wraps `handle` so that a complete sequential read is checked against its recorded hash. */
export function verifiedContent(handle: VersionHandle, onMismatch: (err: Error) => void, sequentialMinBytes?: number): FileContent {
  const check = new SequentialHashCheck(handle.size, handle.hash, handle.place);
  // Once the content is known to be bad every later read fails too: the kernel retries a failed
  // read-ahead page by page, and a retry that succeeded would put bad bytes into its page cache.
  let failure: Error | undefined;
  const reads = new SequentialReads(handle, sequentialMinBytes === undefined ? {} : { minSize: sequentialMinBytes });
  return {
    size: handle.size,
    async read(offset, length, signal) {
      if (failure) throw failure;
      const bytes = await reads.read(offset, length, signal ? { signal } : {});
      if (failure) throw failure;
      try {
        await check.update(offset, bytes);
      } catch (err) {
        if (isTimefsError(err, 'integrity')) {
          failure = err;
          onMismatch(err);
        }
        throw err;
      }
      return bytes;
    },
    close() {
      reads.close();
    },
  };
}
