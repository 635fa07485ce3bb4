/**
 * A {@link Store} wrapper that counts the content bytes moved, for reports such as rebase's
 * "downloaded / uploaded". Directory listings and checks are not counted.
 */
import type { CallOptions, UploadBody } from '../store/store.js';
import { ForwardingStore } from '../store/forwarding-store.js';

/** Counts bytes read and written through the wrapped store. */
export class CountingStore extends ForwardingStore {
  downloaded = 0;
  uploaded = 0;

  override async putImmutable(body: UploadBody, options?: CallOptions): Promise<string> {
    this.uploaded += body instanceof Uint8Array ? body.length : body.size;
    return this.inner.putImmutable(body, options);
  }

  override async get(cap: string, options?: CallOptions): Promise<Uint8Array> {
    const data = await this.inner.get(cap, options);
    this.downloaded += data.length;
    return data;
  }

  override async *getStream(cap: string, options?: CallOptions): AsyncIterable<Uint8Array> {
    for await (const chunk of this.inner.getStream(cap, options)) {
      this.downloaded += chunk.length;
      yield chunk;
    }
  }

  override async getRange(cap: string, start: number, length: number, options?: CallOptions): Promise<Uint8Array> {
    const data = await this.inner.getRange(cap, start, length, options);
    this.downloaded += data.length;
    return data;
  }

}
