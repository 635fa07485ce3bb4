/**
 * Small files are packed: their contents are concatenated into one immutable pack object (one
 * upload instead of hundreds; the grid's per-object CPU cost is what limits small-file pushes).
 * Each member's edge points at the pack with `storage: 'packed'` and `pack.offset`, so the pack
 * is reachable through every snapshot that uses it and each member is range-readable.
 * A member's job stays queued until its pack is uploaded and recorded, so a crash redoes it.
 */
import type { Catalog, CatalogOp } from '../catalog/catalog.js';
import type { PathRecord } from '../catalog/records.js';
import type { EntryMeta } from '../model/entry.js';
import type { Store } from '../store/store.js';
import type { PaddableCall } from '../store/unhappy-retry.js';
import type { PushStats } from './events.js';
import type { Fingerprint } from './fingerprint.js';

interface Member {
  key: Buffer;
  offset: number;
  meta: EntryMeta;
  fp: Fingerprint;
}

/** Pack uploads in flight at once. */
export const PACK_UPLOADS = 2;

/** Collects small files into packs and records them when a pack is uploaded. */
export class Packer {
  private parts: Uint8Array[] = [];
  private members: Member[] = [];
  private size = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  constructor(
    private readonly store: Store,
    private readonly catalog: Catalog,
    private readonly stats: PushStats,
    private readonly maxBytes = 8 << 20,
    private readonly maxMembers = 2000,
  ) {}

  /** Adds one file's content; uploads the pack when it is full. */
  async add(key: Buffer, content: Uint8Array, meta: EntryMeta, fp: Fingerprint): Promise<void> {
    this.members.push({ key, offset: this.size, meta, fp });
    this.parts.push(content);
    this.size += content.length;
    if (this.size >= this.maxBytes || this.members.length >= this.maxMembers) await this.flush(false);
  }

  /** Uploads and records whatever is collected; up to {@link PACK_UPLOADS} packs upload at once, the last flush waits for all. */
  async flush(final = true): Promise<void> {
    const members = this.members;
    const body = Buffer.concat(this.parts);
    this.members = [];
    this.parts = [];
    this.size = 0;
    if (this.failure !== undefined) throw this.failure;
    if (members.length > 0) {
      while (this.inFlight.size >= PACK_UPLOADS) await Promise.race(this.inFlight);
      const run = this.upload(body, members);
      this.inFlight.add(run);
      void run.then(() => this.inFlight.delete(run), (err: unknown) => { this.failure ??= err; this.inFlight.delete(run); });
      if (!final) return;
    }
    await Promise.all(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }

  private async upload(body: Buffer, members: Member[]): Promise<void> {
    // Members are read at their offsets only: a retry the grid refused may pad the pack (a new storage index).
    const call: PaddableCall = { paddable: true };
    const cap = await this.store.putImmutable(body, call);
    this.stats.uploads++;
    this.stats.bytesUploaded += body.length;
    const ops: CatalogOp[] = [];
    for (const m of members) {
      const meta: EntryMeta = { ...m.meta, storage: 'packed', pack: { offset: m.offset } };
      delete meta.chain;
      delete meta.sig;
      const record: PathRecord = { fp: m.fp, meta, cap };
      ops.push({ put: 'paths', key: m.key, value: record }, { put: 'pending', key: m.key, value: { meta, cap } }, { del: 'queue', key: m.key });
    }
    await this.catalog.write(ops);
  }
}
