/**
 * A file's bytes as one ordered flow of chunks, fetched the way {@link planWholeRead} chose: one
 * streamed GET, or ranges with a few in flight handed over in order. {@link Prefetch} pulls a
 * flow ahead of its reader (up to a byte bound), so a chain's base is already arriving while its
 * deltas are still being fetched.
 */
import { gridLatency } from '../store/answer-times.js';
import type { CallOptions, Store } from '../store/store.js';
import { planWholeRead, type WholeReadPlan } from './read-planner.js';

/** How a flow fetches when it uses ranges, and so how much it holds: about `rangeBytes × inFlight`. */
export interface FlowSizing {
  rangeBytes: number;
  inFlight: number;
}

/** The mount's sizing (and that of early flows): the read planner's three 8 MiB runs. */
export const MOUNT_FLOW: FlowSizing = { rangeBytes: 8 << 20, inFlight: 3 };
/** How long an early flow waits for its reader once its version is open. */
export const EARLY_FLOW_MS = 2000;

/**
 * Bytes `[start, end)` of `cap` (whose stored size is `objectSize`) in order. A stream of a part
 * of an object is one range request.
 */
export async function* baseFlow(store: Store, cap: string, start: number, end: number, objectSize: number, plan: WholeReadPlan, options: CallOptions = {}): AsyncGenerator<Uint8Array> {
  if (end <= start) return;
  if (plan.kind === 'stream') {
    if (start === 0 && end === objectSize) yield* store.getStream(cap, options);
    else yield await store.getRange(cap, start, end - start, options);
    return;
  }
  // Ranges in flight are cancelled when the reader stops early (or fails).
  const abort = new AbortController();
  const onAbort = (): void => abort.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const inFlight: Array<Promise<Uint8Array>> = [];
  let next = start;
  const refill = (): void => {
    while (inFlight.length < plan.inFlight && next < end) {
      const length = Math.min(plan.rangeBytes, end - next);
      const pending = store.getRange(cap, next, length, { ...options, signal: abort.signal });
      pending.catch(() => undefined); // seen when awaited; never an unhandled rejection
      inFlight.push(pending);
      next += length;
    }
  };
  try {
    refill();
    while (inFlight.length > 0) {
      const bytes = await inFlight.shift()!;
      refill();
      yield bytes;
    }
  } finally {
    abort.abort();
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Pulls an async flow ahead of its reader, holding at most about `maxBytes` not yet taken. */
export class Prefetch implements AsyncIterator<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private finished = false;
  private failure: { error: unknown } | undefined;
  private stopped = false;
  private wakeReader: (() => void) | undefined;
  private wakePump: (() => void) | undefined;
  private readonly pumping: Promise<void>;

  /**
   * @param source the flow, started now
   * @param maxBytes bytes pulled ahead of the reader at most (plus one chunk)
   * @param abort aborted by {@link return}: it should cancel the source's requests
   */
  constructor(private readonly source: AsyncIterator<Uint8Array>, private readonly maxBytes: number, private readonly abort?: AbortController) {
    this.pumping = this.pump();
  }

  private async pump(): Promise<void> {
    let done = false;
    try {
      while (!this.stopped) {
        if (this.queued >= this.maxBytes) {
          await new Promise<void>((wake) => { this.wakePump = wake; });
          continue;
        }
        const next = await this.source.next();
        done = next.done === true;
        if (done || this.stopped) break;
        this.queue.push(next.value);
        this.queued += next.value.length;
        this.wakeReader?.();
      }
      if (!done) await this.source.return?.();
    } catch (error) {
      if (!this.stopped) this.failure = { error };
    } finally {
      this.finished = true;
      this.wakeReader?.();
    }
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      const value = this.queue.shift();
      if (value !== undefined) {
        this.queued -= value.length;
        this.wakePump?.();
        return { done: false, value };
      }
      if (this.failure) throw this.failure.error;
      if (this.finished) return { done: true, value: undefined };
      await new Promise<void>((wake) => { this.wakeReader = wake; });
    }
  }

  /** Stops pulling and closes the source (its requests are cancelled); what was queued is dropped. */
  async return(): Promise<IteratorResult<Uint8Array>> {
    this.stopped = true;
    this.queue.length = 0;
    this.abort?.abort();
    this.wakePump?.();
    await this.pumping;
    return { done: true, value: undefined };
  }
}

/**
 * Starts base flows from `store`, each fetched as {@link planWholeRead} chooses for the grid
 * latency measured so far, and keeps early ones (started when a version is opened) until a
 * reader takes them.
 */
export class BaseFlows {
  private readonly early = new Map<string, Prefetch>();

  constructor(private readonly store: Store) {}

  /**
   * Bytes `[from, to)` of `cap` (stored size `objectSize`) in order, pulled ahead (while a chain's
   * deltas arrive, too) by about `rangeBytes × inFlight` bytes: a stream's bytes queue up to that;
   * ranges are that many bytes in flight, and one range more may wait for the reader.
   */
  start(cap: string, from: number, to: number, objectSize: number, sizing: FlowSizing, outer?: AbortSignal): Prefetch {
    const abort = new AbortController();
    const signal = outer ? AbortSignal.any([outer, abort.signal]) : abort.signal;
    const plan = planWholeRead(to - from, gridLatency(), sizing.rangeBytes, sizing.inFlight);
    const queued = plan.kind === 'ranges' ? plan.rangeBytes : sizing.rangeBytes * sizing.inFlight;
    return new Prefetch(baseFlow(this.store, cap, from, to, objectSize, plan, { signal }), queued, abort);
  }

  /** Starts the whole base `baseCap` for the version `key` before anyone reads it (sized {@link MOUNT_FLOW}). */
  startEarly(key: string, baseCap: string, baseSize: number): void {
    this.early.set(key, this.start(baseCap, 0, baseSize, baseSize, MOUNT_FLOW));
  }

  /** Whether an early flow of `key` waits for its reader. */
  waiting(key: string): boolean {
    return this.early.has(key);
  }

  /** The early flow of `key`, now the caller's. */
  take(key: string): Prefetch | undefined {
    const flow = this.early.get(key);
    this.early.delete(key);
    return flow;
  }

  /** Cancels the early flow of `key` unless a reader takes it within `ms`. */
  expire(key: string, ms = EARLY_FLOW_MS): void {
    const flow = this.early.get(key);
    if (!flow) return;
    setTimeout(() => {
      if (this.early.get(key) !== flow) return;
      this.early.delete(key);
      void flow.return();
    }, ms).unref();
  }
}
