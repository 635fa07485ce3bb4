/**
 * A {@link Store} that also lists merged directories (src/view/merged-tree.ts). A merged directory
 * has a synthetic cap naming its members (snapshot names, no caps) and its path; listing it merges
 * the members' real listings. Every reader that lists directories through a Store (the mount's
 * tree cache, `ls`, `cat`, `restore`, later `serve`) reads merged views with no code of its own.
 */
import { LRUCache } from 'lru-cache';
import { TimefsError } from '../model/errors.js';
import { ForwardingStore } from '../store/forwarding-store.js';
import type { CallOptions, DirEntry, Store } from '../store/store.js';
import { mergedListing, type MergeMember } from './merged-tree.js';

const PREFIX = 'timefs-merged:';

/** Finds snapshots by name (the current snapshot list). */
export type MemberLookup = (names: readonly string[], options?: CallOptions) => Promise<MergeMember[]>;

/** True when `cap` names a merged directory rather than a grid object. */
export function isMergedCap(cap: string): boolean {
  return cap.startsWith(PREFIX);
}

/** The synthetic cap of the merged directory at `path` (raw components) over `members`. */
export function mergedCap(members: readonly MergeMember[], path: readonly Uint8Array[] = []): string {
  const body = JSON.stringify({ m: members.map((m) => m.name), p: path.map((c) => Buffer.from(c).toString('base64')) });
  return PREFIX + Buffer.from(body).toString('base64url');
}

function decodeCap(cap: string): { names: string[]; path: Buffer[] } {
  try {
    const body = JSON.parse(Buffer.from(cap.slice(PREFIX.length), 'base64url').toString('utf8')) as { m: string[]; p: string[] };
    return { names: body.m, path: body.p.map((c) => Buffer.from(c, 'base64')) };
  } catch (err) {
    throw new TimefsError('internal', 'a merged directory reference is malformed', { cause: err });
  }
}

/** Lists merged directories; passes every other call to the grid. Real listings it needs are cached (LRU). */
export class MergingStore extends ForwardingStore {
  private readonly listings = new LRUCache<string, Promise<Map<string, DirEntry>>>({ max: 2_000 });

  constructor(inner: Store, private readonly lookup: MemberLookup) {
    super(inner);
  }

  override async list(dirCap: string, options?: CallOptions): Promise<Map<string, DirEntry>> {
    if (!isMergedCap(dirCap)) return this.inner.list(dirCap, options);
    const { names, path } = decodeCap(dirCap);
    const members = await this.lookup(names, options);
    if (members.length !== names.length) {
      throw new TimefsError('snapshot.not-found', 'a snapshot of this merged view is gone (forget ran); list it again', { hint: 'open `latest` or the day again' });
    }
    return mergedListing((cap, o) => this.cached(cap, o), members, path, (m, p) => mergedCap(m, p), options);
  }

  private cached(dirCap: string, options?: CallOptions): Promise<Map<string, DirEntry>> {
    let listing = this.listings.get(dirCap);
    if (!listing) {
      listing = this.inner.list(dirCap, options);
      listing.catch(() => this.listings.delete(dirCap));
      this.listings.set(dirCap, listing);
    }
    return listing;
  }
}
