/**
 * The spool: a directory of files waiting for upload (signatures, deltas, temporary copies, the
 * index text and the new directories' listings while a push writes its index).
 * Files are written under a temporary name, fsynced, then renamed to their content hash, so a
 * crash leaves either nothing or a complete file; each is deleted once its upload is recorded.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export { SpillSink } from '../store/spill-sink.js';

/** Removes leftovers of a crashed push (everything in the spool is re-derivable from the queue). */
export async function cleanSpool(spoolDir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(spoolDir);
  } catch {
    return;
  }
  for (const name of names) await rm(join(spoolDir, name), { force: true, recursive: true });
}
