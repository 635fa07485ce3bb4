/**
 * A {@link Store} wrapper that counts the content bytes moved, for reports such as rebase's
 * "downloaded / uploaded". Directory listings and checks are not counted.
 */
import type { CallOptions, DeepCheckEvent, DirEntry, HealthReport, NewChild, Store, UploadBody } from '../store/store.js';

/** Counts bytes read and written through the wrapped store. */
export class CountingStore implements Store {
  downloaded = 0;
  uploaded = 0;

  constructor(private readonly inner: Store) {}

  async putImmutable(body: UploadBody, options?: CallOptions): Promise<string> {
    this.uploaded += body instanceof Uint8Array ? body.length : body.size;
    return this.inner.putImmutable(body, options);
  }

  size(cap: string, options?: CallOptions): Promise<number> {
    return this.inner.size(cap, options);
  }

  async get(cap: string, options?: CallOptions): Promise<Uint8Array> {
    const data = await this.inner.get(cap, options);
    this.downloaded += data.length;
    return data;
  }

  async *getStream(cap: string, options?: CallOptions): AsyncIterable<Uint8Array> {
    for await (const chunk of this.inner.getStream(cap, options)) {
      this.downloaded += chunk.length;
      yield chunk;
    }
  }

  async getRange(cap: string, start: number, length: number, options?: CallOptions): Promise<Uint8Array> {
    const data = await this.inner.getRange(cap, start, length, options);
    this.downloaded += data.length;
    return data;
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
