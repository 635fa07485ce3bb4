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
import { ensureIndexDir, IndexReader, IndexUnusable, listIndexLinks, writeIndex, type IndexLink, type LoadedIndex } from './index-store.js';

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
    const prior = basis ? await this.loadValid(basis) : undefined;
    const fromGrid = gridChildLister(this.store, this.options);
    const list = known ? async (dirCap: string) => known.get(dirCap) ?? fromGrid(dirCap) : fromGrid;
    const text = await buildIndexText(snapshot.cap, list, prior?.previous);
    const link = await writeIndex(this.store, this.indexDirCap, snapshot.name, snapshot.cap, text, prior ? { loaded: prior.loaded } : undefined, this.options);
    (await this.currentLinks()).set(snapshot.name, link);
    this.last = { name: snapshot.name, link, text };
    return link;
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
 * Stores the index of a snapshot push just made, against its parent's index (creates `index/` when
 * needed). `known` holds the children of directories push itself just wrote, by cap: those are not
 * listed again.
 */
export async function indexNewSnapshot(store: Store, repoRootCap: string, snapshot: IndexedSnapshot, parent?: IndexedSnapshot, known?: ReadonlyMap<string, IndexChild[]>): Promise<IndexLink> {
  const dir = await ensureIndexDir(store, repoRootCap);
  return new Indexer(store, dir).index(snapshot, parent, known);
}
