import type { Command } from 'commander';
import picomatch from 'picomatch';
import type { EntryType } from '../../model/entry.js';
import { TimefsError } from '../../model/errors.js';
import type { SnapshotInfo } from '../../view/snapshot-catalogue.js';
import { mergingStoreOver, resolveView, targetAsSnapshot } from '../../view/snapshot-view.js';
import { searchSnapshots, type EntryFilter } from '../../view/tree-search.js';
import { addRangeOptions, boundMs, historyOf, joinSegments, openSnapshots, snapshotsInRange, sourcesJson, type RangeFlags } from '../history-options.js';
import { formatTime } from '../listing-format.js';
import { nameJson, quotePath } from '../quote-name.js';
import { addRepoOptions } from '../repo-options.js';
import { entryAttributes } from './log.js';
import type { CommandModule } from './index.js';

interface FindFlags extends RangeFlags {
  path?: string[];
  ignoreCase?: boolean;
  type?: string;
  size?: string;
  newer?: string;
  older?: string;
  snapshot?: string[];
}

const TYPE_LETTERS: Record<string, EntryType> = { f: 'file', d: 'dir', l: 'symlink', p: 'fifo', s: 'socket', c: 'chardev', b: 'blockdev' };

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `timefs find PATTERN…`: paths matching name or path globs and filters, in any snapshot. */
export const findCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('find')
      .description('find files by name, path, type, size or time across snapshots; output grouped by path with the snapshots where each exists')
      .argument('[PATTERN...]', 'globs on names (e.g. "*.odt"); a path matches when its name matches any of them')
      .option('--path <glob>', 'glob on the whole absolute path (e.g. "/home/*/docs/**"); repeatable', collect)
      .option('-i, --ignore-case', 'match globs case-insensitively')
      .option('--type <t>', 'f file, d directory, l symlink, p fifo, s socket, c/b devices (several: "fl")')
      .option('--size <n>', 'size N bytes (suffix k, M, G); +N larger, -N smaller')
      .option('--newer <when>', 'modified after WHEN (a day YYYY-MM-DD, an ISO time)')
      .option('--older <when>', 'modified before WHEN')
      .option('--snapshot <name>', 'search only this snapshot: a name, or latest / a day / a time (the merged view of every source as of then); repeatable', collect)
      .option('--json', 'print JSON: {snapshots, matches: [{path, rawPath?, runs: [{first, last, snapshots, versions, type, size, mtime, hash}]}]}')
      .addHelpText('after', `
Each distinct directory is searched once, however many snapshots share it, and with metadata
indexes no directory is listed at all. Names are matched as text; exact bytes are kept in the
output (quoted like ls) and in --json (rawPath, base64).

Examples:
  timefs find '*.odt' --repo backups:
  timefs find -i 'report*' --type f --since 2009-01-01
  timefs find --path '/home/me/photos/**' --size +10M --newer 2009-03-01
  timefs find '*.conf' --snapshot latest --json
`);
    addRangeOptions(cmd);
    addRepoOptions(cmd);
    cmd.action(async (patterns: string[], flags: FindFlags & Record<string, unknown>) => {
      const { repo: grid, all } = await openSnapshots(flags);
      // latest, days and times are merged views of every source (docs/format.md, "Several sources").
      const repo = { ...grid, store: mergingStoreOver(grid.store, all) };
      let snapshots = snapshotsInRange(all, flags);
      if (flags.snapshot?.length) {
        const inRange = new Set(snapshots.map((s) => s.name));
        const chosen = new Map<string, SnapshotInfo>();
        for (const spec of flags.snapshot) {
          const target = resolveView(all, spec, { utc: flags.utc === true });
          if (target.merged || inRange.has(target.name)) chosen.set(target.name, targetAsSnapshot(target));
        }
        snapshots = [...chosen.values()].sort((a, b) => a.timeMs - b.timeMs);
      }
      if (snapshots.length === 0) throw new TimefsError('snapshot.not-found', 'no snapshot to search', { hint: 'list them with `timefs snapshots`' });
      const filter = entryFilter(patterns, flags, (when) => boundMs(when, 'start', all, flags.utc === true));
      const history = await historyOf(repo, snapshots, flags);
      const found = await searchSnapshots(history.lister, snapshots, filter, { pathDependent: (flags.path?.length ?? 0) > 0 });
      if (flags.json) {
        const matches = found.map((m) => {
          const p = nameJson(joinSegments(m.path));
          return { path: p.name, ...(p.rawName ? { rawPath: p.rawName } : {}), runs: m.runs.map((r) => ({ first: r.first, last: r.last, snapshots: r.snapshots, versions: r.versions, ...entryAttributes(r.entry) })) };
        });
        process.stdout.write(`${JSON.stringify({ snapshots: snapshots.length, matches, sources: sourcesJson(history) }, null, 2)}\n`);
        return;
      }
      const lines: string[] = [];
      for (const match of found) {
        lines.push(quotePath(joinSegments(match.path)));
        for (const r of match.runs) {
          const span = r.first === r.last ? r.first : `${r.first} … ${r.last}`;
          const m = r.entry.meta;
          lines.push(`  ${span}  (${r.snapshots} snapshot${r.snapshots === 1 ? '' : 's'}, ${r.versions} version${r.versions === 1 ? '' : 's'})  ${m.type} ${m.type === 'dir' ? '' : `${m.size} `}${formatTime(m.mtime, flags.utc === true)}`);
        }
      }
      process.stdout.write(lines.length ? `${lines.join('\n')}\n` : '');
      if (found.length === 0) process.stderr.write(`timefs: nothing matched in ${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'}\n`);
    });
  },
};

/** The filter the options describe. */
export function entryFilter(patterns: readonly string[], flags: FindFlags, timeOf: (when: string) => number): EntryFilter {
  const glob = { dot: true, nocase: flags.ignoreCase === true };
  const names = patterns.map((p) => picomatch(p, glob));
  const paths = (flags.path ?? []).map((p) => picomatch(p, { ...glob, basename: false }));
  const types = flags.type === undefined ? undefined : new Set([...flags.type].map((c) => {
    const type = TYPE_LETTERS[c];
    if (!type) throw new TimefsError('usage', `--type ${flags.type}: unknown type letter "${c}"`, { hint: 'use f, d, l, p, s, c or b' });
    return type;
  }));
  const size = flags.size === undefined ? undefined : sizeTest(flags.size);
  const newer = flags.newer === undefined ? undefined : BigInt(timeOf(flags.newer)) * 1_000_000n;
  const older = flags.older === undefined ? undefined : BigInt(timeOf(flags.older)) * 1_000_000n;
  return (path, entry) => {
    const m = entry.meta;
    if (types && !types.has(m.type)) return false;
    if (size && !size(m.size)) return false;
    if (newer !== undefined && BigInt(m.mtime) <= newer) return false;
    if (older !== undefined && BigInt(m.mtime) >= older) return false;
    if (names.length > 0) {
      const name = Buffer.from(entry.rawName).toString('utf8');
      if (!names.some((match) => match(name))) return false;
    }
    if (paths.length > 0) {
      const whole = joinSegments(path).toString('utf8');
      if (!paths.some((match) => match(whole))) return false;
    }
    return true;
  };
}

function sizeTest(spec: string): (size: number) => boolean {
  const m = /^([+-]?)(\d+)([kKmMgGtT]?)$/.exec(spec);
  if (!m) throw new TimefsError('usage', `--size ${spec}: not a size`, { hint: 'write e.g. 100, +10M or -4k' });
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m[3] ?? '').toLowerCase()] as number;
  const n = Number(m[2]) * unit;
  if (m[1] === '+') return (s) => s > n;
  if (m[1] === '-') return (s) => s < n;
  return (s) => s === n;
}
