/**
 * The per-file history view (`history/<path>/`), as pure functions: given what one path was in
 * each snapshot, keep one entry per distinct version, named by the time of the snapshot where
 * that version first appeared.
 */
import type { EntryMeta } from '../model/entry.js';

/** What a path was in one snapshot (undefined `meta` when the path did not exist there). */
export interface PathInSnapshot {
  snapshotName: string;
  meta?: EntryMeta;
  /** The child cap of the entry (secret). */
  cap?: string;
}

/** One version of a file in its history directory. */
export interface HistoryVersion {
  /** The entry name inside `history/<path>/`: the snapshot time where the version first appeared. */
  name: string;
  meta: EntryMeta;
  cap: string;
}

/**
 * The identity of a version's content: its type plus its content hash when recorded, else its cap
 * (caps are convergent, so identical content gives identical caps). Metadata-only changes
 * (chmod, touch) do not make a new version.
 */
export function versionIdentity(meta: EntryMeta, cap: string): string {
  return `${meta.type}:${meta.hash ?? cap}`;
}

/**
 * The versions of one path across snapshots given oldest first. A version becomes a new entry
 * whenever its identity differs from the version just before it (so A, B, A shows the revert as
 * a third entry); a snapshot where the path is missing or is a directory ends the run, so a file
 * deleted and later restored shows up again.
 */
export function distinctVersions(history: Iterable<PathInSnapshot>): HistoryVersion[] {
  const versions: HistoryVersion[] = [];
  let previous: string | undefined;
  for (const item of history) {
    if (!item.meta || item.cap === undefined || item.meta.type === 'dir') {
      previous = undefined;
      continue;
    }
    const identity = versionIdentity(item.meta, item.cap);
    if (identity === previous) continue;
    previous = identity;
    versions.push({ name: item.snapshotName, meta: item.meta, cap: item.cap });
  }
  return versions;
}
