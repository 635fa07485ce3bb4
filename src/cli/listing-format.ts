/**
 * Text for `timefs snapshots` and `timefs ls`: `ls -l`-style lines and JSON records. Pure; caps
 * never appear in any of it.
 */
import type { EntryMeta, EntryType } from '../model/entry.js';
import { sourceKey, sourceLabel } from '../model/source.js';
import type { SnapshotInfo } from '../view/snapshot-catalogue.js';
import type { TreeEntry } from '../view/entry-decode.js';
import { nameJson, quoteName } from './quote-name.js';

const TYPE_CHAR: Record<EntryType, string> = { dir: 'd', file: '-', symlink: 'l', fifo: 'p', socket: 's', chardev: 'c', blockdev: 'b' };

/** `drwxr-xr-x`-style mode string, with setuid/setgid/sticky shown as `ls` does. */
export function modeString(meta: Pick<EntryMeta, 'type' | 'mode'>): string {
  const m = meta.mode;
  const triplet = (shift: number, special: boolean, specialChar: string): string => {
    const r = m & (4 << shift) ? 'r' : '-';
    const w = m & (2 << shift) ? 'w' : '-';
    const xOn = (m & (1 << shift)) !== 0;
    const x = special ? (xOn ? specialChar : specialChar.toUpperCase()) : xOn ? 'x' : '-';
    return r + w + x;
  };
  return TYPE_CHAR[meta.type] + triplet(6, (m & 0o4000) !== 0, 's') + triplet(3, (m & 0o2000) !== 0, 's') + triplet(0, (m & 0o1000) !== 0, 't');
}

/** `YYYY-MM-DD HH:MM:SS` of a nanosecond mtime, local time or UTC. */
export function formatTime(mtimeNs: string, utc = false): string {
  const ms = Number(BigInt(mtimeNs) / 1_000_000n);
  const d = new Date(ms);
  const parts = utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  const p = parts.map((n) => String(n).padStart(2, '0'));
  return `${String(parts[0]).padStart(4, '0')}-${p[1]}-${p[2]} ${p[3]}:${p[4]}:${p[5]}`;
}

/** The size column: bytes for files and symlinks, `major, minor` for devices. */
function sizeColumn(meta: EntryMeta): string {
  if ((meta.type === 'chardev' || meta.type === 'blockdev') && meta.rdev !== undefined) {
    // Linux dev_t encoding (glibc gnu_dev_major/minor).
    const major = ((meta.rdev >>> 8) & 0xfff) | (Math.floor(meta.rdev / 2 ** 32) & ~0xfff);
    const minor = (meta.rdev & 0xff) | ((meta.rdev >>> 12) & ~0xff);
    return `${major}, ${minor}`;
  }
  return String(meta.size);
}

/**
 * `ls -l` lines with columns aligned. Names and symlink targets are quoted as GNU `ls` quotes
 * them ({@link quoteName}), so a name with a newline stays on one line, on a terminal and in a
 * pipe. `targets` maps symlink entries to their target bytes.
 */
export function longListing(entries: readonly TreeEntry[], targets: ReadonlyMap<TreeEntry, Uint8Array>, utc = false): Buffer {
  const rows = entries.map((e) => [modeString(e.meta), String(e.meta.uid), String(e.meta.gid), sizeColumn(e.meta), formatTime(e.meta.mtime, utc)]);
  const widths = [1, 2, 3].map((col) => Math.max(0, ...rows.map((r) => (r[col] as string).length)));
  const lines = entries.map((e, i) => {
    const r = rows[i] as string[];
    const head = `${r[0]} ${(r[1] as string).padStart(widths[0] as number)} ${(r[2] as string).padStart(widths[1] as number)} ${(r[3] as string).padStart(widths[2] as number)} ${r[4]} `;
    const target = targets.get(e);
    return `${head}${quoteName(e.rawName)}${target ? ` -> ${quoteName(target)}` : ''}\n`;
  });
  return Buffer.from(lines.join(''), 'utf8');
}

/**
 * A JSON record for one entry: `name` is exact when it is valid UTF-8, else it is the escaped
 * key and `rawName` (base64) holds the bytes; a symlink's `target` likewise, with `rawTarget`.
 */
export function entryJson(entry: TreeEntry, target?: Uint8Array): Record<string, unknown> {
  const { name, rawName } = nameJson(entry.rawName);
  const { rawName: _drop, ...meta } = entry.meta;
  // a name that is not UTF-8 shows as its stable escaped key, which timefs paths also accept
  const out: Record<string, unknown> = { name: rawName === undefined ? name : entry.name, ...meta };
  if (rawName !== undefined) out.rawName = rawName;
  if (target) {
    const shown = nameJson(target);
    out.target = shown.name;
    if (shown.rawName !== undefined) out.rawTarget = shown.rawName;
  }
  return out;
}

/** A JSON record for one snapshot (no cap). */
export function snapshotJson(s: SnapshotInfo): Record<string, unknown> {
  return { name: s.name, time: s.time, host: s.host, paths: s.paths, source: sourceLabel(s), stats: s.stats, ...(s.parent === undefined ? {} : { parent: s.parent }) };
}

/**
 * The `timefs snapshots` table: one group per source (host and paths) with a header line, groups
 * in the order of their first snapshot, snapshots oldest first.
 */
export function snapshotTable(list: readonly SnapshotInfo[]): string {
  if (list.length === 0) return 'no snapshots yet\n';
  const groups = new Map<string, SnapshotInfo[]>();
  for (const s of list) {
    const key = sourceKey(s);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const rows = list.map((s) => [s.name, Object.entries(s.stats).map(([k, v]) => `${k}=${v}`).join(' ')]);
  const width = Math.max('TIME'.length, ...rows.map((r) => r[0]!.length));
  const line = (time: string, stats: string): string => `  ${time.padEnd(width)}  ${stats}`.trimEnd();
  const blocks = [...groups.values()].map((members) => [
    `${sourceLabel(members[0]!)} (${members.length} snapshot${members.length === 1 ? '' : 's'})`,
    line('TIME', 'STATS'),
    ...members.map((s) => line(s.name, Object.entries(s.stats).map(([k, v]) => `${k}=${v}`).join(' '))),
  ].join('\n'));
  return `${blocks.join('\n\n')}\n`;
}
