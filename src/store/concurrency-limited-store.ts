import PQueue from 'p-queue';
import { TimefsError } from '../model/errors.js';
import type { CallOptions, DeepCheckEvent, DirEntry, HealthReport, NewChild, Store, UploadBody } from './store.js';

/**
 * A {@link Store} decorator that runs at most `concurrency` grid operations at once, so a push or
 * a busy mount cannot flood the client node. Streams (`getStream`, `deepCheck`) hold a slot only
 * while they are being opened, so a slow consumer never blocks other operations.
 */
export class ConcurrencyLimitedStore implements Store {
  private readonly queue: PQueue;

  constructor(private readonly inner: Store, concurrency = 8) {
    this.queue = new PQueue({ concurrency });
  }

  /** Operations waiting for a slot. */
  get pending(): number {
    return this.queue.size;
  }

  private async run<T>(fn: () => Promise<T>, options?: CallOptions): Promise<T> {
    try {
      return await this.queue.add(fn, options?.signal ? { signal: options.signal } : {});
    } catch (err) {
      if (options?.signal?.aborted && !(err instanceof TimefsError)) throw new TimefsError('aborted', 'grid operation cancelled', { cause: err });
      throw err;
    }
  }

  putImmutable(body: UploadBody, options?: CallOptions): Promise<string> {
    return this.run(() => this.inner.putImmutable(body, options), options);
  }
  size(cap: string, options?: CallOptions): Promise<number> {
    return this.run(() => this.inner.size(cap, options), options);
  }
  get(cap: string, options?: CallOptions): Promise<Uint8Array> {
    return this.run(() => this.inner.get(cap, options), options);
  }
  async *getStream(cap: string, options?: CallOptions): AsyncIterable<Uint8Array> {
    // Wait for a free slot before starting, without holding it for the whole transfer.
    await this.run(async () => undefined, options);
    yield* this.inner.getStream(cap, options);
  }
  getRange(cap: string, start: number, length: number, options?: CallOptions): Promise<Uint8Array> {
    return this.run(() => this.inner.getRange(cap, start, length, options), options);
  }
  mkdirImmutable(children: Record<string, NewChild>, options?: CallOptions): Promise<string> {
    return this.run(() => this.inner.mkdirImmutable(children, options), options);
  }
  mkdirMutable(children?: Record<string, NewChild>, options?: CallOptions): Promise<string> {
    return this.run(() => this.inner.mkdirMutable(children, options), options);
  }
  list(dirCap: string, options?: CallOptions): Promise<Map<string, DirEntry>> {
    return this.run(() => this.inner.list(dirCap, options), options);
  }
  link(dirCap: string, name: string, childCap: string, metadata?: Record<string, unknown>, options?: CallOptions): Promise<void> {
    return this.run(() => this.inner.link(dirCap, name, childCap, metadata, options), options);
  }
  unlink(dirCap: string, name: string, options?: CallOptions): Promise<void> {
    return this.run(() => this.inner.unlink(dirCap, name, options), options);
  }
  check(cap: string, options?: CallOptions & { addLease?: boolean }): Promise<HealthReport> {
    return this.run(() => this.inner.check(cap, options), options);
  }
  async deepCheck(dirCap: string, onEvent: (event: DeepCheckEvent) => void, options?: CallOptions & { addLease?: boolean }): Promise<void> {
    await this.run(async () => undefined, options);
    await this.inner.deepCheck(dirCap, onEvent, options);
  }
  readOnlyCap(dirCap: string, options?: CallOptions): Promise<string> {
    return this.run(() => this.inner.readOnlyCap(dirCap, options), options);
  }
}
