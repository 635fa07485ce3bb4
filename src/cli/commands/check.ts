import type { Command } from 'commander';
import { checkRepository, type CheckProgress, type Damage } from '../../maint/check.js';
import { TimefsError } from '../../model/errors.js';
import { ConcurrencyLimitedStore } from '../../store/concurrency-limited-store.js';
import { TahoeStore } from '../../store/tahoe/tahoe-store.js';
import { GridSnapshotCatalogue } from '../../view/snapshot-catalogue.js';
import { ChainVersionReader } from '../../view/version-reader.js';
import { EXIT } from '../exit-codes.js';
import { parsePercent, printJson, println, ProgressLine } from '../maint-output.js';
import { addRepoOptions, openRepo } from '../repo-options.js';
import { checkIndexes } from '../../maint/index-check.js';
import type { CommandModule } from './index.js';

interface CheckFlags {
  readData?: boolean;
  readDataSubset?: string;
  json?: boolean;
}

/** `timefs check`: health of every object the snapshots need; with --read-data, every version's hash. */
export const checkCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('check')
      .description('check that every object the snapshots need is in the grid; with --read-data rebuild every version and compare hashes')
      .option('--read-data', 'also rebuild every file version and compare it with its recorded hash')
      .option('--read-data-subset <P%>', 'rebuild a random P percent of the file versions (e.g. 10%)')
      .option('--json', 'print the report as JSON')
      .addHelpText('after', `
Each object is checked once (Tahoe t=check), however many snapshots share it; --read-data reads
from the grid itself, past the local caches. Every problem is reported with a path and the
snapshots it affects.
Exit status: 0 all good, 3 readable but some objects have fewer shares than wanted (repairable),
4 damaged (missing objects or content that does not match its hash), 1 the check itself failed.

Examples:
  timefs check --repo backups:
  timefs check --repo backups: --read-data-subset 5%
  timefs check --repo backups: --read-data --json
`);
    addRepoOptions(cmd);
    cmd.action(async (flags: CheckFlags & Record<string, unknown>) => {
      if (flags.readData && flags.readDataSubset) throw new TimefsError('usage', 'use either --read-data or --read-data-subset, not both');
      let percent = flags.readData ? 100 : 0;
      if (flags.readDataSubset !== undefined) {
        try {
          percent = parsePercent(flags.readDataSubset);
        } catch (err) {
          throw new TimefsError('usage', `--read-data-subset: ${(err as Error).message}`);
        }
      }
      const repo = await openRepo(flags);
      // Straight to the grid, past the local caches: check vouches for what the grid holds.
      const grid = new ConcurrencyLimitedStore(new TahoeStore({ nodeUrl: repo.nodeUrl }), 8);
      const snapshots = await new GridSnapshotCatalogue(grid, repo.snapshotsCap).list();
      const progress = new ProgressLine(process.stderr, flags.json ? false : undefined);
      const report = await checkRepository(grid, snapshots.map((s) => ({ name: s.name, cap: s.cap })), {
        readDataPercent: percent,
        versions: new ChainVersionReader(grid),
        onProgress: (p: CheckProgress) => progress.update(progressText(p)),
      });
      progress.update('checking metadata indexes');
      const indexes = await checkIndexes(grid, repo.indexCap, snapshots);
      progress.clear();
      const status = report.damaged.length > 0 ? 'damaged' : report.unhealthy.length > 0 || indexes.problems.length > 0 ? 'unhealthy' : 'ok';
      if (flags.json) {
        printJson({ status, ...report, indexes });
      } else {
        println(`${report.snapshots} snapshots, ${report.objects} objects (${report.checked} checked, the rest are literal), ${report.versions} file versions${percent > 0 ? `, ${report.versionsRead} rebuilt and hashed` : ''}`);
        for (const d of report.damaged) println(describe('DAMAGED', d));
        for (const d of report.unhealthy) println(describe('unhealthy', d));
        println(`metadata indexes: ${indexes.verified} verified, ${indexes.missing} snapshots without one${indexes.problems.length ? `, ${indexes.problems.length} not usable` : ''}`);
        for (const p of indexes.problems) println(`index of ${p.snapshot} (${p.problem}): ${p.detail}; readers use the tree instead; \`timefs index --force\` stores a new one`);
        println(status === 'ok' ? 'no problems found' : status === 'unhealthy' && report.unhealthy.length === 0 ? 'the data is intact; only metadata indexes need rebuilding'
          : status === 'unhealthy' ? `${report.unhealthy.length} objects are readable but below the wanted number of shares; repair them with \`tahoe deep-check --repair\``
          : `${report.damaged.length} problems lose data; restore the affected files from other snapshots or push again`);
      }
      process.exitCode = status === 'damaged' ? EXIT.damaged : status === 'unhealthy' ? EXIT.warnings : EXIT.ok;
    });
  },
};

function progressText(p: CheckProgress): string {
  if (p.phase === 'walk') return `walking snapshot trees: ${p.done} objects`;
  if (p.phase === 'check') return `checking objects: ${p.done}/${p.total ?? '?'}`;
  return `reading versions: ${p.done}/${p.total ?? '?'}`;
}

function describe(label: string, d: Damage): string {
  const shown = d.snapshots.length > 3 ? `${d.snapshots.slice(0, 3).join(', ')} and ${d.snapshots.length - 3} more` : d.snapshots.join(', ');
  return `${label}: ${d.path} (${d.kind}, ${d.problem}): ${d.detail}\n  affects ${d.snapshots.length} snapshot(s): ${shown}`;
}
