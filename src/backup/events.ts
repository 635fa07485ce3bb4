/**
 * What a push reports while it runs; the CLI turns these into progress lines, JSON events or
 * nothing. The backup layer never prints.
 */

/** A problem with one path that did not stop the run. */
export interface PushWarning {
  path: string;
  reason: string;
}

/** Counters of a push, shown in the summary and stored in the snapshot's metadata. */
export interface PushStats {
  files: number;
  dirs: number;
  others: number;
  newFiles: number;
  changedFiles: number;
  unchangedFiles: number;
  /** Bytes of the files queued for upload (what the upload stage will read). */
  bytesToRead: number;
  bytesRead: number;
  bytesUploaded: number;
  uploads: number;
  deltas: number;
  wholeFiles: number;
  dirsCreated: number;
  dirsReused: number;
  warnings: number;
}

/** A zeroed {@link PushStats}. */
export function emptyStats(): PushStats {
  return {
    files: 0, dirs: 0, others: 0, newFiles: 0, changedFiles: 0, unchangedFiles: 0,
    bytesToRead: 0, bytesRead: 0, bytesUploaded: 0, uploads: 0, deltas: 0, wholeFiles: 0,
    dirsCreated: 0, dirsReused: 0, warnings: 0,
  };
}

/** Progress and warning callbacks; every field optional. */
export interface PushEvents {
  onWarning?(warning: PushWarning): void;
  /** Called after each upload job with the running totals. */
  onProgress?(phase: 'scan' | 'upload' | 'commit', stats: PushStats): void;
}
