/**
 * Content hashes of versions (BLAKE2b-256, lowercase hex, as in `EntryMeta.hash`) and the check
 * at the end of a sequential read. A mismatch is a TimefsError('integrity') naming the path and
 * the snapshot, never silent bad data.
 */
import type { IHasher } from 'hash-wasm';
import { releaseHasher, takeHasher as newHasher } from '../model/blake2b-pool.js';
import { TimefsError } from '../model/errors.js';

/** Where a version lives, for messages: the path inside the snapshot and the snapshot's name. */
export interface VersionPlace {
  path: string;
  snapshot: string;
}

/** The error for a version whose content does not match its recorded hash. */
export function integrityError(place: VersionPlace, detail: string): TimefsError {
  return new TimefsError('integrity', `${place.path} in snapshot ${place.snapshot}: ${detail}`, {
    hint: 'the stored data is damaged; run `timefs check --read-data` and restore from another snapshot',
  });
}

/** How many bytes of out-of-order reads {@link SequentialHashCheck} holds while waiting for a gap to fill. */
export const MAX_HELD_BYTES = 8 * 1024 * 1024;

/**
 * Follows reads of one version and checks its hash once every byte from 0 to the end has been
 * seen. Reads may arrive somewhat out of order (FUSE read-ahead runs in parallel): chunks ahead
 * of the hashed prefix are held, up to {@link MAX_HELD_BYTES}; a real seek beyond that gives up the
 * check for this handle, which can only vouch for a (nearly) sequential pass.
 */
export class SequentialHashCheck {
  private hasher: Promise<IHasher> | undefined;
  private next = 0;
  private readonly held = new Map<number, Uint8Array>();
  private heldBytes = 0;
  private abandoned = false;
  /** True once the whole version was read and its hash matched. */
  verified = false;

  /**
   * @param size the version's size
   * @param expected recorded hash (lowercase hex); when absent nothing is checked
   * @param place path and snapshot, for the error message
   */
  constructor(private readonly size: number, private readonly expected: string | undefined, private readonly place: VersionPlace) {}

  /** True while the check can still complete (a hash is recorded and no far seek happened). */
  get active(): boolean {
    return this.expected !== undefined && !this.abandoned && !this.verified;
  }

  /**
   * Records that `bytes` were read at `offset`.
   * @throws TimefsError `integrity` when this completes the pass and the hash differs
   */
  async update(offset: number, bytes: Uint8Array): Promise<void> {
    if (!this.active) return;
    const hasher = await (this.hasher ??= newHasher());
    // Everything below is synchronous, so concurrent calls cannot interleave.
    if (!this.active) return;
    if (offset > this.next) {
      if (this.heldBytes + bytes.length > MAX_HELD_BYTES) {
        this.abandon();
        return;
      }
      const copy = new Uint8Array(bytes);
      this.held.set(offset, copy);
      this.heldBytes += copy.length;
      return;
    }
    this.consume(hasher, offset, bytes);
    for (let found = true; found && this.held.size > 0;) {
      found = false;
      for (const [at, chunk] of this.held) {
        if (at > this.next) continue;
        this.held.delete(at);
        this.heldBytes -= chunk.length;
        this.consume(hasher, at, chunk);
        found = true;
      }
    }
    if (this.next >= this.size) this.compare(hasher);
  }

  /** Checks an empty version (no read ever reaches its end). */
  async finish(): Promise<void> {
    if (!this.active || this.next < this.size) return;
    this.compare(await (this.hasher ??= newHasher()));
  }

  private consume(hasher: IHasher, offset: number, bytes: Uint8Array): void {
    if (offset + bytes.length <= this.next) return;
    hasher.update(bytes.subarray(this.next - offset));
    this.next = offset + bytes.length;
  }

  private compare(hasher: IHasher): void {
    const expected = this.expected as string;
    const actual = hasher.digest('hex');
    releaseHasher(hasher);
    if (actual !== expected) {
      this.abandon();
      throw integrityError(this.place, `content hash ${actual.slice(0, 16)}… does not match the recorded ${expected.slice(0, 16)}…`);
    }
    this.verified = true;
  }

  private abandon(): void {
    this.abandoned = true;
    this.held.clear();
    this.heldBytes = 0;
  }
}
