/**
 * The reads of a restore: every pack object once, in runs of up to a whole pack (pack-runs.ts),
 * its members hash-checked and written straight out of that buffer; files stored on their own
 * streamed (large ones in large ranges, one at a time); symlink targets stored on their own
 * (packed ones come out of their pack's runs). A few requests in
 * flight, and the bytes held (read and not yet written) bounded by {@link RESTORE_READS}, whatever
 * the tree's size. A request slot is free again as soon as its bytes are in: writing them out
 * never keeps the node waiting.
 */
import PQueue from 'p-queue';
import { isTimefsError } from '../model/errors.js';
import type { CallOptions } from '../store/store.js';
import type { VersionReader } from '../view/version-reader.js';
import type { Store } from '../store/store.js';
import { planPackRuns, PACK_RUN_LIMITS, type PackMember, type PackRun } from './pack-runs.js';
import { ByteBudget } from './byte-budget.js';
import { forEachLimited } from './limited.js';
import type { LocalPlace, LocalTree } from './restore-local.js';
import type { RestorePlace } from './restore-walk.js';
import { verifyContent } from './version-bytes.js';
import { readWholeVersion } from './whole-stream.js';

/**
 * Requests in flight, and bytes held at once: runs read but not yet written, and the ranges a
 * streamed file keeps ahead. A single read larger than the bound runs alone.
 */
export const RESTORE_READS = { requests: 6, heldBytes: 32 << 20 } as const;
/** Packed files larger than this are streamed in ranges on their own instead of read within a run. */
const RUN_MEMBER_MAX = 4 << 20;
/**
 * Packed files waiting for their pack to be read, at most: beyond that, the pack added to least
 * recently is read with the members it has (a later member of it costs another request), so
 * what a restore holds does not grow with the tree.
 */
const HELD_MEMBERS = 4096;
/**
 * Longest pack run: a whole pack (packs are at most 8 MiB). Each request costs the client node
 * about 10 ms of CPU whatever its size, which is what bounds a restore at RTT 0.
 */
const RUN_MAX = 8 << 20;
/**
 * Streamed files: ranges of 4 MiB, 2 ahead; those above 16 MiB in 8 MiB ranges, 3 ahead (32 MiB
 * held, within {@link RESTORE_READS}; on a remote grid the third range in flight hides the
 * latency), one file at a time.
 */
const STREAM = { rangeBytes: 4 << 20, rangesAhead: 2 } as const;
const LARGE_FILE = { minBytes: 16 << 20, rangeBytes: 8 << 20, rangesAhead: 3 } as const;
/** Members of one run being written at once. */
const MEMBER_WRITES = 8;

/** What the reads need. */
export interface ContentSource {
  store: Store;
  versions: VersionReader;
  /** Snapshot name, for messages. */
  snapshot: string;
}

/** Reads contents and writes them through a {@link LocalTree}; see the file comment. */
export class ContentReader {
  private readonly requests = new PQueue({ concurrency: RESTORE_READS.requests });
  private readonly largeFiles = new PQueue({ concurrency: 1 });
  private readonly budget = new ByteBudget(RESTORE_READS.heldBytes);
  private readonly packs = new Map<string, Array<PackMember<LocalPlace>>>();
  private heldMembers = 0;
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  /**
   * @param onDone called after each file or symlink is created
   * @param onDamaged called for a file left out because its stored data is damaged
   */
  constructor(
    private readonly source: ContentSource,
    private readonly local: LocalTree,
    private readonly hooks: { onDone: (place: LocalPlace) => void; onDamaged: (place: LocalPlace, message: string) => void },
    private readonly call: CallOptions,
  ) {}

  /** Takes a file or symlink: packed files wait for {@link readPacks}, the rest are read now. */
  add(place: RestorePlace): void {
    const m = place.meta;
    if (m.type === 'symlink' && m.storage !== 'packed') {
      this.start(0, () => this.symlink(place));
      return;
    }
    // Packed files and long symlink targets come out of their pack's runs.
    if (m.storage === 'packed' && (m.size <= RUN_MEMBER_MAX || m.type === 'symlink')) {
      const cap = place.entry.cap;
      const list = this.packs.get(cap) ?? [];
      // Only what writing needs is kept (not the tree entry); the pack last added to goes last.
      list.push({ offset: m.pack?.offset ?? 0, size: m.size, item: { dest: place.dest, meta: m, shown: place.shown } });
      this.packs.delete(cap);
      this.packs.set(cap, list);
      if (++this.heldMembers > HELD_MEMBERS) this.readPack(this.packs.keys().next().value!);
      return;
    }
    this.stream(place);
  }

  /** Streams one file now (also the fallback for a hard link whose first name is damaged). */
  stream(place: RestorePlace): void {
    const m = place.meta;
    const large = m.size > LARGE_FILE.minBytes;
    const limits = large ? LARGE_FILE : STREAM;
    // A short chain is rebuilt in memory (about twice its size); other reads hold their ranges ahead.
    const held = m.storage === 'chain' ? 2 * m.size : Math.min(m.size, limits.rangeBytes * (limits.rangesAhead + 1));
    const read = async () => {
      const chunks = readWholeVersion(this.source.store, this.source.versions, place.entry, { path: place.shown, snapshot: this.source.snapshot }, { ...this.call, chunkSize: limits.rangeBytes, readAhead: limits.rangesAhead });
      try {
        await this.local.writeChunks(place, chunks);
      } catch (err) {
        this.damaged(place, err);
        return;
      }
      this.hooks.onDone(place);
    };
    this.start(held, large ? () => this.largeFiles.add(read) : read);
  }

  /** Reads every pack collected so far, in runs. */
  readPacks(): void {
    for (const cap of [...this.packs.keys()]) this.readPack(cap);
  }

  /** Waits for every read and write started; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    if (this.failure) throw this.failure.error;
  }

  /** Stops starting reads after a failure elsewhere (queued ones return at once). */
  stop(error: unknown): void {
    this.failure ??= { error };
  }

  private start(bytes: number, work: () => Promise<void>): void {
    this.track((async () => {
      await this.budget.acquire(bytes);
      try {
        await this.requests.add(async () => {
          if (!this.failure) await work();
        });
      } finally {
        this.budget.release(bytes);
      }
    })());
  }

  /** Reads the members of the pack `cap` collected so far (more may come: they are read later). */
  private readPack(cap: string): void {
    const members = this.packs.get(cap)!;
    this.packs.delete(cap);
    this.heldMembers -= members.length;
    for (const run of planPackRuns(members, { ...PACK_RUN_LIMITS, maxRun: RUN_MAX })) {
      this.track((async () => {
        await this.budget.acquire(run.length);
        await this.readRun(cap, run);
      })());
    }
  }

  /** Reads one run and writes its members; gives back its bytes to the budget. */
  private async readRun(cap: string, run: PackRun<LocalPlace>): Promise<void> {
    try {
      let bytes: Uint8Array | undefined;
      try {
        bytes = await this.requests.add(async () => (this.failure ? undefined : await this.source.store.getRange(cap, run.start, run.length, this.call)));
      } catch (err) {
        for (const m of run.members) this.damaged(m.item, err);
        return;
      }
      if (!bytes) return;
      // Members are written a few at a time: each create waits for the file system in the thread pool.
      await forEachLimited(run.members, MEMBER_WRITES, async (m) => {
        if (this.failure) return;
        const content = bytes.subarray(m.offset - run.start, m.offset - run.start + m.size);
        try {
          await verifyContent(content, m.item.meta, `${m.item.shown} in snapshot ${this.source.snapshot}`);
        } catch (err) {
          this.damaged(m.item, err);
          return;
        }
        if (m.item.meta.type === 'symlink') this.local.makeSymlink(m.item, content);
        else await this.local.writeWhole(m.item, content);
        this.hooks.onDone(m.item);
      });
    } finally {
      this.budget.release(run.length);
    }
  }

  private async symlink(place: RestorePlace): Promise<void> {
    this.local.makeSymlink(place, await this.source.store.get(place.entry.cap, this.call));
    this.hooks.onDone(place);
  }

  private damaged(place: LocalPlace, err: unknown): void {
    if (!isTimefsError(err, 'integrity', 'grid.gone') && !(isTimefsError(err) && err.code.startsWith('delta.'))) throw err;
    this.hooks.onDamaged(place, err.message);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.stop(error)).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }
}
