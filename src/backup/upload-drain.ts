/**
 * Stage 2 of a push, driving: every queued upload job runs, {@link UPLOAD_JOBS} at once, also
 * while the scan is still writing jobs, so the client node has work from the first file on.
 */
import PQueue from 'p-queue';
import type { Catalog } from '../catalog/catalog.js';
import type { UploadJob } from '../catalog/records.js';
import { rdiffEngine } from './delta-engine.js';
import type { PushEvents, PushStats } from './events.js';
import { Packer } from './packer.js';
import { DEFAULT_POLICY } from './policy.js';
import type { PushOptions, PushTarget } from './push.js';
import { runJob, type JobContext } from './upload-job.js';

/** Upload jobs in flight at once: enough to keep the client node busy at 0 ms and to hide latency at 50 ms. */
export const UPLOAD_JOBS = 8;

/** A scan the upload queue is drained alongside. */
export interface ScanState {
  finished: boolean;
  failed: boolean;
  /** Set by the drain while it waits for the scan to write more jobs. */
  wake?: () => void;
}

/** How often the drain looks for jobs the scan has written meanwhile. */
const SCAN_POLL_MS = 100;

/**
 * Runs every queued job, {@link UPLOAD_JOBS} at once. With `scan`, jobs are taken while the scan
 * still writes them (each once its pending entry is in the catalog), and the rest after it ends;
 * if the scan fails, the jobs already started finish and nothing more is taken.
 */
export async function drainQueue(target: PushTarget, options: PushOptions, spoolDir: string, stats: PushStats, events: PushEvents, scan?: ScanState): Promise<void> {
  const concurrency = options.concurrency ?? UPLOAD_JOBS;
  const ctx: JobContext = {
    store: target.store,
    catalog: target.catalog,
    engine: target.engine ?? rdiffEngine,
    policy: { ...DEFAULT_POLICY, ...options.policy },
    spoolDir,
    stats,
    events,
  };
  // Jobs taken and not acked yet (in flight, or waiting in a pack): a later read of the queue
  // skips them. Acked jobs leave the queue, so this holds a few thousand keys, not the tree; a
  // job acked after the batch in hand was read is still in that batch, hence `ackedSinceRead`.
  const started = new Set<string>();
  let ackedSinceRead = new Set<string>();
  const acked = (key: Buffer): void => {
    const id = key.toString('latin1');
    if (started.delete(id)) ackedSinceRead.add(id);
  };
  const taken = (key: Buffer): boolean => started.has(key.toString('latin1')) || ackedSinceRead.has(key.toString('latin1'));
  const newBatch = (): void => { ackedSinceRead = new Set(); };
  if (options.pack !== false) ctx.packer = new Packer(target.store, target.catalog, stats, undefined, undefined, (keys) => keys.forEach(acked));
  const queue = new PQueue({ concurrency });
  let failure: unknown;
  const take = async (key: Buffer, job: UploadJob): Promise<void> => {
    started.add(key.toString('latin1'));
    await queue.onSizeLessThan(concurrency * 2);
    void queue.add(async () => {
      if (failure !== undefined) return;
      try {
        if ((await runJob(ctx, key, job)) === 'acked') acked(key);
        events.onProgress?.('upload', stats);
      } catch (err) {
        failure ??= err;
        queue.clear();
      }
    });
  };
  // A file's job is written when its directory is listed, its pending entry once the directory's
  // subtree is walked: jobs seen before their pending entry wait (few: the open directories').
  const waiting: Array<[Buffer, UploadJob]> = [];
  const takeWhenPending = async (key: Buffer, job: UploadJob): Promise<void> => {
    if ((await target.catalog.getPending(key)) === undefined) waiting.push([key, job]);
    else await take(key, job);
  };
  let after: Buffer | undefined;
  let seen = -1;
  while (scan && !scan.finished && failure === undefined) {
    if (target.catalog.flushes !== seen) {
      seen = target.catalog.flushes;
      for (const [key, job] of waiting.splice(0)) {
        if (failure !== undefined || scan.failed) break;
        await takeWhenPending(key, job);
      }
      for await (const [key, job] of queuedInBatches(target.catalog, newBatch, after)) {
        if (failure !== undefined || scan.failed) break;
        after = key;
        if (!taken(key)) await takeWhenPending(key, job);
      }
    }
    if (!scan.finished) await new Promise<void>((wake) => { scan.wake = wake; setTimeout(wake, SCAN_POLL_MS); });
  }
  waiting.length = 0;
  if (!scan?.failed) {
    for await (const [key, job] of queuedInBatches(target.catalog, newBatch)) {
      if (failure !== undefined) break;
      if (!taken(key)) await take(key, job);
    }
  }
  await queue.onIdle();
  started.clear();
  if (failure !== undefined) throw failure;
  await ctx.packer?.flush();
}

/** Queued jobs read per LevelDB iterator. */
const QUEUE_BATCH = 256;

/**
 * Queued jobs in key order after `after`, read a batch at a time (`onRead` is called as each
 * read starts: what was acked before it is not in the batch): an open LevelDB iterator pins
 * every memtable written while it lives, so holding one across the whole upload (every job
 * writes its result) kept ~2 KB per file in memory until the end.
 */
async function* queuedInBatches(catalog: Catalog, onRead: () => void, after?: Buffer): AsyncGenerator<[Buffer, UploadJob]> {
  let cursor = after;
  for (;;) {
    const batch: Array<[Buffer, UploadJob]> = [];
    onRead();
    for await (const entry of catalog.queued(cursor)) {
      batch.push(entry);
      if (batch.length >= QUEUE_BATCH) break;
    }
    if (batch.length === 0) return;
    cursor = batch.at(-1)![0];
    yield* batch;
    if (batch.length < QUEUE_BATCH) return;
  }
}
