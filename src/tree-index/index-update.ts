/**
 * Writing indexes: for one new snapshot (push), for snapshots that have none or a stale one
 * (`timefs index`, rebase), each built against the index of the snapshot before it so that only
 * changed directories are listed and only a delta is stored.
 */
import PQueue from 'p-queue';
import type { EntryMeta } from '../model/entry.js';
import type { CallOptions, Store } from '../store/store.js';
import { SpillSink } from '../store/spill-sink.js';
import { headerLine } from './index-format.js';
import { indexEntries, previousIndex, writeIndexEntries, type ChildLister, type IndexChild, type PreviousIndex } from './index-build.js';
import { ensureIndexDir, indexSignature, IndexReader, IndexUnusable, linkIndex, listIndexLinks, storeIndex, type IndexBasis, type IndexLink, type StoredIndex } from './index-store.js';

/** A snapshot as indexing needs it. */
export interface IndexedSnapshot {
  name: string;
  /** Read cap of its root (secret). */
  cap: string;
}

/** Lists snapshot directories for the builder, a few at a time. */
export function gridChildLister(store: Store, options?: CallOptions, concurrency = 8): (dirCap: string) => Promise<IndexChild[]> {
  const queue = new PQueue({ concurrency });
  return async (dirCap) => {
    const listing = (await queue.add(() => store.list(dirCap, options)))!;
    const out: IndexChild[] = [];
    for (const [name, entry] of listing) {
      const meta = (entry.metadata as { timefs?: EntryMeta }).timefs;
      if (meta && typeof meta.type === 'string') out.push({ name, cap: entry.readCap, meta });
    }
    return out;
  };
}

/** An index node stored but not linked yet, with its text when that was held in memory. */
export interface PreparedIndex {
  /** The whole text, UTF-8 (absent when it was spooled to disk). */
  bytes?: Uint8Array;
  stored: StoredIndex;
}

/** Index text up to this size is built in memory; longer text goes to a spool file (when the indexer has a spool directory). */
const TEXT_IN_MEMORY = 4 << 20;

/** Indexing state shared across snapshots of one run. */
export class Indexer {
  readonly reader: IndexReader;
  private links: Map<string, IndexLink> | undefined;
  /** The index this indexer wrote last, if held in memory: the next snapshot of a run is built against it without reading it back. */
  private last: { name: string; link: IndexLink; bytes: Uint8Array } | undefined;
  /** Signatures of preloaded indexes, by index node cap. */
  private readonly signatures = new Map<string, Promise<Uint8Array>>();

  /**
   * `spoolDir`: where index text longer than a few MiB is written while it is built and stored
   * (a push's spool), so memory does not grow with the tree; without one the text stays in memory.
   */
  constructor(private readonly store: Store, private readonly indexDirCap: string, private readonly options: CallOptions = {}, private readonly spoolDir?: string) {
    this.reader = new IndexReader(store);
  }

  /** The current links (listed once, updated as this indexer writes). */
  async currentLinks(): Promise<Map<string, IndexLink>> {
    this.links ??= await listIndexLinks(this.store, this.indexDirCap, this.options);
    return this.links;
  }

  /** True when `snapshot` has an index describing its current root. */
  async hasIndex(snapshot: IndexedSnapshot): Promise<boolean> {
    return (await this.currentLinks()).get(snapshot.name)?.root === snapshot.cap;
  }

  /**
   * Builds and stores the index of `snapshot`, as a delta against the index of `basis` when that
   * one is present and intact (else from the tree alone).
   */
  async index(snapshot: IndexedSnapshot, basis?: IndexedSnapshot, known?: KnownLister): Promise<IndexLink> {
    return this.link(snapshot.name, await this.storeNode(snapshot.cap, basis, known));
  }

  /**
   * Builds and stores the index node of the tree `rootCap` (see {@link index}), without linking
   * it. `known` lists directories without the grid when it can (a push's new directories); it
   * answers undefined for the others.
   */
  async storeNode(rootCap: string, basis?: IndexedSnapshot, known?: KnownLister): Promise<PreparedIndex> {
    const prior = basis ? await this.loadValid(basis) : undefined;
    const fromGrid = gridChildLister(this.store, this.options);
    const list: ChildLister = known ? async (dirCap) => (await known(dirCap)) ?? fromGrid(dirCap) : fromGrid;
    const entries = new SpillSink(this.spoolDir ?? '', this.spoolDir === undefined ? Infinity : TEXT_IN_MEMORY);
    try {
      const count = await writeIndexEntries(rootCap, list, (chunk) => entries.write(chunk), prior?.previous);
      await entries.finish();
      const header = headerLine({ root: rootCap, entries: count });
      const signature = prior ? this.signatures.get(prior.basis.link.cap) : undefined;
      const stored = await storeIndex(this.store, rootCap, { header, entries }, prior && { ...prior.basis, ...(signature ? { signature } : {}) }, this.options);
      const whole = entries.path === undefined ? entries.body() : undefined;
      return { stored, ...(whole instanceof Uint8Array ? { bytes: Buffer.concat([Buffer.from(header, 'utf8'), whole]) } : {}) };
    } finally {
      await entries.discard();
    }
  }

  /** Links a stored index node as the index of snapshot `name`. */
  async link(name: string, prepared: PreparedIndex): Promise<IndexLink> {
    const link = await linkIndex(this.store, this.indexDirCap, name, prepared.stored, this.options);
    this.links?.set(name, link);
    this.last = prepared.bytes ? { name, link, bytes: prepared.bytes } : undefined;
    return link;
  }

  /**
   * Reads the links and the index of `basis` now, and starts the signature a delta against it
   * needs, so a later {@link storeNode} against it waits for nothing but the new tree.
   */
  async preload(basis: IndexedSnapshot): Promise<void> {
    const prior = await this.loadValid(basis);
    if (prior && !this.signatures.has(prior.basis.link.cap)) {
      const signature = indexSignature(prior.basis.bytes);
      signature.catch(() => {}); // storeNode awaits it
      this.signatures.set(prior.basis.link.cap, signature);
    }
  }

  private async loadValid(snapshot: IndexedSnapshot): Promise<{ basis: IndexBasis; previous: PreviousIndex } | undefined> {
    if (this.last?.name === snapshot.name && this.last.link.root === snapshot.cap) {
      return { basis: { link: this.last.link, bytes: this.last.bytes }, previous: previousIndex(indexEntries(this.last.bytes)) };
    }
    const link = (await this.currentLinks()).get(snapshot.name);
    if (!link || link.root !== snapshot.cap) return undefined;
    try {
      const { bytes } = await this.reader.loadBytes(link, this.options);
      return { basis: { link, bytes }, previous: previousIndex(indexEntries(bytes)) };
    } catch (err) {
      if (err instanceof IndexUnusable) return undefined;
      throw err;
    }
  }
}

/** Lists a directory when it is known without the grid; undefined otherwise. */
export type KnownLister = (dirCap: string) => Promise<IndexChild[] | undefined>;

/**
 * The index work of one push, in three steps so that only the last one waits on the snapshot:
 * {@link PushIndex.start} finds `index/` and loads the parent's index while the push scans and
 * uploads; {@link PushIndex.store} builds and stores the new index node while the snapshot is being
 * linked; {@link PushIndex.link} links it under the name the snapshot got. Failures surface from
 * the step that needs the failed read (the index is optional: push only warns).
 */
export class PushIndex {
  private constructor(private readonly indexer: Promise<Indexer>, private readonly parent?: IndexedSnapshot) {}

  /**
   * Starts the reads. `indexDirCap`: the repository's `index/` when opening it found one;
   * `spoolDir`: where long index text is written while it is built.
   */
  static start(store: Store, repoRootCap: string, indexDirCap: string | undefined, parent?: IndexedSnapshot, spoolDir?: string): PushIndex {
    const indexer = (async () => {
      const made = new Indexer(store, indexDirCap ?? await ensureIndexDir(store, repoRootCap), {}, spoolDir);
      if (parent) await made.preload(parent);
      return made;
    })();
    indexer.catch(() => {}); // reported by the step that needs it
    return new PushIndex(indexer, parent);
  }

  /** Builds and stores the index node of the new snapshot tree `rootCap`. */
  async store(rootCap: string, known?: KnownLister): Promise<PreparedIndex> {
    return (await this.indexer).storeNode(rootCap, this.parent, known);
  }

  /** Links the stored node as the index of snapshot `name`. */
  async link(name: string, prepared: PreparedIndex): Promise<IndexLink> {
    return (await this.indexer).link(name, prepared);
  }
}
