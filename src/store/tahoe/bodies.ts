/**
 * Request bodies and answer checks for the Tahoe web API: children JSON, exact-length upload
 * streams, length checks of downloads, and the local refusal of writes through read-only caps.
 */
import { Readable } from 'node:stream';
import { TimefsError } from '../../model/errors.js';
import type { NewChild } from '../store.js';
import { canonicalJson } from './canonical-json.js';
import { isWriteCap } from './caps.js';
import { checkChildName } from './child-name.js';

/** The children JSON of `mkdir-*` and `set_children`, canonical so equal input gives equal caps. */
export function childrenJson(children: Record<string, NewChild>, immutable: boolean): string {
  const out: Record<string, [string, Record<string, unknown>]> = {};
  for (const [name, child] of Object.entries(children)) {
    const key = checkChildName(name);
    if (key in out) throw new TimefsError('usage', `two children are both named ${JSON.stringify(key)} after NFC normalisation`);
    const write = !immutable && isWriteCap(child.cap);
    const type = /^URI:DIR2/.test(child.cap) ? 'dirnode' : 'filenode';
    out[key] = [type, { [write ? 'rw_uri' : 'ro_uri']: child.cap, metadata: child.metadata ?? {} }];
  }
  return canonicalJson(out);
}

/** Tahoe answers a write through a read-only dircap with a bare assertion failure: refuse it here. */
export function writable(dirCap: string, what: string): void {
  if (!/^URI:(DIR2|DIR2-MDMF):/.test(dirCap)) throw new TimefsError('grid.not-writeable', `${what}: the directory is read-only (or immutable)`);
}

export function checkLength(actual: number, expected: number, what: string): void {
  if (!Number.isFinite(expected) || actual === expected) return;
  throw new TimefsError('grid.bad-response', `${what}: got ${actual} bytes, expected ${expected} (the download broke off or was padded with an error text)`, {
    hint: 'check the grid (`npm run grid:status`) and retry',
  });
}

/** A one-shot body that fails instead of hanging when the stream is shorter or longer than announced. */
export function exactly(stream: AsyncIterable<Uint8Array>, size: number, what: string): () => Readable {
  return () => Readable.from((async function* () {
    let sent = 0;
    for await (const chunk of stream) {
      sent += chunk.length;
      if (sent > size) throw new TimefsError('io', `${what}: the data is longer than announced (did the file change while it was read?)`);
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    if (sent !== size) throw new TimefsError('io', `${what}: the data ended after ${sent} bytes (did the file change while it was read?)`);
  })(), { objectMode: false });
}
