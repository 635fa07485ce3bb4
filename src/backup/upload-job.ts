/**
 * Stage 2 of a push, one job: read a changed file once, decide whole versus delta, upload what
 * the decision needs, and record the result together with the job's ack in one catalog batch.
 */
import { readlink, lstat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Catalog, CatalogOp } from '../catalog/catalog.js';
import { displayPath, keyToPath } from '../catalog/path-key.js';
import type { ChainInfo, PathRecord, PendingEntry, UploadJob } from '../catalog/records.js';
import { VERSION_NODE, type EntryMeta, type VersionPartMeta } from '../model/entry.js';
import type { NewChild, Store } from '../store/store.js';
import { TimefsError } from '../model/errors.js';
import type { DeltaEngine } from './delta-engine.js';
import type { Packer } from './packer.js';
import { loadChainSignature, SIGNATURE_CHAIN, signatureDelta } from './signature-chain.js';
import { retryPadding, retryWhileUnhappy } from '../store/unhappy-retry.js';
import { entryMetaOf } from './entry-meta.js';
import type { PushEvents, PushStats } from './events.js';
import { discardPass, readPass, SkipFile, type PassPlan, type PassResult } from './file-pass.js';
import { fingerprintOf, storedFingerprint } from './fingerprint.js';
import { chooseBlockLength, STRONG_LEN } from '../model/signature-params.js';
import { chooseStorage, shouldTryDelta, type PreviousVersion, type StoragePolicy } from './policy.js';
import { SpillSink } from './spool.js';

/** Everything a job needs. */
export interface JobContext {
  store: Store;
  catalog: Catalog;
  engine: DeltaEngine;
  policy: StoragePolicy;
  spoolDir: string;
  stats: PushStats;
  events: PushEvents;
  /** Collects small files into pack objects; without one, small files are uploaded one by one. */
  packer?: Packer;
}

const COPY_ATTEMPTS = 5;
/** A start time no mtime reaches: a spool copy is private, only its size and times moving would matter. */
const SPOOL_COPY = 1n << 62n;
/** Longest content Tahoe stores in the cap itself (`URI:LIT:`): made locally, cheaper than a pack member. */
const LIT_MAX_BYTES = 55;

/**
 * Runs one queued job to completion (or to a warning); grid errors propagate. Returns 'packed'
 * when the file waits in a pack (the packer acks its job once the pack is uploaded), else 'acked'.
 */
export async function runJob(ctx: JobContext, key: Buffer, job: UploadJob): Promise<'acked' | 'packed'> {
  const pending = await ctx.catalog.getPending(key);
  if (!pending) {
    await ctx.catalog.write([{ del: 'queue', key }]);
    return 'acked';
  }
  try {
    const ops = job.kind === 'symlink' ? await symlinkJob(ctx, key, pending) : await fileJob(ctx, key, pending);
    if (ops === 'packed') return 'packed';
    await ctx.catalog.write([...ops, { del: 'queue', key }]);
  } catch (err) {
    if (!(err instanceof SkipFile)) throw err;
    ctx.stats.warnings++;
    ctx.events.onWarning?.({ path: displayPath(key), reason: err.message });
    await ctx.catalog.write([{ del: 'pending', key }, { del: 'queue', key }]);
  }
  return 'acked';
}

async function symlinkJob(ctx: JobContext, key: Buffer, pending: PendingEntry): Promise<CatalogOp[] | 'packed'> {
  const path = keyToPath(key);
  let target: Buffer;
  let stat;
  try {
    stat = await lstat(path, { bigint: true });
    if (!stat.isSymbolicLink()) throw new SkipFile('no longer a symbolic link');
    target = await readlink(path, { encoding: 'buffer' });
  } catch (err) {
    if (err instanceof SkipFile) throw err;
    throw new SkipFile(`cannot read link (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const previous = await ctx.catalog.getPath(key);
  const encoded = target.toString('base64');
  const meta: EntryMeta = { ...pending.meta, ...entryMetaOf(stat), size: target.length };
  const fp = fingerprintOf(stat);
  let cap: string;
  if (previous?.meta.type === 'symlink' && previous.target === encoded) {
    // Unchanged: the same object, or the same place in the same pack.
    cap = previous.cap;
    if (previous.meta.storage !== undefined) meta.storage = previous.meta.storage;
    if (previous.meta.pack !== undefined) meta.pack = previous.meta.pack;
  } else if (target.length > LIT_MAX_BYTES && ctx.packer) {
    // A long target goes into a pack like a small file: no object of its own.
    await ctx.packer.add(key, target, { ...meta, storage: 'packed' }, fp, { target: encoded });
    return 'packed';
  } else {
    cap = await ctx.store.putImmutable(target);
    // A short target is a LIT cap, computed locally: no object, no request.
    if (!cap.startsWith('URI:LIT:')) count(ctx.stats, target.length);
  }
  const record: PathRecord = { fp, meta, cap, target: encoded };
  return [{ put: 'paths', key, value: record }, { put: 'pending', key, value: { meta, cap } }];
}

async function fileJob(ctx: JobContext, key: Buffer, pending: PendingEntry): Promise<CatalogOp[] | 'packed'> {
  const { store, policy, stats } = ctx;
  const path = keyToPath(key);
  const previous = await ctx.catalog.getPath(key);
  const chain = previous?.meta.type === 'file' && previous.meta.storage === 'chain' ? previous.chain : undefined;
  // A large file pushed new is one object holding its content and then its signature.
  const packedSig = previous?.meta.type === 'file' && previous.meta.storage === 'packed' && previous.meta.sig && previous.meta.pack?.offset === 0 ? previous.meta.sig : undefined;
  const prevVersion: PreviousVersion | undefined = chain ? { chainLength: chain.deltas.length, hasSignature: true } : packedSig ? { chainLength: 0, hasSignature: true } : undefined;
  const startNs = BigInt(Date.now()) * 1_000_000n;
  let oldSignature: Uint8Array | undefined;
  // `attempt`: of a pass the grid refused (see retryWhileUnhappy); later ones pad the object.
  const selfPack = (size: number, attempt = 0): PassPlan => {
    const padding = retryPadding(attempt);
    return { signature: { blockLength: chooseBlockLength(size), strongLength: STRONG_LEN }, upload: store, appendSignature: true, ...(padding ? { padding } : {}) };
  };
  const planFor = (size: number, allowUpload: boolean, attempt = 0): PassPlan => {
    if (size <= policy.smallFileBytes) return { copy: { memoryLimit: policy.smallFileBytes } };
    if (oldSignature && shouldTryDelta(size, prevVersion, policy)) return { signature: { blockLength: chooseBlockLength(size), strongLength: STRONG_LEN }, oldSignature };
    return allowUpload ? selfPack(size, attempt) : { signature: { blockLength: chooseBlockLength(size), strongLength: STRONG_LEN } };
  };
  if (shouldTryDelta(pending.meta.size, prevVersion, policy)) {
    oldSignature = chain ? await loadChainSignature(store, chain) : await store.getRange(previous!.cap, packedSig!.offset, packedSig!.size);
  }

  const copies: SpillSink[] = [];
  // A pass that streams to the grid is redone whole if the grid refuses the upload for a moment.
  let pass = await retryWhileUnhappy((attempt) => stablePass(ctx, path, startNs, (size) => planFor(size, true, attempt)));
  if (pass.copy) copies.push(pass.copy);
  try {
    stats.bytesRead += pass.result.size;
    const size = pass.result.size;
    const fileMeta: EntryMeta = { ...pending.meta, ...entryMetaOf(pass.result.stat), size, hash: pass.result.hash };
    const fp = storedFingerprint(pass.result.after, startNs);
    if (previous && previous.meta.type === 'file' && previous.meta.hash === pass.result.hash && previous.meta.size === size) {
      const meta: EntryMeta = { ...fileMeta, storage: previous.meta.storage ?? 'whole' };
      if (previous.meta.chain !== undefined) meta.chain = previous.meta.chain;
      if (previous.meta.pack !== undefined) meta.pack = previous.meta.pack;
      if (previous.meta.sig !== undefined) meta.sig = previous.meta.sig;
      return recordOps(key, { fp, meta, cap: previous.cap, ...(previous.chain ? { chain: previous.chain } : {}) });
    }
    const deltaBytes = pass.result.delta?.size;
    const choice = chooseStorage(size, prevVersion, deltaBytes, policy);
    if (choice === 'whole' && ctx.packer && size > 0) {
      stats.wholeFiles++;
      await ctx.packer.add(key, pass.result.copy!.body() as Uint8Array, { ...fileMeta, storage: 'packed' }, fp);
      return 'packed';
    }
    if (choice === 'whole') {
      const cap = await upload(ctx, pass.result.copy!);
      stats.wholeFiles++;
      return recordOps(key, { fp, meta: { ...fileMeta, storage: 'whole' }, cap });
    }
    if (choice === 'new-chain') {
      if (pass.result.cap === undefined) {
        // Pass 1 computed a delta or could not upload: read again, streaming to the grid (its own hash and signature).
        await discardPass(pass.result);
        const fromCopy = pass.source !== path;
        const first = pass.result;
        const source = pass.source;
        pass = await retryWhileUnhappy((attempt) => stablePass(ctx, source, fromCopy ? SPOOL_COPY : startNs, (size) => selfPack(size, attempt)));
        if (pass.copy) copies.push(pass.copy);
        if (fromCopy) {
          pass.result.after = first.after;
          pass.result.stat = first.stat;
        }
        stats.bytesRead += pass.result.size;
        fileMeta.size = pass.result.size;
        fileMeta.hash = pass.result.hash;
      }
      const at = pass.result.signatureAt;
      if (pass.result.cap === undefined || at === undefined) throw new TimefsError('internal', `${displayPath(key)}: the streamed upload left no cap`);
      count(stats, at.offset + at.size);
      stats.wholeFiles++;
      const meta: EntryMeta = { ...fileMeta, storage: 'packed', pack: { offset: 0 }, sig: at };
      return recordOps(key, { fp: storedFingerprint(pass.result.after, startNs), meta, cap: pass.result.cap });
    }
    // choice === 'delta': a chain starts (from a packed version with its signature) or grows.
    const delta = { cap: await upload(ctx, pass.result.delta!), size: pass.result.delta!.size };
    const newSignature = await sinkBytes(pass.result.signature!);
    let info: ChainInfo;
    if (chain) {
      const sigDelta = await signatureDelta(oldSignature!, newSignature);
      const sigPart = { cap: await ctx.store.putImmutable(sigDelta), size: sigDelta.length };
      count(stats, sigDelta.length);
      info = { base: chain.base, deltas: [...chain.deltas, delta], sig: chain.sig, sigDeltas: [...(chain.sigDeltas ?? []), sigPart], blockLength: chooseBlockLength(size) };
    } else {
      const sig = { cap: await ctx.store.putImmutable(newSignature), size: newSignature.length };
      count(stats, newSignature.length);
      info = { base: { cap: previous!.cap, size: previous!.meta.size }, deltas: [delta], sig, blockLength: chooseBlockLength(size) };
    }
    stats.deltas++;
    const nodeCap = await store.mkdirImmutable(versionNodeChildren(info));
    const meta: EntryMeta = { ...fileMeta, storage: 'chain', chain: info.deltas.length };
    return recordOps(key, { fp, meta, cap: nodeCap, chain: info });
  } finally {
    await discardPass(pass.result);
    for (const copy of copies) await copy.discard();
  }
}

/** The children of a version node: `{base, d001…, sig}`, or `{base, d001…, sigbase, s001…}` (see signature-chain.ts). */
export function versionNodeChildren(info: ChainInfo): Record<string, NewChild> {
  const part = (role: VersionPartMeta['timefs']['role'], p: { cap: string; size: number }): NewChild => ({ cap: p.cap, metadata: { timefs: { role, size: p.size } } });
  const children: Record<string, NewChild> = { [VERSION_NODE.base]: part('base', info.base) };
  info.deltas.forEach((d, i) => { children[VERSION_NODE.deltaName(i + 1)] = part('delta', d); });
  if (info.sigDeltas === undefined || info.sigDeltas.length === 0) children[VERSION_NODE.signature] = part('sig', info.sig);
  else {
    children[SIGNATURE_CHAIN.base] = part('sig', info.sig);
    info.sigDeltas.forEach((d, i) => { children[SIGNATURE_CHAIN.deltaName(i + 1)] = part('sig', d); });
  }
  return children;
}

function recordOps(key: Buffer, record: PathRecord): CatalogOp[] {
  return [{ put: 'paths', key, value: record }, { put: 'pending', key, value: { meta: record.meta, cap: record.cap } }];
}

async function upload(ctx: JobContext, sink: SpillSink): Promise<string> {
  // A spooled body is a fresh stream on every call, so it can be sent again.
  const cap = sink.path === undefined ? await ctx.store.putImmutable(sink.body()) : await retryWhileUnhappy(() => ctx.store.putImmutable(sink.body()));
  // Empty and tiny bodies are LIT caps made locally: no object, no request.
  if (!cap.startsWith('URI:LIT:')) count(ctx.stats, sink.size);
  return cap;
}

async function sinkBytes(sink: SpillSink): Promise<Uint8Array> {
  const body = sink.body();
  if (body instanceof Uint8Array) return body;
  const parts: Uint8Array[] = [];
  for await (const part of body.stream) parts.push(part);
  return Buffer.concat(parts);
}

function count(stats: PushStats, bytes: number): void {
  stats.uploads++;
  stats.bytesUploaded += bytes;
}

/**
 * A pass whose outputs describe content that really existed: the file itself when it held still,
 * else a spooled copy taken while it held still (up to {@link COPY_ATTEMPTS} tries).
 */
async function stablePass(ctx: JobContext, path: Buffer, startNs: bigint, plan: (size: number) => PassPlan): Promise<{ result: PassResult; source: Buffer; copy?: SpillSink }> {
  const first = await readPass(path, ctx.spoolDir, ctx.engine, startNs, plan);
  if (first.stable) return { result: first, source: path };
  await discardPass(first);
  let copyPass: PassResult | undefined;
  for (let attempt = 1; attempt <= COPY_ATTEMPTS; attempt++) {
    await discardPass(copyPass);
    // Give a writer a moment to finish, and the coarse file clock time to move past it.
    await sleep(25 * attempt);
    copyPass = await readPass(path, ctx.spoolDir, ctx.engine, BigInt(Date.now()) * 1_000_000n, () => ({ copy: { memoryLimit: 0 } }));
    ctx.stats.bytesRead += copyPass.size;
    if (copyPass.stable) break;
  }
  const copy = copyPass!.copy!;
  if (copy.path === undefined) {
    // The file is empty now: nothing can move in an empty read.
    await discardPass(copyPass);
    const empty = await readPass(path, ctx.spoolDir, ctx.engine, SPOOL_COPY, plan);
    return { result: empty, source: path };
  }
  if (!copyPass!.stable) {
    ctx.stats.warnings++;
    ctx.events.onWarning?.({ path: path.toString('utf8'), reason: `kept changing while being read (${COPY_ATTEMPTS} tries); stored the last copy` });
  }
  const source = Buffer.from(copy.path!);
  const result = await readPass(source, ctx.spoolDir, ctx.engine, SPOOL_COPY, plan);
  // The copy's own stat is meaningless for change detection: keep the original file's.
  result.after = copyPass!.after;
  result.stat = copyPass!.stat;
  return { result, source, copy };
}
