import type { CallOptions, DeepCheckEvent, DirEntry, HealthReport, NewChild, Store, UploadBody } from './store.js';

/**
 * A {@link Store} that passes every call to `inner`: the base of decorators (caches, counters,
 * limits), which override only the calls they change.
 */
export abstract class ForwardingStore implements Store {
  constructor(protected readonly inner: Store) {}

  putImmutable(body: UploadBody, options?: CallOptions): Promise<string> {
    return this.inner.putImmutable(body, options);
  }
  size(cap: string, options?: CallOptions): Promise<number> {
    return this.inner.size(cap, options);
  }
  get(cap: string, options?: CallOptions): Promise<Uint8Array> {
    return this.inner.get(cap, options);
  }
  getStream(cap: string, options?: CallOptions): AsyncIterable<Uint8Array> {
    return this.inner.getStream(cap, options);
  }
  getRange(cap: string, start: number, length: number, options?: CallOptions): Promise<Uint8Array> {
    return this.inner.getRange(cap, start, length, options);
  }
  mkdirImmutable(children: Record<string, NewChild>, options?: CallOptions): Promise<string> {
    return this.inner.mkdirImmutable(children, options);
  }
  mkdirMutable(children?: Record<string, NewChild>, options?: CallOptions): Promise<string> {
    return this.inner.mkdirMutable(children, options);
  }
  list(dirCap: string, options?: CallOptions): Promise<Map<string, DirEntry>> {
    return this.inner.list(dirCap, options);
  }
  link(dirCap: string, name: string, childCap: string, metadata?: Record<string, unknown>, options?: CallOptions): Promise<void> {
    return this.inner.link(dirCap, name, childCap, metadata, options);
  }
  unlink(dirCap: string, name: string, options?: CallOptions): Promise<void> {
    return this.inner.unlink(dirCap, name, options);
  }
  check(cap: string, options?: CallOptions & { addLease?: boolean }): Promise<HealthReport> {
    return this.inner.check(cap, options);
  }
  deepCheck(dirCap: string, onEvent: (event: DeepCheckEvent) => void, options?: CallOptions & { addLease?: boolean }): Promise<void> {
    return this.inner.deepCheck(dirCap, onEvent, options);
  }
  readOnlyCap(dirCap: string, options?: CallOptions): Promise<string> {
    return this.inner.readOnlyCap(dirCap, options);
  }
}
