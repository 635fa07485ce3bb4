/**
 * The one way timefs walks directory trees on the grid: a bounded, refilling, breadth-first window
 * of listings. Every directory a walk discovers is queued (first in, first out, so the walk goes
 * breadth first) and never dropped; at most `concurrency` listings are in flight, and as soon as
 * one finishes the next queued one starts, so the window stays full on a remote grid where each
 * listing costs 2–3 round trips. Used by the mount's directory prefetch, `check`/`rebase` (object
 * graph), `renew`, `restore` and the catalog rebuild.
 */
import { TimefsError } from '../model/errors.js';

/** Options of {@link ListingWindow}. */
export interface ListingWindowOptions {
  /** Listings in flight at once (default 8). */
  concurrency?: number;
  /**
   * `stop` (default): the first failing visit stops the walk and {@link ListingWindow.done}
   * rejects with it. `ignore`: failures are passed to `onError` and the walk goes on (prefetch).
   */
  failures?: 'stop' | 'ignore';
  /** Told of each failure under `failures: 'ignore'`. */
  onError?: (err: unknown) => void;
  /** Stops the walk; `done()` rejects with an `aborted` error. */
  signal?: AbortSignal;
  /**
   * Remember ids only while queued or in flight (default false: an id is visited once per
   * window). For long-lived windows such as the mount's prefetch, whose cache may evict.
   */
  revisit?: boolean;
}

/**
 * A FIFO of work items (usually directory caps) visited with bounded concurrency. `visit` may
 * {@link add} the children it finds; items with an id seen before are skipped (shared subtrees
 * are listed once).
 */
export class ListingWindow<T> {
  private readonly queue: Array<{ id: string; item: T }> = [];
  private head = 0;
  private running = 0;
  private readonly seen = new Set<string>();
  private failure: unknown;
  private stopped = false;
  private idleWaiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  private readonly concurrency: number;

  constructor(private readonly visit: (item: T) => Promise<void>, private readonly options: ListingWindowOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    options.signal?.addEventListener('abort', () => this.stop(new TimefsError('aborted', 'the walk was cancelled')), { once: true });
  }

  /** Items queued but not started. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Items being visited now. */
  get inFlight(): number {
    return this.running;
  }

  /** Whether `id` was ever added. */
  has(id: string): boolean {
    return this.seen.has(id);
  }

  /** Queue `item` (once per `id`, default `String(item)`); starts it at once when the window has room. */
  add(item: T, id: string = String(item)): void {
    if (this.stopped || this.seen.has(id)) return;
    this.seen.add(id);
    this.queue.push({ id, item });
    this.pump();
  }

  /** Resolves when nothing is queued or in flight; rejects with the first failure (`failures: 'stop'`). */
  done(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.running === 0 && this.queued === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.idleWaiters.push({ resolve, reject }));
  }

  private pump(): void {
    while (!this.stopped && this.running < this.concurrency && this.head < this.queue.length) {
      const next = this.queue[this.head++] as { id: string; item: T };
      // Compact the consumed prefix now and then so a long walk keeps only what is still queued.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.running++;
      void this.run(next.id, next.item);
    }
    if (this.running === 0 && (this.queued === 0 || this.stopped)) this.settle();
  }

  private async run(id: string, item: T): Promise<void> {
    try {
      await this.visit(item);
    } catch (err) {
      if (this.options.failures === 'ignore') this.options.onError?.(err);
      else this.stop(err);
    } finally {
      if (this.options.revisit) this.seen.delete(id);
      this.running--;
      this.pump();
    }
  }

  private stop(err: unknown): void {
    if (this.stopped) return;
    this.failure = err;
    this.stopped = true;
    this.queue.length = 0;
    this.head = 0;
    if (this.running === 0) this.settle();
  }

  private settle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) {
      if (this.failure !== undefined) waiter.reject(this.failure);
      else waiter.resolve();
    }
  }
}

/**
 * Walks from `roots` breadth first: `expand` visits one item and returns the children to walk
 * next. Resolves when the whole tree was visited; the first failure stops the walk and rejects.
 */
export async function walkBreadthFirst<T>(
  roots: readonly T[],
  expand: (item: T) => Promise<readonly T[]>,
  options: ListingWindowOptions & { idOf?: (item: T) => string } = {},
): Promise<void> {
  const idOf = options.idOf ?? ((item: T) => String(item));
  const window: ListingWindow<T> = new ListingWindow(async (item) => {
    for (const child of await expand(item)) window.add(child, idOf(child));
  }, options);
  for (const root of roots) window.add(root, idOf(root));
  await window.done();
}
