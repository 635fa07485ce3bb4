/**
 * Uploads to Tahoe are convergent (same bytes → same object), so repeating one is harmless.
 * Right after a process was killed mid-upload, the client node may still be placing the shares of
 * that very object, and the storage servers refuse to place them a second time, which the node
 * reports as "unhappy". That clears within seconds, so the commands that upload (push, rebase)
 * retry such uploads a few times before giving up with the grid's error.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isTimefsError, TimefsError } from '../model/errors.js';
import { ForwardingStore } from './forwarding-store.js';
import type { CallOptions, NewChild, Store, UploadBody } from './store.js';

/** Delays between attempts of an upload the grid called unhappy. */
export const UNHAPPY_RETRY_DELAYS_MS = [1000, 2000, 4000, 8000];

const GIVE_UP_HINT =
  'check that all storage servers are connected (`npm run grid:status` for the local grid); if a timefs ' +
  'process was killed during an upload in the last 30 minutes, the servers may still hold that interrupted ' +
  'upload of the same object and refuse it until they time it out: run the command again later, nothing is lost';

/** Runs `attempt` again after each delay while it fails with `grid.unhappy`. */
export async function retryWhileUnhappy<T>(attempt: () => Promise<T>, delays: readonly number[] = UNHAPPY_RETRY_DELAYS_MS): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
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

  override putImmutable(body: UploadBody, options?: CallOptions): Promise<string> {
    if (!(body instanceof Uint8Array)) return this.inner.putImmutable(body, options);
    return retryWhileUnhappy(() => this.inner.putImmutable(body, options), this.delays);
  }

  override mkdirImmutable(children: Record<string, NewChild>, options?: CallOptions): Promise<string> {
    return retryWhileUnhappy(() => this.inner.mkdirImmutable(children, options), this.delays);
  }
}

/** `store` with `putImmutable` (buffered bodies) and `mkdirImmutable` retried on `grid.unhappy`. */
export function retryUnhappyUploads(store: Store, delays: readonly number[] = UNHAPPY_RETRY_DELAYS_MS): Store {
  return new UnhappyRetryStore(store, delays);
}
