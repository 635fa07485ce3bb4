/**
 * The versions of one path across snapshots (`timefs log`, the web UI's version pages), as pure
 * functions over what the path was in each snapshot. A new row starts whenever the entry's
 * content or attributes differ from the snapshot before; rows that keep the content and change
 * only attributes are marked as metadata-only; a gap (the path missing) ends a run, and the row
 * after it is marked as back.
 */
import type { EntryMeta } from '../model/entry.js';
import type { TreeEntry } from './entry-decode.js';

/** What a path was in one snapshot (`entry` undefined when the path did not exist there). */
export interface PathState {
  snapshot: string;
  entry?: TreeEntry;
}

/** How a row differs from the state just before it. */
export type VersionChange =
  /** the path's first appearance */
  | 'new'
  /** different content, same type */
  | 'content'
  /** same content, other mode/owner/mtime */
  | 'metadata'
  /** the entry became another kind of thing (file → directory, …) */
  | 'type'
  /** the path is back after it was missing in the snapshot before */
  | 'back';

/** One run of snapshots in which the path stayed exactly the same. */
export interface VersionRow {
  change: VersionChange;
  /** First and last snapshot of the run, and how many snapshots it spans. */
  first: string;
  last: string;
  snapshots: number;
  /** The entry as of the run (same content and attributes in each of its snapshots). */
  entry: TreeEntry;
  /** The snapshot right after the run where the path is missing, when it was deleted. */
  deletedIn?: string;
  /** 1-based number of the content version this row shows (metadata-only rows keep the number). */
  version: number;
}

/**
 * A key equal only for equal content (for a diff or a history): the cap, with offset and size for
 * a pack member (members of one pack share its cap; a directory's key stays its cap).
 */
export function contentKey(entry: { cap: string; meta: EntryMeta }): string {
  return entry.meta.storage === 'packed' ? `${entry.cap}@${entry.meta.pack?.offset ?? 0}+${entry.meta.size}` : entry.cap;
}

/**
 * The identity of an entry's content: its type plus the content hash when recorded, else its cap
 * (caps are convergent: identical content gives identical caps). A directory's own content is
 * its entries, which have histories of their own: only its attributes make its versions.
 */
export function contentIdentity(meta: EntryMeta, cap: string): string {
  return meta.type === 'dir' ? 'dir:' : `${meta.type}:${meta.hash ?? contentKey({ cap, meta })}`;
}

/** The attributes shown by `ls -l` that a metadata-only change can touch. */
export function attributeIdentity(meta: EntryMeta): string {
  return `${meta.mode}:${meta.uid}:${meta.gid}:${meta.mtime}:${meta.rdev ?? ''}`;
}

/** The rows of one path's history, from its states in snapshots given oldest first. */
export function versionRows(states: Iterable<PathState>): VersionRow[] {
  const rows: VersionRow[] = [];
  let current: VersionRow | undefined;
  let lastContent: string | undefined;
  let lastAttributes: string | undefined;
  let lastType: string | undefined;
  let missingSince: string | undefined;
  let version = 0;
  for (const state of states) {
    if (!state.entry) {
      if (current && missingSince === undefined) {
        current.deletedIn = state.snapshot;
        missingSince = state.snapshot;
      }
      current = undefined;
      continue;
    }
    const content = contentIdentity(state.entry.meta, state.entry.cap);
    const attributes = attributeIdentity(state.entry.meta);
    if (current && content === lastContent && attributes === lastAttributes) {
      current.last = state.snapshot;
      current.snapshots++;
      continue;
    }
    let change: VersionChange;
    if (lastContent === undefined) change = 'new';
    else if (missingSince !== undefined) change = 'back';
    else if (content === lastContent) change = 'metadata';
    else if (state.entry.meta.type !== lastType) change = 'type';
    else change = 'content';
    if (change !== 'metadata' && !(change === 'back' && content === lastContent)) version++;
    current = { change, first: state.snapshot, last: state.snapshot, snapshots: 1, entry: state.entry, version };
    rows.push(current);
    lastContent = content;
    lastAttributes = attributes;
    lastType = state.entry.meta.type;
    missingSince = undefined;
  }
  return rows;
}

/** A short, non-secret content tag for display: the first 12 hex digits of the hash, if recorded. */
export function shortHash(meta: EntryMeta): string | undefined {
  return meta.hash?.slice(0, 12);
}
