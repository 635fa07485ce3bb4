import type { Command } from 'commander';
import { TimefsError } from '../../model/errors.js';
import { updateIndexes } from '../../maint/reindex.js';
import { addRepoOptions, openRepo } from '../repo-options.js';
import type { CommandModule } from './index.js';

interface IndexFlags extends Record<string, unknown> {
  force?: boolean;
  json?: boolean;
}

/** `timefs index`: stores the metadata index of every snapshot that has none (or a stale one). */
export const indexCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('index')
      .description('store the metadata index of every snapshot that lacks one (snapshots pushed before indexes existed, or changed by rebase)')
      .option('--force', 'rebuild every index, also the ones that look current')
      .option('--json', 'print JSON lines: {event: "indexed"|"kept", snapshot}, then {event: "summary", indexed, kept}')
      .addHelpText('after', `
Indexes make \`timefs log\`, \`find\` and \`diff\` fast without listing every directory. push
stores one for each new snapshot; this command covers older snapshots. Each index is built from
its snapshot's tree (listing only what changed since the snapshot before) and stored as an rdiff
delta against that snapshot's index. Safe to interrupt and rerun.

Examples:
  timefs index --repo backups:
  timefs index --force --json
`);
    addRepoOptions(cmd);
    cmd.action(async (flags: IndexFlags) => {
      const repo = await openRepo(flags);
      if (repo.readOnly) throw new TimefsError('grid.not-writeable', 'this repository was opened through a read-only cap: storing indexes needs the write cap', { hint: 'pass the repository alias or its URI:DIR2: write cap with --repo' });
      let indexed = 0;
      let kept = 0;
      await updateIndexes(repo.store, repo, {
        mode: flags.force ? 'all' : 'missing',
        onSnapshot: (snapshot, event) => {
          if (event === 'indexed') indexed++;
          else kept++;
          if (flags.json) process.stdout.write(`${JSON.stringify({ event, snapshot })}\n`);
          else if (event === 'indexed') process.stderr.write(`indexed ${snapshot}\n`);
        },
      });
      if (flags.json) process.stdout.write(`${JSON.stringify({ event: 'summary', indexed, kept })}\n`);
      else process.stdout.write(`${indexed} snapshot${indexed === 1 ? '' : 's'} indexed, ${kept} already had a current index\n`);
    });
  },
};
