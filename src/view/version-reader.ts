/**
 * The chain reader: opens one version of a file (stored whole, packed, or as a delta chain) and
 * serves `read(offset, length)` by mapping the range through the chain's composed extent list
 * into literal bytes of cached deltas plus closed range reads of the chain's base — the whole
 * file is never rebuilt first (DESIGN.md §5 "Reading"). A sequential whole read checks the hash.
 */
import { baseExtents, type ExtentList } from '../delta/extents.js';
import { TimefsError } from '../model/errors.js';
import type { CallOptions, Store } from '../store/store.js';
import { DeltaCache, type ObjectCache } from './delta-cache.js';
import type { TreeEntry } from './entry-decode.js';
import { SequentialHashCheck, integrityError, type VersionPlace } from './hash-check.js';
import { assembleRange } from './range-assembly.js';
import { BaseFlows, MOUNT_FLOW, type Prefetch } from './base-flow.js';
import { assembleInOrder, inOrderSpan } from './in-order-assembly.js';
import { type Chain, ChainLoader } from './chain-loader.js';

export type { VersionPlace } from './hash-check.js';

/** One open version of a file (or symlink target): random access to its bytes. */
export interface VersionHandle {
  /** Content length in bytes. */
  readonly size: number;
  /** Recorded BLAKE2b-256 (lowercase hex), when the entry has one. */
  readonly hash: string | undefined;
  /** Path and snapshot, for messages. */
  readonly place: VersionPlace;
  /** How the content is stored, and for chains the number of deltas. */
  readonly storage: 'whole' | 'packed' | 'chain';
  readonly chainLength: number;
  /**
   * Bytes `[offset, offset + length)`, clamped to the size: past the end gives fewer or zero
   * bytes. Fetches only what the range needs.
   */
  read(offset: number, length: number, options?: CallOptions): Promise<Uint8Array>;
  /**
   * The whole content from byte 0, in order, in chunks of about `chunkBytes`, not hash checked
   * (the caller checks): the way {@link VersionReader.readVerified} fetches, for a reader that
   * goes through the file from its start.
   */
  stream(chunkBytes: number, options?: CallOptions): AsyncIterable<Uint8Array>;
}

/** Opens versions of files and reads them whole with their hash checked. */
export interface VersionReader {
  /**
   * Opens the version `entry` points to (type `file` or `symlink`).
   * @throws TimefsError `usage` for other types, `repo.bad-format` for a malformed version node,
   *   `delta.*` for a corrupt delta, `integrity` when the chain's size differs from the recorded size
   */
  open(entry: TreeEntry, place: VersionPlace, options?: CallOptions): Promise<VersionHandle>;
  /**
   * The whole content in order, in chunks; after the last chunk the hash is compared and a
   * mismatch throws TimefsError('integrity') naming the path and snapshot.
   */
  readVerified(entry: TreeEntry, place: VersionPlace, options?: WholeReadOptions): AsyncIterable<Uint8Array>;
}

/** Options of {@link ChainVersionReader}. */
export interface VersionReaderOptions {
  /** Cache for deltas; by default a {@link DeltaCache} of `deltaCacheBytes`. */
  deltaCache?: ObjectCache;
  /** Bound of the default delta cache in bytes (64 MiB). */
  deltaCacheBytes?: number;
  /**
   * Bound of the cache of opened chains (composed extent lists plus the deltas they point into),
   * in approximate bytes (default 64 MiB).
   */
  chainCacheBytes?: number;
  /**
   * Told a chain's base cap as soon as its version node is listed, while the deltas are still
   * being fetched: the mount starts fetching the base's first range then, not after the deltas.
   */
  onChainBase?: (baseCap: string, versionSize: number) => void;
  /**
   * Where whole reads fetch content (default: the reader's store). Commands that read a file once
   * pass the bare grid client: caches would only copy and keep every byte again.
   */
  contentStore?: Store;
  /**
   * Chains at least this large start their in-order flow (the base) as soon as they are opened,
   * while their deltas are fetched: the first {@link VersionHandle.stream} of that version within
   * {@link EARLY_FLOW_MS} (base-flow.ts) takes it over, else it is cancelled. Off by default; the mount, where a
   * large file is mostly read from its start, turns it on.
   */
  earlyFlowBytes?: number;
}


/**
 * Default chunk of {@link VersionReader.readVerified}: 16 MiB. Each ranged GET costs the grid a
 * fixed overhead (several round trips, ~20 new storage connections), so whole reads go in the
 * largest class Tahoe serves well: 16 MiB ranges, 3 in flight, match one plain GET on loopback and
 * beat it by about 2× at 50 ms RTT (docs/grid.md, research/wan.md).
 */
export const DEFAULT_CHUNK = 16 * 1024 * 1024;
/**
 * Largest chunk a whole read hands on. The content is assembled (and hashed, and written) while the
 * base arrives, so what is left after its last byte, the tail of every whole read, is one piece.
 */
export const WHOLE_READ_PIECE = 1 << 20;
/** Default number of chunks {@link VersionReader.readVerified} keeps in flight. */
export const DEFAULT_READ_AHEAD = 3;

/** Options of a whole, hash-checked read. */
export interface WholeReadOptions extends CallOptions {
  /**
   * Bytes per range request where ranges are used (default {@link DEFAULT_CHUNK}); chunks handed on
   * are at most this and at most {@link WHOLE_READ_PIECE}.
   */
  chunkSize?: number;
  /** Chunks in flight (default {@link DEFAULT_READ_AHEAD}); memory is about chunkSize × readAhead. */
  readAhead?: number;
}

/** {@link VersionReader} over a {@link Store} (which may be wrapped with caches). */
export class ChainVersionReader implements VersionReader {
  private readonly chains: ChainLoader;
  private readonly flows: BaseFlows;
  private readonly earlyFlowBytes: number;

  constructor(private readonly store: Store, options: VersionReaderOptions = {}) {
    this.flows = new BaseFlows(options.contentStore ?? store);
    this.earlyFlowBytes = options.earlyFlowBytes ?? Number.POSITIVE_INFINITY;
    this.chains = new ChainLoader(store, {
      deltas: options.deltaCache ?? new DeltaCache(store, options.deltaCacheBytes),
      cacheBytes: options.chainCacheBytes ?? 64 * 1024 * 1024,
      onChainBase: options.onChainBase,
    });
  }

  async open(entry: TreeEntry, place: VersionPlace, options?: CallOptions): Promise<VersionHandle> {
    const { meta } = entry;
    if (meta.type !== 'file' && meta.type !== 'symlink') {
      throw new TimefsError('usage', `${place.path} in snapshot ${place.snapshot} is a ${meta.type === 'dir' ? 'directory' : meta.type}, not a file`);
    }
    const storage = storageOf(meta);
    const common = { size: meta.size, hash: meta.type === 'file' ? meta.hash : undefined, place };
    if (storage === 'chain') {
      const early = meta.size >= this.earlyFlowBytes && !this.flows.waiting(entry.cap);
      let chain: Chain;
      try {
        chain = await this.chains.load(entry, place, options, early ? (baseCap, baseSize) => this.flows.startEarly(entry.cap, baseCap, baseSize) : undefined);
      } finally {
        if (early) this.flows.expire(entry.cap);
      }
      return {
        ...common, storage, chainLength: chain.deltas.length,
        read: (offset, length, opts) => assembleRange(this.store, chain.baseCap, chain.extents, chain.deltas, offset, length, place, opts),
        stream: (chunkBytes, opts) => this.readInOrder(entry, place, chunkBytes, { ...opts, chunkSize: MOUNT_FLOW.rangeBytes, readAhead: MOUNT_FLOW.inFlight }),
      };
    }
    const { start } = await this.storedObject(entry, place, options);
    const extents = baseExtents(meta.size);
    return {
      ...common, storage, chainLength: 0,
      read: (offset, length, opts) => assembleRange(this.store, entry.cap, extents, [], offset, length, place, opts, start),
      stream: (chunkBytes, opts) => this.readInOrder(entry, place, chunkBytes, { ...opts, chunkSize: MOUNT_FLOW.rangeBytes, readAhead: MOUNT_FLOW.inFlight }),
    };
  }

  /**
   * Reads in order: the base (or the whole object) flows in as one stream or as ranges in flight,
   * whichever the measured grid latency favours, starting as soon as its cap is known; the content
   * is assembled from it with one copy and hashed once. Chains that copy from far back, or use
   * little of their base, are read by {@link readRanged}.
   */
  async *readVerified(entry: TreeEntry, place: VersionPlace, options: WholeReadOptions = {}): AsyncIterable<Uint8Array> {
    const { meta } = entry;
    const check = new SequentialHashCheck(meta.size, meta.type === 'file' ? meta.hash : undefined, place);
    let offset = 0;
    const piece = Math.max(1, Math.min(options.chunkSize ?? DEFAULT_CHUNK, WHOLE_READ_PIECE));
    for await (const bytes of this.readInOrder(entry, place, piece, options)) {
      await check.update(offset, bytes);
      offset += bytes.length;
      yield bytes;
    }
    if (offset !== meta.size) throw integrityError(place, `short read at byte ${offset}`);
    await check.finish();
  }

  /** {@link readVerified} without the hash check. */
  private async *readInOrder(entry: TreeEntry, place: VersionPlace, chunkBytes: number, options: WholeReadOptions): AsyncGenerator<Uint8Array> {
    const { meta } = entry;
    const storage = storageOf(meta);
    if (meta.type !== 'file' && meta.type !== 'symlink') {
      yield* this.readRanged(entry, place, options); // open() explains the error
      return;
    }
    // Fetched in chunkSize ranges (readAhead in flight) when ranges pay; that bounds the memory.
    const sizing = { rangeBytes: Math.max(1, options.chunkSize ?? DEFAULT_CHUNK), inFlight: Math.max(1, options.readAhead ?? DEFAULT_READ_AHEAD) };
    let flow = this.flows.take(entry.cap);
    const startFlow = (cap: string, from: number, to: number, objectSize: number): void => {
      flow = this.flows.start(cap, from, to, objectSize, sizing, options.signal);
    };
    try {
      let extents: ExtentList;
      let deltas: Uint8Array[] = [];
      if (storage === 'chain') {
        const chain = await this.chains.load(entry, place, options, flow ? undefined : (baseCap, baseSize) => startFlow(baseCap, 0, baseSize, baseSize));
        ({ extents, deltas } = chain);
        if (!inOrderSpan(extents)) {
          await flow?.return();
          flow = undefined;
          yield* this.readRanged(entry, place, options);
          return;
        }
        if (!flow) startFlow(chain.baseCap, 0, chain.baseSize, chain.baseSize);
      } else {
        const { start, stored } = await this.storedObject(entry, place, options);
        extents = baseExtents(meta.size);
        startFlow(entry.cap, start, start + meta.size, stored);
      }
      yield* assembleInOrder(extents, deltas, flow!, chunkBytes, place);
    } finally {
      await flow?.return();
    }
  }

  /** The whole content in order through range reads of the open version (not hash checked). */
  private async *readRanged(entry: TreeEntry, place: VersionPlace, options: WholeReadOptions): AsyncIterable<Uint8Array> {
    const handle = await this.open(entry, place, options);
    const chunk = Math.max(1, options.chunkSize ?? DEFAULT_CHUNK);
    // The next chunk is fetched while the caller consumes this one, hiding the request latency.
    const depth = Math.max(1, options.readAhead ?? DEFAULT_READ_AHEAD);
    const queue: Array<Promise<Uint8Array>> = [];
    let nextOffset = 0;
    const refill = (): void => {
      while (queue.length < depth && nextOffset < handle.size) {
        const pending = handle.read(nextOffset, chunk, options);
        pending.catch(() => undefined); // observed when awaited; never an unhandled rejection
        queue.push(pending);
        nextOffset += chunk;
      }
    };
    refill();
    for (let offset = 0; queue.length > 0; offset += chunk) {
      const bytes = await (queue.shift() as Promise<Uint8Array>);
      refill();
      if (bytes.length !== Math.min(chunk, handle.size - offset)) {
        throw integrityError(place, `short read at byte ${offset}`);
      }
      yield bytes;
    }
  }

  /** Where a whole or packed version's bytes start in its stored object, and that object's size (checked). */
  private async storedObject(entry: TreeEntry, place: VersionPlace, options?: CallOptions): Promise<{ start: number; stored: number }> {
    const start = entry.meta.storage === 'packed' ? (entry.meta.pack?.offset ?? 0) : 0;
    const stored = await this.store.size(entry.cap, options);
    if (stored < start + entry.meta.size) {
      throw integrityError(place, `the stored object holds ${stored - start} bytes but ${entry.meta.size} are recorded`);
    }
    return { start, stored };
  }
}

/** How a version is stored: a symlink target is an object of its own or a pack member, never a chain. */
function storageOf(meta: TreeEntry['meta']): 'whole' | 'packed' | 'chain' {
  const storage = meta.storage ?? 'whole';
  return meta.type === 'symlink' && storage === 'chain' ? 'whole' : storage;
}
