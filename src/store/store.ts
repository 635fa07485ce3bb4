/**
 * The grid as timefs sees it: the small set of Tahoe web-API operations every layer builds on.
 * `TahoeStore` (store/tahoe/) talks to a real client node; `MemoryStore` is for pure unit tests.
 * All failures are `TimefsError`s with `grid.*` codes; caps never appear whole in messages.
 */

/** A child to put into a new directory. */
export interface NewChild {
  cap: string;
  /** Arbitrary JSON stored verbatim on the edge (timefs keeps its attributes under `timefs`). */
  metadata?: Record<string, unknown>;
}

/** One child of a listed directory. */
export interface DirEntry {
  name: string;
  kind: 'file' | 'dir';
  /** The best cap available: write cap for mutable children of a writable parent, else read cap. */
  cap: string;
  /** Read-only cap (equals `cap` for immutable objects). */
  readCap: string;
  mutable: boolean;
  /** File size when known (from the cap for immutable files). */
  size?: number;
  metadata: Record<string, unknown>;
}

/** Health of one object, from `t=check`. */
export interface HealthReport {
  healthy: boolean;
  /** False when the object cannot be read at all (fewer than k shares). */
  recoverable: boolean;
  sharesGood: number;
  sharesNeeded: number;
  sharesTotal: number;
  /** LIT caps hold their data inline: always healthy, nothing to check. */
  literal: boolean;
}

/** One line of a streamed deep-check. */
export interface DeepCheckEvent {
  path: string[];
  type: string;
  cap?: string;
  healthy?: boolean;
  recoverable?: boolean;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Data to upload: bytes in memory, or a stream with its exact length. */
export type UploadBody = Uint8Array | { stream: AsyncIterable<Uint8Array>; size: number };

/** Grid operations. Immutable objects are cached safely by cap; mutable ones never. */
export interface Store {
  /** Upload an immutable file, return its cap (`URI:CHK:` or `URI:LIT:` for ≤ 55 bytes). */
  putImmutable(body: UploadBody, options?: CallOptions): Promise<string>;
  /** Size of an immutable file (from the cap where possible). */
  size(cap: string, options?: CallOptions): Promise<number>;
  /** The whole content of an immutable file. */
  get(cap: string, options?: CallOptions): Promise<Uint8Array>;
  /** Stream the whole content of an immutable file. */
  getStream(cap: string, options?: CallOptions): AsyncIterable<Uint8Array>;
  /**
   * Bytes [start, start+length) of an immutable file, clamped to its size: a range past the end
   * returns fewer (or zero) bytes without asking the grid.
   */
  getRange(cap: string, start: number, length: number, options?: CallOptions): Promise<Uint8Array>;
  /** Create an immutable directory; identical children give an identical cap. */
  mkdirImmutable(children: Record<string, NewChild>, options?: CallOptions): Promise<string>;
  /** Create a mutable directory (with optional initial children) and return its write cap. */
  mkdirMutable(children?: Record<string, NewChild>, options?: CallOptions): Promise<string>;
  /** List a directory. Names come back NFC-normalised as Tahoe stores them. */
  list(dirCap: string, options?: CallOptions): Promise<Map<string, DirEntry>>;
  /** Link `childCap` as `name` in a mutable directory; fails with `grid.conflict` if it exists. */
  link(dirCap: string, name: string, childCap: string, metadata?: Record<string, unknown>, options?: CallOptions): Promise<void>;
  /** Remove `name` from a mutable directory (`grid.not-found` if absent). */
  unlink(dirCap: string, name: string, options?: CallOptions): Promise<void>;
  /** Health of one object (`t=check`): the only reliable existence test. */
  check(cap: string, options?: CallOptions & { addLease?: boolean }): Promise<HealthReport>;
  /** Streamed deep-check from a directory, optionally renewing leases on every object reached. */
  deepCheck(dirCap: string, onEvent: (event: DeepCheckEvent) => void, options?: CallOptions & { addLease?: boolean }): Promise<void>;
  /** The read-only cap of a directory (or the cap itself when already read-only). */
  readOnlyCap(dirCap: string, options?: CallOptions): Promise<string>;
}
