import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { runPush } from '../../backup/push.js';
import { Catalog } from '../../catalog/catalog.js';
import { TimefsError } from '../../model/errors.js';
import { checkHostName } from '../../model/source.js';
import { localPathArg } from '../argv-bytes.js';
import { EXIT } from '../exit-codes.js';
import { integerOption } from '../options.js';
import { pushReporter, writeSummary, type PushOutput } from '../push-progress.js';
import { addRepoOptions, openRepo } from '../repo-options.js';
import type { CommandModule } from './index.js';

interface PushFlags {
  exclude?: string[];
  excludeFile?: string;
  excludeIfPresent?: string[];
  oneFileSystem?: boolean;
  maxChain?: number;
  rehash?: boolean;
  dryRun?: boolean;
  json?: boolean;
  host?: string;
  [key: string]: unknown;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** `timefs push PATH...`: back up paths as a new snapshot (rdiff deltas against the last one). */
export const pushCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('push')
      .description('back up PATHs as a new snapshot: changed files are stored as rdiff deltas, unchanged ones cost nothing')
      .argument('<path...>', 'files or directories to back up (stored under their absolute paths)')
      .option('--exclude <pattern>', 'skip paths matching this glob (a pattern with "/" matches the absolute path, else the name); repeatable', collect)
      .option('--exclude-file <file>', 'read exclude patterns from FILE, one per line (# comments)')
      .option('--exclude-if-present <name>', 'skip directories that contain a file called NAME; repeatable', collect)
      .option('--one-file-system', 'do not cross into other file systems')
      .option('--max-chain <n>', 'store a file whole again once its chain has N deltas (default 32)', integerOption('--max-chain', 0, 999))
      .option('--rehash', 'read every file, whatever its size and times say (unchanged content still costs no upload)')
      .option('--host <name>', "record NAME as the snapshot's host (default: this machine's hostname), e.g. to continue an old machine's history", checkHostName)
      .option('--dry-run', 'scan and report what would be stored, upload nothing')
      .option('--json', 'print progress events and the summary as JSON lines on stdout')
      .addHelpText('after', [
        '',
        'Exit codes: 0 snapshot made, 3 snapshot made with warnings (files skipped, some PATHs missing),',
        '1 failure (also when no PATH exists: no snapshot is made, so a disk that is not mounted never',
        'becomes an empty `latest`).',
        'An interrupted push is finished by the next one: nothing uploaded is uploaded again.',
        'Each host and set of PATHs is a source with its own history. A push continues the newest',
        'snapshot of its source, else for each PATH the newest snapshot (any host) that backed it up,',
        'so changed files are stored as deltas even from a new machine or after losing the local state.',
        '',
        'Examples:',
        '  timefs push --repo backups: ~/docs ~/photos',
        '  timefs push --repo backups: --host old-laptop ~/docs',
        '  timefs push --repo backups: --exclude "*.tmp" --exclude-if-present .nobackup ~',
        '  timefs push --repo backups: --json /srv/data | jq -c "select(.event==\\"summary\\")"',
        '',
      ].join('\n'));
    addRepoOptions(cmd);
    cmd.action(async (paths: string[], flags: PushFlags) => {
      const started = Date.now();
      const exclude = [...(flags.exclude ?? [])];
      if (flags.excludeFile) {
        try {
          exclude.push(...(await readFile(flags.excludeFile, 'utf8')).split('\n'));
        } catch (err) {
          throw new TimefsError('usage', `cannot read the exclude file ${flags.excludeFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
      }
      // The scan needs no grid answer: it starts while the repository is validated.
      const repo = await openRepo(flags, { early: true });
      if (repo.readOnly) {
        throw new TimefsError('grid.not-writeable', 'this repository was opened through a read-only cap: push needs the write cap', {
          hint: 'pass the repository alias or its URI:DIR2: write cap with --repo',
        });
      }
      let catalog: Catalog;
      try {
        catalog = await Catalog.open(repo.stateDir);
      } catch (err) {
        await repo.validated; // a repository that is not what it seemed is the error to report
        throw err;
      }
      const mode: PushOutput = flags.json ? 'json' : process.stderr.isTTY ? 'tty' : 'plain';
      const reporter = pushReporter(mode, process.stdout, process.stderr);
      try {
        const result = await runPush(
          { store: repo.store, catalog, snapshotsCap: repo.snapshotsCap, stateDir: repo.stateDir, repoRootCap: repo.rootCap, validated: repo.validated, ...(repo.indexCap === undefined ? {} : { indexDirCap: repo.indexCap }) },
          {
            paths: paths.map((path) => localPathArg(path, 'source')),
            exclude,
            excludeIfPresent: flags.excludeIfPresent ?? [],
            oneFileSystem: flags.oneFileSystem ?? false,
            rehash: flags.rehash ?? false,
            dryRun: flags.dryRun ?? false,
            ...(flags.host !== undefined ? { host: flags.host } : {}),
            ...(flags.maxChain !== undefined ? { policy: { maxChain: flags.maxChain } } : {}),
          },
          reporter,
        );
        reporter.end();
        writeSummary(mode, result, process.stdout, Date.now() - started);
        process.exitCode = result.stats.warnings > 0 ? EXIT.warnings : EXIT.ok;
      } finally {
        reporter.end();
        await catalog.close();
      }
    });
  },
};
