/**
 * Which chains `rebase` rewrites, decided from the object graph. Pure.
 *
 * Version nodes that share a `base` form a *family*: the versions of one file that push wrote as
 * one forward chain. Its *newest* member is the one the newest snapshot links (ties: the longer
 * chain). A family is already *reversed* when every member is at most one delta from a base that
 * a snapshot at least as new as all of them links as a whole file (plainly, or as a version node
 * with no deltas): that is what rebase leaves behind, so a rerun has nothing left to do.
 */
import type { EntryMeta } from '../model/entry.js';
import type { ChainParts } from './version-bytes.js';

/** One version node of a family. */
export interface ChainMember {
  cap: string;
  meta: EntryMeta;
  parts: ChainParts;
  /** A path that reaches it, for messages. */
  path: string;
  /** Time of the newest snapshot that links it (ms). */
  newestMs: number;
}

/** Version nodes sharing one base. */
export interface ChainFamily {
  base: string;
  /** Sorted by chain length, shortest first. */
  members: ChainMember[];
  newest: ChainMember;
  /** Longest chain in the family. */
  maxChain: number;
  reversed: boolean;
}

/**
 * Groups version nodes into families.
 * @param wholeFiles caps linked as whole files, with the time of the newest snapshot linking each
 */
export function groupFamilies(members: readonly ChainMember[], wholeFiles: ReadonlyMap<string, number>): ChainFamily[] {
  const byBase = new Map<string, ChainMember[]>();
  for (const member of members) {
    const list = byBase.get(member.parts.base) ?? [];
    list.push(member);
    byBase.set(member.parts.base, list);
  }
  const families: ChainFamily[] = [];
  for (const [base, list] of byBase) {
    list.sort((a, b) => a.parts.deltas.length - b.parts.deltas.length || (a.cap < b.cap ? -1 : 1));
    const newest = list.reduce((best, m) => (m.newestMs > best.newestMs || (m.newestMs === best.newestMs && m.parts.deltas.length > best.parts.deltas.length) ? m : best));
    const maxChain = Math.max(...list.map((m) => m.parts.deltas.length));
    const newestMemberMs = Math.max(...list.map((m) => m.newestMs));
    const baseLinkedMs = Math.max(
      wholeFiles.get(base) ?? Number.NEGATIVE_INFINITY,
      ...list.filter((m) => m.parts.deltas.length === 0).map((m) => m.newestMs),
    );
    const reversed = maxChain <= 1 && baseLinkedMs >= newestMemberMs;
    families.push({ base, members: list, newest, maxChain, reversed });
  }
  return families.sort((a, b) => (a.newest.path < b.newest.path ? -1 : a.newest.path > b.newest.path ? 1 : 0));
}

/**
 * True when `family` should be rebased: not already reversed, and its longest chain is longer
 * than `maxChain` (default 0: every chained file).
 */
export function needsRebase(family: ChainFamily, maxChain = 0): boolean {
  return !family.reversed && family.maxChain > maxChain;
}

/** True when `longer`'s deltas start with all of `shorter`'s, so it can be rebuilt from it. */
export function extendsChain(shorter: ChainParts, longer: ChainParts): boolean {
  return shorter.base === longer.base && shorter.deltas.length <= longer.deltas.length && shorter.deltas.every((cap, i) => longer.deltas[i] === cap);
}
