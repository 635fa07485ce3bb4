import type { Command } from 'commander';
import { TimefsError } from '../../model/errors.js';
import type { TreeEntry } from '../../view/entry-decode.js';
import { childStates, pathStates, type ChildHistory } from '../../view/path-states.js';
import { shortHash, versionRows, type VersionRow } from '../../view/path-versions.js';
import { addRangeOptions, historyOf, joinSegments, openSnapshots, pathArgSegments, snapshotsInRange, sourcesJson, type RangeFlags } from '../history-options.js';
import { formatTime, modeString } from '../listing-format.js';
import { nameJson, quoteName, quotePath } from '../quote-name.js';
import { addRepoOptions } from '../repo-options.js';
import type { CommandModule } from './index.js';

const CHANGE_WORDS: Record<VersionRow['change'], string> = { new: 'new', content: 'changed', metadata: 'metadata only', type: 'type changed', back: 'back' };

/** `timefs log PATH`: every distinct version of a path (or of a directory's entries) across snapshots. */
export const logCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('log')
      .description('every distinct version of a file (or of a directory\'s entries) across all snapshots, oldest first')
      .argument('<PATH>', 'absolute path as backed up (also one that no longer exists)')
      .option('--json', 'print JSON: {path, versions: [{change, version, first, last, snapshots, deletedIn?, type, size, mtime, hash, cat, restore}]}')
      .addHelpText('after', `
Each row is a run of snapshots in which the path stayed exactly the same: "new", "changed"
(other content), "metadata only" (same content, other mode/owner/mtime), "type changed", or
"back" after it was missing; "deleted in S" closes a run. Every row ends with the exact
\`timefs cat\` and \`timefs restore\` arguments for that version. PATH is taken as exact bytes.

Examples:
  timefs log /home/me/report.odt --repo backups:
  timefs log /home/me/docs --since 2009-01-01 --until 2009-03-31
  timefs log /etc/fstab --json | jq -r '.versions[].cat | join(" ")'
`);
    addRangeOptions(cmd);
    addRepoOptions(cmd);
    cmd.action(async (pathArg: string, flags: RangeFlags & Record<string, unknown>) => {
      const segments = pathArgSegments(pathArg);
      const { repo, all } = await openSnapshots(flags);
      const snapshots = snapshotsInRange(all, flags);
      if (snapshots.length === 0) throw new TimefsError('snapshot.not-found', 'no snapshot in the given range', { hint: 'list them with `timefs snapshots`' });
      const history = await historyOf(repo, snapshots, flags);
      const states = await pathStates(history.lister, snapshots, segments);
      if (states.every((s) => !s.entry)) {
        throw new TimefsError('path.not-found', `${quotePath(joinSegments(segments))} is in none of the ${snapshots.length} snapshots searched`, { hint: 'check the path with `timefs find` or `timefs ls`' });
      }
      const isDir = segments.length === 0 || states.some((s) => s.entry?.meta.type === 'dir');
      const children = isDir ? await childStates(history.lister, states) : [];
      const own = segments.length === 0 ? [] : versionRows(states);
      if (flags.json) {
        const out = {
          path: pathJson(segments),
          sources: sourcesJson(history),
          versions: own.map((row) => rowJson(row, segments)),
          ...(isDir ? { entries: children.map((c) => ({ ...nameJson(c.rawName), versions: versionRows(c.states).map((row) => rowJson(row, [...segments, c.rawName])) })) } : {}),
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const lines: string[] = [];
      const shown = quotePath(joinSegments(segments));
      if (own.length > 0) {
        lines.push(`${shown}: ${versionCount(own)} in ${states.filter((s) => s.entry).length} of ${snapshots.length} snapshots`);
        for (const row of own) lines.push(...rowText(row, segments, '  ', flags.utc === true));
      }
      for (const child of children) lines.push(...childText(child, segments, flags.utc === true));
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  },
};

function versionCount(rows: readonly VersionRow[]): string {
  const n = rows.at(-1)?.version ?? 0;
  return `${n} version${n === 1 ? '' : 's'}`;
}

function childText(child: ChildHistory, segments: readonly Uint8Array[], utc: boolean): string[] {
  const rows = versionRows(child.states);
  const path = [...segments, child.rawName];
  const out = [`${quoteName(child.rawName)}: ${versionCount(rows)}`];
  for (const row of rows) out.push(...rowText(row, path, '  ', utc));
  return out;
}

function rowText(row: VersionRow, path: readonly Uint8Array[], indent: string, utc: boolean): string[] {
  const m = row.entry.meta;
  const span = row.first === row.last ? row.first : `${row.first} … ${row.last}`;
  const count = `${row.snapshots} snapshot${row.snapshots === 1 ? '' : 's'}`;
  const hash = shortHash(m) ?? '-';
  const out = [
    `${indent}v${row.version}  ${span}  (${count})  ${CHANGE_WORDS[row.change]}`,
    `${indent}    ${modeString(m)} ${m.uid}:${m.gid} ${m.type === 'dir' ? '-' : m.size} ${formatTime(m.mtime, utc)} ${hash}`,
    `${indent}    timefs cat ${row.last} ${quotePath(joinSegments(path))}   ·   timefs restore ${quoteName(Buffer.concat([Buffer.from(`${row.last}:`), joinSegments(path)]))} --target DIR`,
  ];
  if (row.deletedIn) out.push(`${indent}deleted in ${row.deletedIn}`);
  return out;
}

function pathJson(segments: readonly Uint8Array[]): { name: string; rawName?: string } {
  const json = nameJson(joinSegments(segments));
  return json.rawName === undefined ? { name: json.name } : { name: json.name, rawName: json.rawName };
}

function rowJson(row: VersionRow, path: readonly Uint8Array[]): Record<string, unknown> {
  const m = row.entry.meta;
  const exact = joinSegments(path);
  const shownPath = nameJson(exact);
  return {
    change: row.change,
    version: row.version,
    first: row.first,
    last: row.last,
    snapshots: row.snapshots,
    ...(row.deletedIn ? { deletedIn: row.deletedIn } : {}),
    ...entryAttributes(row.entry),
    cat: [row.last, shownPath.name],
    restore: `${row.last}:${shownPath.name}`,
    ...(shownPath.rawName ? { rawPath: shownPath.rawName } : {}),
  };
}

/** The attributes of an entry for JSON (no cap). */
export function entryAttributes(entry: TreeEntry): Record<string, unknown> {
  const m = entry.meta;
  return { type: m.type, mode: m.mode, uid: m.uid, gid: m.gid, size: m.size, mtime: m.mtime, ...(m.hash ? { hash: m.hash } : {}) };
}
