import { setTimeout as sleep } from 'node:timers/promises';
import { redactCap } from '../../model/cap.js';
import { isTimefsError, TimefsError } from '../../model/errors.js';
import type { CallOptions, DeepCheckEvent, DirEntry, HealthReport, NewChild, Store, UploadBody } from '../store.js';
import { checkLength, childrenJson, exactly, writable } from './bodies.js';
import { isLiteralCap, knownReadOnlyCap, LIT_MAX_BYTES, literalCap, literalData, sizeFromCap } from './caps.js';
import { checkChildName } from './child-name.js';
import { TahoeHttp, type HttpSettings } from './http.js';
import { parseCheck, parseDeepCheckLine, parseListing } from './json-shapes.js';

/** Options of a {@link TahoeStore}; only the node URL is required. */
export interface TahoeStoreOptions extends Partial<HttpSettings> {
  nodeUrl: string;
}

const enc = encodeURIComponent;

/**
 * The {@link Store} on a real Tahoe-LAFS client node's web API. Reads of LIT caps and sizes of
 * CHK caps are answered locally; every request has timeouts; transient failures are retried only
 * where repeating cannot change the outcome.
 */
export class TahoeStore implements Store {
  private readonly http: TahoeHttp;
  private readonly readOnlyCaps = new Map<string, string>();

  constructor(options: TahoeStoreOptions) {
    this.http = new TahoeHttp({ timeoutMs: 60_000, retries: 4, retryDelayMs: 250, ...options });
  }

  /** The client node's base URL (with a trailing slash). */
  get nodeUrl(): string {
    return this.http.nodeUrl;
  }

  async putImmutable(body: UploadBody, options: CallOptions = {}): Promise<string> {
    const size = body instanceof Uint8Array ? body.length : body.size;
    // Tahoe keeps files of ≤ 55 bytes inside the cap: the same cap, computed without a request.
    if (size <= LIT_MAX_BYTES) return literalCap(body instanceof Uint8Array ? body : await collect(body.stream, size));
    const what = `upload of ${size} bytes`;
    const res = await this.http.request({
      method: 'PUT',
      path: 'uri',
      headers: { 'content-length': String(size) },
      // Convergent encryption makes a repeated upload of the same bytes harmless.
      body: body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : exactly(body.stream, size, what),
      what,
      idempotent: true,
      // Tahoe spools the body, then encodes and stores it before answering: allow ~1 s per MiB.
      extraWaitMs: Math.ceil(size / 1024),
      once: !(body instanceof Uint8Array),
      signal: options.signal,
    });
    return this.capFrom(res.body, what);
  }

  async size(cap: string, options: CallOptions = {}): Promise<number> {
    const known = sizeFromCap(cap);
    if (known !== undefined) return known;
    const what = `size of ${redactCap(cap)}`;
    const res = await this.http.request({ method: 'GET', path: `uri/${enc(cap)}`, query: { t: 'json' }, what, idempotent: true, signal: options.signal });
    const node = JSON.parse(res.body.toString('utf8')) as [string, { size?: unknown }];
    if (node[0] !== 'filenode' || typeof node[1]?.size !== 'number') throw new TimefsError('grid.bad-response', `${what}: not a file of known size`);
    return node[1].size;
  }

  async get(cap: string, options: CallOptions = {}): Promise<Uint8Array> {
    if (cap.startsWith('URI:LIT:')) return literalData(cap);
    const what = `download of ${redactCap(cap)}`;
    const res = await this.http.request({ method: 'GET', path: `uri/${enc(cap)}`, what, idempotent: true, signal: options.signal });
    const expected = sizeFromCap(cap) ?? Number(res.headers['content-length']);
    checkLength(res.body.length, expected, what);
    return new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.byteLength);
  }

  async *getStream(cap: string, options: CallOptions = {}): AsyncIterable<Uint8Array> {
    if (cap.startsWith('URI:LIT:')) {
      yield literalData(cap);
      return;
    }
    const what = `download of ${redactCap(cap)}`;
    const size = await this.size(cap, options);
    let pos = 0;
    let failures = 0;
    // A stream that breaks part-way resumes with a range request from where it stopped.
    while (pos < size) {
      try {
        const res = await this.http.openStream({
          method: 'GET',
          path: `uri/${enc(cap)}`,
          headers: pos > 0 ? { range: `bytes=${pos}-${size - 1}` } : {},
          what,
          idempotent: true,
          once: true,
          signal: options.signal,
        });
        if (pos > 0 && res.status !== 206) throw new TimefsError('grid.bad-response', `${what}: the node ignored the range request`);
        for await (const chunk of res.body) {
          if (pos + chunk.length > size) throw new TimefsError('grid.bad-response', `${what}: the node sent more than ${size} bytes (a failed download is padded with an error text)`);
          pos += chunk.length;
          yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        }
        checkLength(pos, size, what);
      } catch (err) {
        if (!isTimefsError(err, 'grid.timeout', 'grid.unreachable') || ++failures > this.http.settings.retries || options.signal?.aborted) throw err;
        await sleep(this.http.settings.retryDelayMs * 2 ** (failures - 1));
      }
    }
  }

  async getRange(cap: string, start: number, length: number, options: CallOptions = {}): Promise<Uint8Array> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0) {
      throw new TimefsError('internal', `bad range ${start}+${length}`);
    }
    const size = await this.size(cap, options);
    const end = Math.min(start + length, size);
    if (start >= end) return new Uint8Array(0);
    if (cap.startsWith('URI:LIT:')) return literalData(cap).slice(start, end);
    const what = `read of bytes ${start}-${end - 1} of ${redactCap(cap)}`;
    const res = await this.http.request({
      method: 'GET',
      path: `uri/${enc(cap)}`,
      headers: { range: `bytes=${start}-${end - 1}` },
      what,
      idempotent: true,
      signal: options.signal,
    });
    if (res.status !== 206) throw new TimefsError('grid.bad-response', `${what}: expected a partial answer (206), got ${res.status}`);
    const contentRange = res.headers['content-range'];
    if (contentRange !== `bytes ${start}-${end - 1}/${size}`) throw new TimefsError('grid.bad-response', `${what}: unexpected Content-Range ${contentRange}`);
    checkLength(res.body.length, end - start, what);
    return new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.byteLength);
  }

  async mkdirImmutable(children: Record<string, NewChild>, options: CallOptions = {}): Promise<string> {
    const what = `creation of an immutable directory with ${Object.keys(children).length} children`;
    const res = await this.http.request({
      method: 'POST',
      path: 'uri',
      query: { t: 'mkdir-immutable' },
      body: childrenJson(children, true),
      what,
      idempotent: true,
      signal: options.signal,
    });
    return this.capFrom(res.body, what);
  }

  async mkdirMutable(children: Record<string, NewChild> = {}, options: CallOptions = {}): Promise<string> {
    const what = 'creation of a mutable directory';
    const empty = Object.keys(children).length === 0;
    const res = await this.http.request({
      method: 'POST',
      path: 'uri',
      query: { t: empty ? 'mkdir' : 'mkdir-with-children' },
      ...(empty ? {} : { body: childrenJson(children, false) }),
      what,
      // Each call makes a new directory: not repeated unless the node never saw the request.
      idempotent: false,
      signal: options.signal,
    });
    return this.capFrom(res.body, what);
  }

  async list(dirCap: string, options: CallOptions = {}): Promise<Map<string, DirEntry>> {
    const what = `listing of ${redactCap(dirCap)}`;
    const res = await this.http.request({ method: 'GET', path: `uri/${enc(dirCap)}/`, query: { t: 'json' }, what, idempotent: true, signal: options.signal });
    return parseListing(res.body.toString('utf8'), what);
  }

  async link(dirCap: string, name: string, childCap: string, metadata?: Record<string, unknown>, options: CallOptions = {}): Promise<void> {
    const key = checkChildName(name);
    const what = `link of ${JSON.stringify(key)} into ${redactCap(dirCap)}`;
    writable(dirCap, what);
    const body = childrenJson({ [key]: metadata === undefined ? { cap: childCap } : { cap: childCap, metadata } }, false);
    let uncertain = false;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.http.request({
          method: 'POST',
          path: `uri/${enc(dirCap)}/`,
          query: { t: 'set_children', replace: 'false' },
          body,
          what,
          idempotent: false,
          signal: options.signal,
        });
        return;
      } catch (err) {
        if (isTimefsError(err, 'grid.conflict') && uncertain && (await this.childIs(dirCap, key, childCap, options))) return;
        if (!isTimefsError(err, 'grid.timeout', 'grid.unreachable', 'grid.refused') || attempt >= 3 || options.signal?.aborted) throw err;
        if (isTimefsError(err, 'grid.refused') && !/ HTTP 5\d\d/.test(err.message)) throw err;
        // The outcome is unknown: look before linking again, never blindly repeat.
        uncertain = true;
        const present = await this.childIs(dirCap, key, childCap, options).catch((lookErr: unknown) => {
          if (isTimefsError(lookErr, 'grid.conflict')) throw lookErr;
          return undefined;
        });
        if (present === true) return;
        if (present === undefined) throw err;
      }
    }
  }

  async unlink(dirCap: string, name: string, options: CallOptions = {}): Promise<void> {
    const key = checkChildName(name);
    const what = `unlink of ${JSON.stringify(key)} from ${redactCap(dirCap)}`;
    writable(dirCap, what);
    let attempted = false;
    await this.http.withRetries({ idempotent: true, signal: options.signal }, async () => {
      try {
        // Retried only by the loop around it, which knows how to read a later "not found".
        await this.http.request({ method: 'DELETE', path: `uri/${enc(dirCap)}/${enc(key)}`, what, idempotent: false, once: true, signal: options.signal });
      } catch (err) {
        // After an attempt with an unknown outcome, "not found" means that attempt removed it.
        if (attempted && isTimefsError(err, 'grid.not-found')) return;
        attempted = true;
        throw err;
      }
    });
  }

  async check(cap: string, options: CallOptions & { addLease?: boolean } = {}): Promise<HealthReport> {
    if (isLiteralCap(cap)) return { healthy: true, recoverable: true, sharesGood: 0, sharesNeeded: 0, sharesTotal: 0, literal: true };
    const what = `check of ${redactCap(cap)}`;
    const res = await this.http.request({
      method: 'POST',
      path: `uri/${enc(cap)}`,
      query: { t: 'check', output: 'JSON', ...(options.addLease ? { 'add-lease': 'true' } : {}) },
      what,
      idempotent: true,
      signal: options.signal,
    });
    return parseCheck(res.body.toString('utf8'), what, false);
  }

  async deepCheck(dirCap: string, onEvent: (event: DeepCheckEvent) => void, options: CallOptions & { addLease?: boolean } = {}): Promise<void> {
    const what = `deep-check of ${redactCap(dirCap)}`;
    const res = await this.http.openStream({
      method: 'POST',
      path: `uri/${enc(dirCap)}/`,
      query: { t: 'stream-deep-check', ...(options.addLease ? { 'add-lease': 'true' } : {}) },
      what,
      idempotent: true,
      signal: options.signal,
    });
    let pending = '';
    for await (const chunk of res.body) {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const event = parseDeepCheckLine(line, what);
        if (event) onEvent(event);
      }
    }
    const last = parseDeepCheckLine(pending, what);
    if (last) onEvent(last);
  }

  async readOnlyCap(dirCap: string, options: CallOptions = {}): Promise<string> {
    const known = knownReadOnlyCap(dirCap) ?? this.readOnlyCaps.get(dirCap);
    if (known !== undefined) return known;
    const what = `read-only cap of ${redactCap(dirCap)}`;
    const res = await this.http.request({ method: 'GET', path: `uri/${enc(dirCap)}`, query: { t: 'readonly-uri' }, what, idempotent: true, signal: options.signal });
    const readCap = this.capFrom(res.body, what);
    // A cap's read-only cap never changes: asked once per store (a repository's root, mostly).
    if (this.readOnlyCaps.size < 64) this.readOnlyCaps.set(dirCap, readCap);
    return readCap;
  }

  /** Whether `name` in `dirCap` is `childCap` (false when it is absent or different). */
  private async childIs(dirCap: string, name: string, childCap: string, options: CallOptions): Promise<boolean> {
    const entry = (await this.list(dirCap, options)).get(name);
    if (!entry) return false;
    if (entry.cap === childCap || entry.readCap === childCap) return true;
    throw new TimefsError('grid.conflict', `"${name}" already exists in ${redactCap(dirCap)}`);
  }

  private capFrom(body: Buffer, what: string): string {
    const cap = body.toString('utf8').trim();
    if (!/^URI:[A-Z0-9-]+:/.test(cap)) throw new TimefsError('grid.bad-response', `${what}: the node did not answer with a cap`);
    return cap;
  }
}

async function collect(stream: AsyncIterable<Uint8Array>, size: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let got = 0;
  for await (const part of stream) {
    parts.push(part);
    got += part.length;
  }
  checkLength(got, size, `upload of ${size} bytes`);
  return Buffer.concat(parts);
}
