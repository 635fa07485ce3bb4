/**
 * Which snapshots `timefs forget` keeps: restic's policy semantics, as a pure function.
 *
 * Snapshots are taken newest first. Each `--keep-<unit> N` rule keeps the newest snapshot of each
 * of the N most recent calendar units (hour, day, ISO week, month, year, in UTC) that have a
 * snapshot; `--keep-last N` keeps the N newest snapshots; `-1` means "no limit". A rule that still
 * has count left when the oldest snapshot is reached keeps that oldest one too ("oldest daily
 * snapshot"), so a short history is kept whole. `--keep-within D` keeps every snapshot strictly
 * newer than (newest snapshot time − D), where "newest" ignores snapshots in the future.
 * A snapshot is kept when any rule keeps it; on top of restic, the newest snapshot is always kept.
 */
import { TimefsError } from '../model/errors.js';
import { formatDuration, isZeroDuration, subtractDuration, type CalendarDuration } from './duration.js';

/** Counts per rule: a positive number, `-1` for unlimited, 0 or absent for "rule not used". */
export interface ForgetPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  within?: CalendarDuration;
}

/** The one thing the policy needs to know about a snapshot. */
export interface PolicySnapshot {
  name: string;
  time: Date;
}

/** What the policy decided for one snapshot. */
export interface PolicyDecision<T extends PolicySnapshot = PolicySnapshot> {
  snapshot: T;
  keep: boolean;
  /** Why it is kept, e.g. `daily snapshot`, `oldest monthly snapshot`, `within 7d`; empty when removed. */
  reasons: string[];
}

/** The result: every snapshot, newest first, with its decision. */
export interface PolicyResult<T extends PolicySnapshot = PolicySnapshot> {
  decisions: PolicyDecision<T>[];
  keep: T[];
  remove: T[];
}

type Bucketer = (time: Date, index: number) => number;

const RULES: { key: keyof Omit<ForgetPolicy, 'within'>; reason: string; bucket: Bucketer }[] = [
  { key: 'last', reason: 'last snapshot', bucket: (_t, index) => index },
  { key: 'hourly', reason: 'hourly snapshot', bucket: (t) => ymd(t) * 100 + t.getUTCHours() },
  { key: 'daily', reason: 'daily snapshot', bucket: (t) => ymd(t) },
  { key: 'weekly', reason: 'weekly snapshot', bucket: (t) => isoWeekKey(t) },
  { key: 'monthly', reason: 'monthly snapshot', bucket: (t) => t.getUTCFullYear() * 100 + t.getUTCMonth() + 1 },
  { key: 'yearly', reason: 'yearly snapshot', bucket: (t) => t.getUTCFullYear() },
];

/** True when no rule is set: `forget` refuses to run then (restic removes nothing in that case). */
export function isEmptyPolicy(policy: ForgetPolicy): boolean {
  return RULES.every((rule) => !policy[rule.key]) && (policy.within === undefined || isZeroDuration(policy.within));
}

/** A one-line description of the policy, e.g. `keep 7 daily, 4 weekly snapshots and all within 2d of the newest`. */
export function describePolicy(policy: ForgetPolicy): string {
  const counts = RULES.flatMap((rule) => {
    const n = policy[rule.key] ?? 0;
    const unit = rule.key === 'last' ? 'latest' : rule.key;
    return n === -1 ? [`all ${unit}`] : n > 0 ? [`${n} ${unit}`] : [];
  });
  const parts = counts.length > 0 ? [`${counts.join(', ')} snapshots`] : [];
  if (policy.within && !isZeroDuration(policy.within)) parts.push(`all snapshots within ${formatDuration(policy.within)} of the newest`);
  return parts.length === 0 ? 'remove nothing' : `keep ${parts.join(' and ')}`;
}

/**
 * Applies `policy` to `snapshots` (any order). `now` only matters for `within`: snapshots dated
 * after `now` do not count as the newest. Throws a `usage` error for an empty policy.
 */
export function applyForgetPolicy<T extends PolicySnapshot>(snapshots: readonly T[], policy: ForgetPolicy, now: Date): PolicyResult<T> {
  if (isEmptyPolicy(policy)) {
    throw new TimefsError('usage', 'no policy given: forget needs at least one --keep-* option', {
      hint: 'e.g. timefs forget --keep-daily 7 --keep-weekly 4 --dry-run',
    });
  }
  for (const rule of RULES) {
    const n = policy[rule.key] ?? 0;
    if (!Number.isInteger(n) || n < -1) throw new TimefsError('usage', `--keep-${rule.key} must be a non-negative integer or "unlimited", got ${n}`);
  }
  const list = [...snapshots].sort(newestFirst);
  const counts = RULES.map((rule) => policy[rule.key] ?? 0);
  const lastSeen = RULES.map(() => Number.NaN);
  const cutoff = withinCutoff(list, policy.within, now);

  const decisions = list.map((snapshot, index): PolicyDecision<T> => {
    const reasons: string[] = [];
    if (cutoff && snapshot.time.getTime() > cutoff.getTime()) reasons.push(`within ${formatDuration(policy.within!)}`);
    const oldest = index === list.length - 1;
    RULES.forEach((rule, r) => {
      if (counts[r] === 0) return;
      const value = rule.bucket(snapshot.time, index);
      if (value === lastSeen[r] && !oldest) return;
      reasons.push(value === lastSeen[r] ? `oldest ${rule.reason}` : rule.reason);
      lastSeen[r] = value;
      if (counts[r]! > 0) counts[r]!--;
    });
    if (index === 0 && reasons.length === 0) reasons.push('newest snapshot (always kept)');
    return { snapshot, keep: reasons.length > 0, reasons };
  });
  return {
    decisions,
    keep: decisions.filter((d) => d.keep).map((d) => d.snapshot),
    remove: decisions.filter((d) => !d.keep).map((d) => d.snapshot),
  };
}

function newestFirst(a: PolicySnapshot, b: PolicySnapshot): number {
  const dt = b.time.getTime() - a.time.getTime();
  if (dt !== 0) return dt;
  return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
}

function withinCutoff(list: readonly PolicySnapshot[], within: CalendarDuration | undefined, now: Date): Date | undefined {
  if (!within || isZeroDuration(within)) return undefined;
  const past = list.filter((s) => s.time.getTime() < now.getTime());
  const latest = past[0] ?? list[0];
  return latest ? subtractDuration(latest.time, within) : undefined;
}

function ymd(t: Date): number {
  return t.getUTCFullYear() * 10000 + (t.getUTCMonth() + 1) * 100 + t.getUTCDate();
}

/** ISO-8601 week as year·100 + week (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeekKey(t: Date): number {
  const day = (t.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() - day + 3));
  const year = thursday.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  const firstMonday = Date.UTC(year, 0, 4 - ((firstThursday.getUTCDay() + 6) % 7));
  const week = Math.floor((thursday.getTime() - firstMonday) / (7 * 86_400_000)) + 1;
  return year * 100 + week;
}
