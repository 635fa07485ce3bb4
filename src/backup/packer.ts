/**
 * Small files (and symlink targets too long for a LIT cap) are packed: their contents are concatenated into one immutable pack object (one
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
  /** A symlink's target (base64), kept in its path record to see later that it is unchanged. */
  target?: string;
}

/** Pack uploads in flight at once. */
export const PACK_UPLOADS = 2;

/**
 * Collects small files into packs and records them when a pack is uploaded. Each file's bytes are
 * copied into a pack buffer of `maxBytes` as they come, and the buffers ({@link PACK_UPLOADS} in
 * flight and one filling) are used again pack after pack: no pack is concatenated from its parts,
 * and memory stays at those few buffers (at most one filling, one full waiting for a slot and
 * {@link PACK_UPLOADS} uploading) whatever the number of files.
 */
export class Packer {
  private buffer: Buffer | undefined;
  private members: Member[] = [];
  private size = 0;
  private readonly spare: Buffer[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** Set while a full pack waits for an upload slot: other files wait too instead of starting yet another buffer. */
  private waitingForSlot: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly store: Store,
    private readonly catalog: Catalog,
    private readonly stats: PushStats,
    private readonly maxBytes = 4 << 20,
    private readonly maxMembers = 2000,
    /** Told the keys of a pack's members once their results and acks are written. */
    private readonly onRecorded?: (keys: readonly Buffer[]) => void,
  ) {}

  /**
   * Adds one file's content, or a symlink's target (copied: the caller may reuse it); uploads the
   * pack when it is full. `extra.target` is a symlink's target (base64) for its path record.
   */
  async add(key: Buffer, content: Uint8Array, meta: EntryMeta, fp: Fingerprint, extra: { target?: string } = {}): Promise<void> {
    while (this.waitingForSlot) await this.waitingForSlot;
    if (this.members.length > 0 && this.size + content.length > this.maxBytes) await this.flush(false);
    if (this.buffer === undefined || this.size + content.length > this.buffer.length) {
      // Only a file larger than a whole pack (a policy with a small maxBytes) gets a buffer of its own.
      this.buffer = content.length > this.maxBytes ? Buffer.allocUnsafeSlow(content.length) : this.spare.pop() ?? Buffer.allocUnsafeSlow(this.maxBytes);
    }
    this.members.push({ key, offset: this.size, meta, fp, ...(extra.target !== undefined ? { target: extra.target } : {}) });
    this.buffer.set(content, this.size);
    this.size += content.length;
    if (this.size >= this.maxBytes || this.members.length >= this.maxMembers) await this.flush(false);
  }

  /** Uploads and records whatever is collected; up to {@link PACK_UPLOADS} packs upload at once, the last flush waits for all. */
  async flush(final = true): Promise<void> {
    const members = this.members;
    const buffer = this.buffer;
    const size = this.size;
    this.members = [];
    this.buffer = undefined;
    this.size = 0;
    if (this.failure !== undefined) throw this.failure;
    if (members.length > 0 && buffer !== undefined) {
      if (this.inFlight.size >= PACK_UPLOADS) {
        const slot = (async () => {
          while (this.inFlight.size >= PACK_UPLOADS) await Promise.race(this.inFlight).catch(() => undefined);
        })();
        this.waitingForSlot = slot;
        try {
          await slot;
        } finally {
          if (this.waitingForSlot === slot) this.waitingForSlot = undefined;
        }
        if (this.failure !== undefined) throw this.failure;
      }
      const run = this.upload(buffer.subarray(0, size), members);
      this.inFlight.add(run);
      const done = () => {
        this.inFlight.delete(run);
        // The request has ended (answered or failed): nothing reads the buffer any more.
        if (buffer.length === this.maxBytes) this.spare.push(buffer);
      };
      void run.then(done, (err: unknown) => { this.failure ??= err; done(); });
      if (!final) return;
    } else if (buffer !== undefined && buffer.length === this.maxBytes) this.spare.push(buffer);
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
      const record: PathRecord = { fp: m.fp, meta, cap, ...(m.target !== undefined ? { target: m.target } : {}) };
      ops.push({ put: 'paths', key: m.key, value: record }, { put: 'pending', key: m.key, value: { meta, cap } }, { del: 'queue', key: m.key });
    }
    await this.catalog.write(ops);
    this.onRecorded?.(members.map((m) => m.key));
  }
}
