/**
 * A {@link Store} whose directory listings come from loaded metadata indexes when one describes
 * the directory (src/view/snapshot-indexes.ts), and from the grid otherwise. It sits below the
 * mount's tree cache and merged views, so a cold walk of an indexed snapshot sends no listing
 * requests at all, and every reader above it stays as it is.
 */
import { ForwardingStore } from '../store/forwarding-store.js';
import type { CallOptions, DirEntry, Store } from '../store/store.js';
import type { TreeEntry } from './entry-decode.js';

/** Directory children known without a request (a registered index), by directory cap. */
export interface KnownListings {
  entries(dirCap: string): readonly TreeEntry[] | undefined;
}

/** Directory caps of every form (`URI:DIR2:`, `URI:DIR2-RO:`, `-CHK`, `-LIT`, `-MDMF`…). */
const DIR_CAP = /^URI:DIR2[-:]/;

/** The listing entry the grid would give for an edge an index recorded (timefs attributes only). */
export function dirEntryOf(entry: TreeEntry): DirEntry {
  return { name: entry.name, kind: DIR_CAP.test(entry.cap) ? 'dir' : 'file', cap: entry.cap, readCap: entry.cap, mutable: false, metadata: { timefs: entry.meta } };
}

/** Lists directories from known listings first. */
export class IndexedListingStore extends ForwardingStore {
  /** Listings answered from indexes and from the grid. */
  readonly stats = { fromIndex: 0, fromGrid: 0 };

  constructor(inner: Store, private readonly known: KnownListings) {
    super(inner);
  }

  override async list(dirCap: string, options?: CallOptions): Promise<Map<string, DirEntry>> {
    const entries = this.known.entries(dirCap);
    if (!entries) {
      this.stats.fromGrid++;
      return this.inner.list(dirCap, options);
    }
    this.stats.fromIndex++;
    return new Map(entries.map((e) => [e.name, dirEntryOf(e)]));
  }
}
