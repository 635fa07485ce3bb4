import type { Command } from 'commander';
import { openSnapshotView } from '../../view/snapshot-view.js';
import { GridTreeReader } from '../../view/tree-reader.js';
import { ChainVersionReader } from '../../view/version-reader.js';
import type { TreeEntry } from '../../view/entry-decode.js';
import { joinPath } from '../../view/entry-decode.js';
import { argBytes, snapshotPathArg } from '../argv-bytes.js';
import { entryJson, longListing } from '../listing-format.js';
import { nameJson, quotePath } from '../quote-name.js';
import { addHostOption, viewOptions } from '../host-option.js';
import { addRepoOptions, openRepo } from '../repo-options.js';
import type { CommandModule } from './index.js';

interface LsOptions extends Record<string, unknown> {
  json?: boolean;
  utc?: boolean;
  host?: string;
}

/** `timefs ls SNAPSHOT [PATH]`: a directory (or one entry) of a snapshot, like `ls -l`. */
export const lsCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('ls')
      .description('list a directory of a snapshot like `ls -l` (SNAPSHOT: latest, an exact time, or a day YYYY-MM-DD = as of the end of that day)')
      .argument('<SNAPSHOT>', 'latest, 2009-01-09T01:49:00Z, or 2009-01-09')
      .argument('[PATH]', 'path inside the snapshot', '/')
      .option('--json', 'print JSON: {snapshot, path, entries: [{name, type, mode, uid, gid, mtime, size, …}]}; names that are not UTF-8 also as rawName (base64)')
      .option('--utc', 'days and times in UTC instead of the local time zone')
      .addHelpText('after', '\nNames are quoted as GNU ls quotes them (a newline shows as $\'\\n\'); PATH is taken as exact bytes.\n\nExamples:\n  timefs ls latest /home/me --repo backups:\n  timefs ls 2009-01-09 home/me/docs --json\n');
    addHostOption(cmd);
    addRepoOptions(cmd);
    cmd.action(async (spec: string, path: string, opts: LsOptions) => {
      const repo = await openRepo(opts);
      const { target: snapshot, store } = await openSnapshotView(repo.store, repo.snapshotsCap, spec, viewOptions(opts));
      const tree = new GridTreeReader(store);
      const reader = new ChainVersionReader(repo.store);
      const found = await tree.lookup(snapshot.cap, snapshotPathArg(path));
      const exact = argBytes(path);
      const absolute = exact.length === 0 || exact[0] !== 0x2f ? Buffer.concat([Buffer.from('/'), exact]) : exact;
      const shown = quotePath(absolute);
      const entries = found.meta.type === 'dir' ? await tree.list(found.cap, shown) : [found];
      const targets = new Map<TreeEntry, Uint8Array>();
      await Promise.all(entries.filter((e) => e.meta.type === 'symlink').map(async (e) => {
        const where = found.meta.type === 'dir' ? joinPath(shown === '/' ? '' : shown, e.name) : shown;
        const link = await reader.open(e, { path: where, snapshot: snapshot.name });
        targets.set(e, await link.read(0, link.size));
      }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ snapshot: snapshot.name, ...(snapshot.merged ? { merged: snapshot.members.map((m) => m.name) } : {}), ...pathJson(absolute), entries: entries.map((e) => entryJson(e, targets.get(e))) }, null, 2)}\n`);
      } else {
        process.stdout.write(longListing(entries, targets, opts.utc === true));
      }
    });
  },
};

/** The listed path for JSON: exact text, or with `rawPath` (base64) when it is not UTF-8. */
function pathJson(absolute: Uint8Array): { path: string; rawPath?: string } {
  const { name, rawName } = nameJson(absolute);
  return rawName === undefined ? { path: name } : { path: name, rawPath: rawName };
}
