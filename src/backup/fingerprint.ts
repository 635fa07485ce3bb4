/**
 * Change detection (pure): a file is unchanged when its stat fingerprint equals the one the
 * catalog stored last time. ctime catches metadata-only changes; inode and device catch a file
 * replaced by another with the same size and times.
 */
import type { BigIntStats } from 'node:fs';

/** The stat fields change detection compares; nanosecond times and big numbers as decimal strings. */
export interface Fingerprint {
  size: number;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
  dev: string;
}

/** The fingerprint of a `lstat`/`fstat` result taken with `{bigint: true}`. */
export function fingerprintOf(stat: BigIntStats): Fingerprint {
  return {
    size: Number(stat.size),
    mtimeNs: stat.mtimeNs.toString(),
    ctimeNs: stat.ctimeNs.toString(),
    ino: stat.ino.toString(),
    dev: stat.dev.toString(),
  };
}

/** True when the entry must be read again: no previous fingerprint, or any field differs. */
export function hasChanged(current: Fingerprint, previous: Fingerprint | undefined): boolean {
  if (previous === undefined) return true;
  return current.size !== previous.size
    || current.mtimeNs !== previous.mtimeNs
    || current.ctimeNs !== previous.ctimeNs
    || current.ino !== previous.ino
    || current.dev !== previous.dev;
}

/**
 * File system timestamps come from a coarse clock that can lag the wall clock by a few
 * milliseconds, so "modified at or after the start" is tested with this margin.
 */
export const CLOCK_SLACK_NS = 20_000_000n;

/** True when the file moved while it was read: size or times differ, or it was modified at or after `startNs` (less {@link CLOCK_SLACK_NS}). */
export function changedWhileReading(before: Fingerprint, after: Fingerprint, startNs: bigint): boolean {
  return before.size !== after.size
    || before.mtimeNs !== after.mtimeNs
    || before.ctimeNs !== after.ctimeNs
    || BigInt(after.mtimeNs) >= startNs - CLOCK_SLACK_NS;
}

/**
 * The fingerprint to store: mtime clamped to `start − 1 s`, so a change made within the clock's
 * granularity of the read is seen by the next push (the stored value then differs from disk).
 */
export function storedFingerprint(fp: Fingerprint, startNs: bigint): Fingerprint {
  const limit = startNs - 1_000_000_000n;
  const mtime = BigInt(fp.mtimeNs);
  return { ...fp, mtimeNs: (mtime < limit ? mtime : limit).toString() };
}
