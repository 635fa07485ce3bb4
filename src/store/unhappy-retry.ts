/**
 * Uploads to Tahoe are convergent (same bytes → same object), so repeating one is harmless, with
 * one exception. When a process is killed while the client node places the shares of an upload,
 * the node can give that upload up half done: its share files stay open on the storage servers
 * (`storage/shares/incoming/`), and every server refuses that object (storage index) until it
 * times the writer out, 30 minutes later, or restarts. The node reports the refusal as
 * `UploadUnhappinessError: … placed N shares out of M total (K homeless)`, which timefs calls
 * `grid.unhappy`. A refusal can also be momentary: the node is still finishing the very upload
 * the killed process started.
 *
 * So an upload refused that way is retried after a short wait, first as it is (the momentary
 * case: the repeat then finds the shares in place), then, where the caller allows it, with a few
 * random bytes added where no reader looks, which gives the object another storage index that no
 * stale share blocks. What a grid truly short of servers refuses stays refused: after the last
 * attempt the error is the grid's, with a hint.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isTimefsError, TimefsError } from '../model/errors.js';
import { ForwardingStore } from './forwarding-store.js';
import type { CallOptions, NewChild, Store, UploadBody } from './store.js';

/** Delays between attempts of an upload the grid called unhappy (2.5 s in all). */
export const UNHAPPY_RETRY_DELAYS_MS = [250, 500, 750, 1000];
/** From this attempt on (0 = the first), a retry may carry padding and so a new storage index. */
export const PADDED_FROM_ATTEMPT = 2;
/** Edge metadata key of the padding a retried directory carries (beside `timefs`; readers ignore it). */
export const RETRY_PAD_KEY = 'timefs-retry';

const GIVE_UP_HINT =
  'check that all storage servers are connected (`npm run grid:status` for the local grid); if a timefs ' +
  'process was killed during an upload in the last 30 minutes, the servers may still hold that interrupted ' +
  'upload of the same object and refuse it until they time it out: run the command again later, nothing is lost';

/** Per-call options of an upload that tolerates trailing padding. */
export interface PaddableCall extends CallOptions {
  /**
   * The caller reads this object only at recorded offsets (a pack, a file followed by its
   * signature), so bytes appended after them are never read: a retry may add some.
   */
  paddable?: boolean;
}

/** Random bytes to append on attempt `attempt` (none before {@link PADDED_FROM_ATTEMPT}). */
export function retryPadding(attempt: number): Uint8Array | undefined {
  return attempt >= PADDED_FROM_ATTEMPT ? randomBytes(16) : undefined;
}

/** Runs `attempt(n)` (n = 0, 1, …) again after each delay while it fails with `grid.unhappy`. */
export async function retryWhileUnhappy<T>(attempt: (n: number) => Promise<T>, delays: readonly number[] = UNHAPPY_RETRY_DELAYS_MS): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt(i);
    } catch (err) {
      if (!isTimefsError(err, 'grid.unhappy')) throw err;
      if (i >= delays.length) throw new TimefsError('grid.unhappy', err.message, { cause: err, hint: GIVE_UP_HINT });
      await sleep(delays[i]!);
    }
  }
}

/** A store whose immutable uploads (buffered bodies only: a stream reads once) are retried on `grid.unhappy`. */
class UnhappyRetryStore extends ForwardingStore {
  constructor(inner: Store, private readonly delays: readonly number[]) {
    super(inner);
  }

  override putImmutable(body: UploadBody, options?: PaddableCall): Promise<string> {
    if (!(body instanceof Uint8Array)) return this.inner.putImmutable(body, options);
    return retryWhileUnhappy((n) => {
      const pad = options?.paddable ? retryPadding(n) : undefined;
      return this.inner.putImmutable(pad ? Buffer.concat([body, pad]) : body, options);
    }, this.delays);
  }

  override mkdirImmutable(children: Record<string, NewChild>, options?: CallOptions): Promise<string> {
    return retryWhileUnhappy((n) => this.inner.mkdirImmutable(paddedChildren(children, retryPadding(n)), options), this.delays);
  }
}

/** `children` with `pad` in the edge metadata of the first child (an empty directory is a literal cap: never refused). */
function paddedChildren(children: Record<string, NewChild>, pad: Uint8Array | undefined): Record<string, NewChild> {
  const first = Object.keys(children)[0];
  if (pad === undefined || first === undefined) return children;
  const child = children[first]!;
  return { ...children, [first]: { ...child, metadata: { ...child.metadata, [RETRY_PAD_KEY]: Buffer.from(pad).toString('hex') } } };
}

/** `store` with `putImmutable` (buffered bodies) and `mkdirImmutable` retried on `grid.unhappy`. */
export function retryUnhappyUploads(store: Store, delays: readonly number[] = UNHAPPY_RETRY_DELAYS_MS): Store {
  return new UnhappyRetryStore(store, delays);
}
