import type { Command } from 'commander';
import { GridSnapshotCatalogue } from '../../view/snapshot-catalogue.js';
import { snapshotJson, snapshotTable } from '../listing-format.js';
import { addRepoOptions, openRepo } from '../repo-options.js';
import type { CommandModule } from './index.js';

/** `timefs snapshots`: the snapshots of a repository, oldest first. */
export const snapshotsCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('snapshots')
      .description('list the snapshots in the repository (time, host, paths, stats), oldest first')
      .option('--json', 'print a JSON array instead of a table')
      .addHelpText('after', '\nExamples:\n  timefs snapshots --repo backups:\n  timefs snapshots --repo backups: --json | jq -r \'.[-1].name\'\n');
    addRepoOptions(cmd);
    cmd.action(async (opts: { json?: boolean } & Record<string, unknown>) => {
      const repo = await openRepo(opts);
      const list = await new GridSnapshotCatalogue(repo.store, repo.snapshotsCap).list();
      process.stdout.write(opts.json ? `${JSON.stringify(list.map(snapshotJson), null, 2)}\n` : snapshotTable(list));
    });
  },
};
