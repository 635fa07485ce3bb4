import { resolve } from 'node:path';
import type { Command } from 'commander';
import { pathCovered } from '../../model/source.js';
import { GridSnapshotCatalogue } from '../../view/snapshot-catalogue.js';
import { addHostOption } from '../host-option.js';
import { snapshotJson, snapshotTable } from '../listing-format.js';
import { addRepoOptions, openRepo } from '../repo-options.js';
import type { CommandModule } from './index.js';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** `timefs snapshots`: the snapshots of a repository by source, oldest first. */
export const snapshotsCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('snapshots')
      .description('list the snapshots in the repository by source (host and paths), oldest first, with their stats')
      .option('--path <path>', 'only snapshots that backed up PATH (it, or a directory above it, was pushed); repeatable', collect)
      .option('--json', 'print a JSON array (oldest first; each with its source "host:/path,…") instead of a table');
    addHostOption(cmd);
    cmd.addHelpText('after', '\nExamples:\n  timefs snapshots --repo backups:\n  timefs snapshots --repo backups: --host laptop --path ~/docs\n  timefs snapshots --repo backups: --json | jq -r \'.[-1].name\'\n');
    addRepoOptions(cmd);
    cmd.action(async (opts: { json?: boolean; host?: string; path?: string[] } & Record<string, unknown>) => {
      const repo = await openRepo(opts);
      const paths = (opts.path ?? []).map((p) => resolve(p));
      const list = (await new GridSnapshotCatalogue(repo.store, repo.snapshotsCap).list())
        .filter((s) => opts.host === undefined || s.host === opts.host)
        .filter((s) => paths.every((p) => pathCovered(s.paths.length === 0 ? ['/'] : s.paths, p)));
      process.stdout.write(opts.json ? `${JSON.stringify(list.map(snapshotJson), null, 2)}\n` : snapshotTable(list));
    });
  },
};
