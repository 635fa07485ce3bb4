/**
 * A {@link Store} in which a directory listing can be started before anyone asks for it: opening
 * a repository lists `snapshots/` while it still validates the root, so the command's first
 * listing costs no round trips of its own. The next `list` of a primed cap takes the primed
 * request (started no earlier than the command itself, so it is as fresh as asking then).
 */
import type { CallOptions, DirEntry } from './store.js';
import { ForwardingStore } from './forwarding-store.js';

/** How long an unclaimed primed listing is kept (milliseconds). */
const PRIMED_FOR_MS = 10_000;

/** Store with {@link PrimedListingStore.prime}. */
export class PrimedListingStore extends ForwardingStore {
  private readonly primed = new Map<string, { listing: Promise<Map<string, DirEntry>>; at: number }>();

  /** Starts listing `dirCap` now; the next `list(dirCap)` within a few seconds gets this result. */
  prime(dirCap: string): void {
    if (this.primed.has(dirCap)) return;
    const listing = this.inner.list(dirCap);
    listing.catch(() => {}); // a failure is seen by the list() that claims it
    this.primed.set(dirCap, { listing, at: Date.now() });
  }

  override list(dirCap: string, options?: CallOptions): Promise<Map<string, DirEntry>> {
    const primed = this.primed.get(dirCap);
    if (primed) {
      this.primed.delete(dirCap);
      if (Date.now() - primed.at <= PRIMED_FOR_MS) return primed.listing;
    }
    return this.inner.list(dirCap, options);
  }
}
