import type { Command } from 'commander';
import { TimefsError } from '../../model/errors.js';
import { describeRepoSpec, lookupAlias, resolveRepoSpec } from '../../store/repo-location.js';
import { initRepository } from '../../store/repository.js';
import { addAlias } from '../../store/tahoe/node-directory.js';
import { TahoeStore } from '../../store/tahoe/tahoe-store.js';
import { addRepoOptions, resolveNode, resolveRepoName, type RepoOptionValues } from '../repo-options.js';
import type { CommandModule } from './index.js';

/** `timefs init`: create a repository (and its alias, like `tahoe create-alias`, when missing). */
export const initCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('init')
      .description('create a timefs repository (timefs.json + snapshots/) in a new or empty Tahoe directory; creates the alias when it does not exist')
      .option('--json', 'print the result as JSON (never includes a cap)')
      .addHelpText('after', [
        '',
        'Examples:',
        '  timefs init --repo backups:                      # new alias "backups" in ~/.tahoe/private/aliases',
        '  timefs init --repo backups: --node-directory .grid/client',
        '  timefs init --repo tahoe:projects/timefs         # inside an existing directory (must be empty)',
        '',
        'Running it again on an initialised repository changes nothing.',
        '',
      ].join('\n'));
    addRepoOptions(cmd);
    cmd.action(async (opts: RepoOptionValues & { json?: boolean }) => {
      const spec = await resolveRepoName(opts);
      const { nodeDirectory, nodeUrl } = await resolveNode(opts);
      const store = new TahoeStore({ nodeUrl });
      const name = describeRepoSpec(spec);
      let aliasCreated = false;
      let result;
      if (spec.kind === 'alias' && (await lookupAlias(nodeDirectory, spec.alias)) === undefined) {
        if (spec.path.length > 0) {
          throw new TimefsError('repo.bad-name', `no alias "${spec.alias}:" in ${nodeDirectory}/private/aliases, so ${name} cannot be found`, {
            hint: `run \`timefs init --repo ${spec.alias}:\` to create the alias and a repository at its root`,
          });
        }
        result = await initRepository(store, undefined);
        await addAlias(nodeDirectory, spec.alias, result.rootCap);
        aliasCreated = true;
      } else {
        if (spec.kind === 'cap' && /^URI:DIR2(-MDMF)?-RO:/.test(spec.cap)) {
          throw new TimefsError('repo.bad-name', `cannot initialise ${name}: it is a read-only cap`, { hint: 'initialise with the write cap (URI:DIR2:…)' });
        }
        result = await initRepository(store, await resolveRepoSpec(store, spec, nodeDirectory));
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ repo: name, created: result.created, aliasCreated, repoId: result.repoId, nodeUrl }, null, 2)}\n`);
        if (result.created) process.stderr.write(keyNotice(name, nodeDirectory, aliasCreated));
      } else if (result.created) {
        process.stdout.write(`Initialised timefs repository ${name} (repository id ${result.repoId})${aliasCreated ? `; alias "${spec.kind === 'alias' ? spec.alias : ''}:" added to ${nodeDirectory}/private/aliases` : ''}\n`);
        process.stdout.write(keyNotice(name, nodeDirectory, aliasCreated));
      } else {
        process.stdout.write(`${name} is already a timefs repository (repository id ${result.repoId}); nothing changed\n`);
      }
    });
  },
};

/** The notice a new repository ends with: its cap is the only key, so print a recovery sheet now. */
export function keyNotice(repoName: string, nodeDirectory: string, aliasCreated: boolean): string {
  const where = aliasCreated ? `only in ${nodeDirectory}/private/aliases, on this machine` : 'wherever you noted the name you passed as --repo';
  return [
    '',
    '!! IMPORTANT: the repository cap is the only key to these backups.',
    '!! Without it nothing can be restored, though the grid keeps every byte; and anyone',
    '!! holding the read cap can read every backup. Right now it is kept ' + where + '.',
    '!! Print a recovery sheet now and keep it off this machine (paper, a password manager):',
    `!!     timefs key --repo ${repoName}          # --qr adds a QR code; docs/recovery.md explains`,
    '',
  ].join('\n');
}
