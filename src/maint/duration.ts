/**
 * Calendar durations for `forget --keep-within`, written like restic's: `1y5m7d2h`
 * (years, months, days, hours; any subset, in any order, each number a non-negative integer).
 */
import { TimefsError } from '../model/errors.js';

/** A calendar duration: months and years follow the calendar, not a fixed number of seconds. */
export interface CalendarDuration {
  years: number;
  months: number;
  days: number;
  hours: number;
}

const UNITS: Record<string, keyof CalendarDuration> = { y: 'years', m: 'months', d: 'days', h: 'hours' };

/** Parses `1y5m7d2h` (a unit may repeat; the amounts add up). Throws a `usage` error otherwise. */
export function parseDuration(text: string): CalendarDuration {
  const out: CalendarDuration = { years: 0, months: 0, days: 0, hours: 0 };
  const trimmed = text.trim();
  if (!/^(\d+[ymdh])+$/.test(trimmed)) {
    throw new TimefsError('usage', `invalid duration "${text}": use numbers with units y, m, d, h, e.g. 1y6m or 7d12h`);
  }
  for (const match of trimmed.matchAll(/(\d+)([ymdh])/g)) {
    const unit = UNITS[match[2] ?? ''];
    if (unit) out[unit] += Number(match[1]);
  }
  return out;
}

/** The canonical text of a duration, e.g. `1y7d` (`0h` when empty). */
export function formatDuration(d: CalendarDuration): string {
  const text = `${d.years ? `${d.years}y` : ''}${d.months ? `${d.months}m` : ''}${d.days ? `${d.days}d` : ''}${d.hours ? `${d.hours}h` : ''}`;
  return text || '0h';
}

/** True when every part of the duration is zero. */
export function isZeroDuration(d: CalendarDuration): boolean {
  return d.years === 0 && d.months === 0 && d.days === 0 && d.hours === 0;
}

/**
 * `time` minus `d`, in UTC: years, months and days move the calendar date (overflowing days roll
 * forward, so 31 March minus one month is 3 March in a non-leap year), then hours are subtracted.
 */
export function subtractDuration(time: Date, d: CalendarDuration): Date {
  const shifted = new Date(time.getTime());
  shifted.setUTCFullYear(
    time.getUTCFullYear() - d.years,
    time.getUTCMonth() - d.months,
    time.getUTCDate() - d.days,
  );
  return new Date(shifted.getTime() - d.hours * 3_600_000);
}
