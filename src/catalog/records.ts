/**
 * Records the catalog keeps (DESIGN.md §3). The catalog is a cache of what is in the grid:
 * everything here can be rebuilt from the latest snapshot tree.
 */
import type { Fingerprint } from '../backup/fingerprint.js';
import type { EntryMeta } from '../model/entry.js';

/** One stored part of a version node: an immutable object and its size. */
export interface StoredPart {
  cap: string;
  size: number;
}

/** How the last version of a chained file is stored, enough to append a delta without asking the grid. */
export interface ChainInfo {
  base: StoredPart;
  /** Deltas d001… in order. */
  deltas: StoredPart[];
  /**
   * Without `sigDeltas`: the signature of the last version (the node's `sig`). With them: the
   * signature of the chain's first version (`sigbase`); applying `sigDeltas` gives the last one's.
   */
  sig: StoredPart;
  /** Deltas between successive signatures (`s001…`), see backup/signature-chain.ts. */
  sigDeltas?: StoredPart[];
  /** rdiff block length of that signature. */
  blockLength: number;
}

/** Per path: what was written last time, so an unchanged entry costs no read and no request. */
export interface PathRecord {
  fp: Fingerprint;
  /** Edge metadata written last time (without `rawName`, which depends on the siblings). */
  meta: EntryMeta;
  /** The child cap written last time. */
  cap: string;
  /** Files stored as a chain. */
  chain?: ChainInfo;
  /** Symlinks: the target bytes (base64), so an unchanged target costs no upload. */
  target?: string;
}

/** An entry of the snapshot being built. Files and symlinks waiting for upload have no cap yet. */
export interface PendingEntry {
  meta: EntryMeta;
  cap?: string;
  /** Hard link: the key (hex) of the first link in this snapshot, whose cap this entry shares. */
  linkOf?: string;
}

/** A queued upload. */
export interface UploadJob {
  kind: 'file' | 'symlink';
  /** Fingerprint seen by the scan. */
  fp: Fingerprint;
  /** Upload every file whatever its previous fingerprint (rehash). */
  rehash?: boolean;
}

/** The push in progress: its scan time, sources, and how far it got. */
export interface Session {
  /** Snapshot name, e.g. `2009-01-09T01:49:00Z`. */
  name: string;
  /** Scan start, nanoseconds since the epoch (decimal). */
  startNs: string;
  paths: string[];
  host: string;
  /** `scanning` until the scan is complete; then uploads may run and the commit may follow. */
  phase: 'scanning' | 'uploading';
  stats: Record<string, number>;
  /** Name of the snapshot this push continues (push's parent rule), if any. */
  parent?: string;
}

/** One committed snapshot, as logged locally. */
export interface SnapshotLogEntry {
  name: string;
  rootCap: string;
  paths: string[];
  stats: Record<string, number>;
}
