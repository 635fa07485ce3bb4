/**
 * Writing indexes: for one new snapshot (push), for snapshots that have none or a stale one
 * (`timefs index`, rebase), each built against the index of the snapshot before it so that only
 * changed directories are listed and only a delta is stored.
 */
import PQueue from 'p-queue';
import type { EntryMeta } from '../model/entry.js';
import type { CallOptions, Store } from '../store/store.js';
import { splitIndex } from './index-format.js';
import { buildIndexText, previousIndex, type IndexChild, type PreviousIndex } from './index-build.js';
import { ensureIndexDir, IndexReader, IndexUnusable, linkIndex, listIndexLinks, storeIndex, type IndexLink, type LoadedIndex, type StoredIndex } from './index-store.js';

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

/** An index node stored but not linked yet, with its text. */
export interface PreparedIndex {
  text: string;
  stored: StoredIndex;
}

/** Indexing state shared across snapshots of one run. */
export class Indexer {
  readonly reader: IndexReader;
  private links: Map<string, IndexLink> | undefined;
  /** The index this indexer wrote last, parsed only if the next snapshot is built against it (a push writes one and stops). */
  private last: { name: string; link: IndexLink; text: string } | undefined;

  constructor(private readonly store: Store, private readonly indexDirCap: string, private readonly options: CallOptions = {}) {
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
  async index(snapshot: IndexedSnapshot, basis?: IndexedSnapshot, known?: ReadonlyMap<string, IndexChild[]>): Promise<IndexLink> {
    return this.link(snapshot.name, await this.storeNode(snapshot.cap, basis, known));
  }

  /** Builds and stores the index node of the tree `rootCap` (see {@link index}), without linking it. */
  async storeNode(rootCap: string, basis?: IndexedSnapshot, known?: ReadonlyMap<string, IndexChild[]>): Promise<PreparedIndex> {
    const prior = basis ? await this.loadValid(basis) : undefined;
    const fromGrid = gridChildLister(this.store, this.options);
    const list = known ? async (dirCap: string) => known.get(dirCap) ?? fromGrid(dirCap) : fromGrid;
    const text = await buildIndexText(rootCap, list, prior?.previous);
    return { text, stored: await storeIndex(this.store, rootCap, text, prior ? { loaded: prior.loaded } : undefined, this.options) };
  }

  /** Links a stored index node as the index of snapshot `name`. */
  async link(name: string, prepared: PreparedIndex): Promise<IndexLink> {
    const link = await linkIndex(this.store, this.indexDirCap, name, prepared.stored, this.options);
    this.links?.set(name, link);
    this.last = { name, link, text: prepared.text };
    return link;
  }

  /** Reads the links and the index of `basis` now, so a later {@link storeNode} against it waits for nothing. */
  async preload(basis: IndexedSnapshot): Promise<void> {
    await this.loadValid(basis);
  }

  private async loadValid(snapshot: IndexedSnapshot): Promise<{ loaded: LoadedIndex; previous: PreviousIndex } | undefined> {
    if (this.last?.name === snapshot.name && this.last.link.root === snapshot.cap) {
      const loaded: LoadedIndex = { link: this.last.link, text: this.last.text, ...splitIndex(this.last.text) };
      return { loaded, previous: previousIndex(loaded.lines) };
    }
    const link = (await this.currentLinks()).get(snapshot.name);
    if (!link || link.root !== snapshot.cap) return undefined;
    try {
      const loaded = await this.reader.load(link, this.options);
      return { loaded, previous: previousIndex(loaded.lines) };
    } catch (err) {
      if (err instanceof IndexUnusable) return undefined;
      throw err;
    }
  }
}

/**
 * The index work of one push, in three steps so that only the last one waits on the snapshot:
 * {@link PushIndex.start} finds `index/` and loads the parent's index while the push scans and
 * uploads; {@link PushIndex.store} builds and stores the new index node while the snapshot is being
 * linked; {@link PushIndex.link} links it under the name the snapshot got. Failures surface from
 * the step that needs the failed read (the index is optional: push only warns).
 */
export class PushIndex {
  private constructor(private readonly indexer: Promise<Indexer>, private readonly parent?: IndexedSnapshot) {}

  /** Starts the reads. `indexDirCap`: the repository's `index/` when opening it found one. */
  static start(store: Store, repoRootCap: string, indexDirCap: string | undefined, parent?: IndexedSnapshot): PushIndex {
    const indexer = (async () => {
      const made = new Indexer(store, indexDirCap ?? await ensureIndexDir(store, repoRootCap));
      if (parent) await made.preload(parent);
      return made;
    })();
    indexer.catch(() => {}); // reported by the step that needs it
    return new PushIndex(indexer, parent);
  }

  /** Builds and stores the index node of the new snapshot tree `rootCap`. */
  async store(rootCap: string, known?: ReadonlyMap<string, IndexChild[]>): Promise<PreparedIndex> {
    return (await this.indexer).storeNode(rootCap, this.parent, known);
  }

  /** Links the stored node as the index of snapshot `name`. */
  async link(name: string, prepared: PreparedIndex): Promise<IndexLink> {
    return (await this.indexer).link(name, prepared);
  }
}
