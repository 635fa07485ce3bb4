/**
 * One read of a file, feeding every consumer the same chunks: the content hash (BLAKE2b-256),
 * the new signature, the delta against the previous signature, an optional copy, and an
 * optional streamed upload. `fstat` before and after tells whether the file held still.
 */
import { constants, type BigIntStats } from 'node:fs';
import { open } from 'node:fs/promises';
import { releaseHasher, takeHasher } from '../model/blake2b-pool.js';
import type { Store } from '../store/store.js';
import type { DeltaEngine, StreamEncoder } from './delta-engine.js';
import { changedWhileReading, fingerprintOf, type Fingerprint } from './fingerprint.js';
import { SIG_HEADER_LENGTH } from '../delta/signature-format.js';
import { SpillSink } from './spool.js';

/** What one pass should produce, decided once the file's size is known. */
export interface PassPlan {
  /** Build a signature with this block length (and strong length). */
  signature?: { blockLength: number; strongLength: number };
  /** Encode a delta against this signature. */
  oldSignature?: Uint8Array;
  /** Keep a copy of the content (in memory up to the limit, else in the spool). */
  copy?: { memoryLimit: number };
  /** Stream the content to the grid as it is read. */
  upload?: Store;
  /**
   * With `upload` and `signature`: the uploaded object is the content followed by its signature
   * (a one-member pack, see docs/format.md), so a new large file costs one object.
   */
  appendSignature?: boolean;
  /**
   * With `appendSignature`: bytes stored after the signature, read by nobody. A retry of an upload
   * the grid refused adds some, so the object gets a storage index no stale share blocks.
   */
  padding?: Uint8Array;
}

/** The outcome of a pass. */
export interface PassResult {
  stat: BigIntStats;
  size: number;
  hash: string;
  signature?: SpillSink;
  delta?: SpillSink;
  copy?: SpillSink;
  /** Cap of the streamed upload. */
  cap?: string;
  /** With `appendSignature`: where the signature sits in the uploaded object. */
  signatureAt?: { offset: number; size: number };
  /** Fingerprint after the read. */
  after: Fingerprint;
  /** False when the file moved while it was read: the outputs may mix two versions. */
  stable: boolean;
}

/** A problem with this one file (vanished, unreadable, no longer a regular file): a warning, not a failure. */
export class SkipFile extends Error {}

const CHUNK = 1 << 20;
const SIDE_MEMORY = 8 << 20;

/** Reads `path` once according to `plan(size)`; `startNs` is when the job started. */
export async function readPass(path: Buffer, spoolDir: string, engine: DeltaEngine, startNs: bigint, plan: (size: number) => PassPlan): Promise<PassResult> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    throw new SkipFile(describe(err));
  }
  let sigEncoder: StreamEncoder | undefined;
  let deltaEncoder: StreamEncoder | undefined;
  try {
    const stat = await handle.stat({ bigint: true });
    if (stat.isDirectory()) throw new SkipFile('replaced by a directory since the scan');
    if (!stat.isFile()) throw new SkipFile('no longer a regular file');
    const size = Number(stat.size);
    const wants = plan(size);
    const hasher = await takeHasher();
    const both = wants.signature !== undefined && wants.oldSignature !== undefined;
    sigEncoder = wants.signature ? await engine.signature(size, wants.signature.blockLength, wants.signature.strongLength, both) : undefined;
    deltaEncoder = wants.oldSignature ? await engine.delta(wants.oldSignature, size, both) : undefined;
    const signature = sigEncoder ? new SpillSink(spoolDir, SIDE_MEMORY) : undefined;
    const delta = deltaEncoder ? new SpillSink(spoolDir, SIDE_MEMORY) : undefined;
    const copy = wants.copy ? new SpillSink(spoolDir, wants.copy.memoryLimit) : undefined;
    let read = 0;
    let shrank = false;

    const chunks = async function* (): AsyncGenerator<Uint8Array> {
      while (read < size) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - read));
        let got: number;
        try {
          got = (await handle.read(buf, 0, buf.length, read)).bytesRead;
        } catch (err) {
          throw new SkipFile(describe(err));
        }
        if (got === 0) {
          shrank = true;
          return;
        }
        const chunk = buf.subarray(0, got);
        read += got;
        hasher.update(chunk);
        if (sigEncoder && signature) await signature.write(await sigEncoder.update(chunk));
        if (deltaEncoder && delta) await delta.write(await deltaEncoder.update(chunk));
        if (copy) await copy.write(chunk);
        yield chunk;
      }
    };

    const sigLength = wants.appendSignature && wants.signature ? signatureLength(size, wants.signature.blockLength, wants.signature.strongLength) : 0;
    const padding = sigLength > 0 ? wants.padding ?? new Uint8Array(0) : new Uint8Array(0);
    const body = async function* (): AsyncGenerator<Uint8Array> {
      yield* chunks();
      if (sigLength === 0 || read !== size) return;
      await signature!.write(await sigEncoder!.finish());
      await signature!.finish();
      const sig = signature!.body();
      if (sig instanceof Uint8Array) yield sig;
      else yield* sig.stream;
      if (padding.length > 0) yield padding;
    };

    let cap: string | undefined;
    if (wants.upload) {
      try {
        cap = await wants.upload.putImmutable({ stream: body(), size: size + sigLength + padding.length });
      } catch (err) {
        if (err instanceof SkipFile) throw err;
        if (!shrank) throw err;
        cap = undefined;
      }
    } else {
      for await (const _ of chunks());
    }
    if (sigEncoder && signature && !(sigLength > 0 && cap !== undefined)) await signature.write(await sigEncoder.finish());
    if (deltaEncoder && delta) await delta.write(await deltaEncoder.finish());
    for (const sink of [signature, delta, copy]) await sink?.finish();
    const afterStat = await handle.stat({ bigint: true });
    const after = fingerprintOf(afterStat);
    const stable = !shrank && !changedWhileReading(fingerprintOf(stat), after, startNs);
    const result: PassResult = { stat: afterStat, size: read, hash: hasher.digest('hex'), after, stable };
    releaseHasher(hasher);
    if (signature) result.signature = signature;
    if (delta) result.delta = delta;
    if (copy) result.copy = copy;
    if (cap !== undefined && stable) {
      result.cap = cap;
      if (sigLength > 0) result.signatureAt = { offset: size, size: sigLength };
    }
    return result;
  } finally {
    await sigEncoder?.close();
    await deltaEncoder?.close();
    await handle.close();
  }
}

/** Length of an rdiff signature: the 12-byte header and, per block, a 4-byte weak and a strong sum. */
export function signatureLength(size: number, blockLength: number, strongLength: number): number {
  return SIG_HEADER_LENGTH + Math.ceil(size / blockLength) * (4 + strongLength);
}

/** Drops every spooled output of a pass. */
export async function discardPass(result: PassResult | undefined): Promise<void> {
  if (!result) return;
  for (const sink of [result.signature, result.delta, result.copy]) await sink?.discard();
}

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return 'vanished since the scan';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ELOOP': return 'replaced by a symbolic link since the scan';
    case 'EISDIR': return 'replaced by a directory since the scan';
    default: return code ? `cannot read (${code})` : `cannot read (${String(err)})`;
  }
}
