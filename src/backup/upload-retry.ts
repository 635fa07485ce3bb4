/**
 * Uploads are convergent, so repeating one is harmless. Right after a push was killed mid-upload,
 * the storage servers may still hold the unfinished shares of the very same object (same
 * storage index) open for writing and refuse to place them again, which the client reports as
 * "unhappy". That clears within seconds, so a push retries such uploads a few times before
 * giving up with the grid's error.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isTimefsError } from '../model/errors.js';
import type { Store } from '../store/store.js';

/** Delays between attempts of an upload the grid called unhappy. */
export const UNHAPPY_RETRY_DELAYS_MS = [1000, 2000, 4000, 8000];

/** Runs `attempt` again after each delay while it fails with `grid.unhappy`. */
export async function retryWhileUnhappy<T>(attempt: () => Promise<T>, delays: readonly number[] = UNHAPPY_RETRY_DELAYS_MS): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isTimefsError(err, 'grid.unhappy') || i >= delays.length) throw err;
      await sleep(delays[i]!);
    }
  }
}

/** `store` with `putImmutable` (buffered bodies: a stream reads once) and `mkdirImmutable` retried on `grid.unhappy`. */
export function retryUnhappyUploads(store: Store, delays: readonly number[] = UNHAPPY_RETRY_DELAYS_MS): Store {
  const retry = <T>(attempt: () => Promise<T>) => retryWhileUnhappy(attempt, delays);
  return Object.assign(Object.create(store) as Store, {
    putImmutable: (body: Parameters<Store['putImmutable']>[0], options?: Parameters<Store['putImmutable']>[1]) =>
      body instanceof Uint8Array ? retry(() => store.putImmutable(body, options)) : store.putImmutable(body, options),
    mkdirImmutable: (children: Parameters<Store['mkdirImmutable']>[0], options?: Parameters<Store['mkdirImmutable']>[1]) =>
      retry(() => store.mkdirImmutable(children, options)),
  });
}
