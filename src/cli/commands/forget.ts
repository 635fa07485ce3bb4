import type { Command } from 'commander';
import { parseDuration } from '../../maint/duration.js';
import { forgetSnapshots } from '../../maint/forget.js';
import { describePolicy, type ForgetPolicy } from '../../maint/forget-policy.js';
import { TimefsError } from '../../model/errors.js';
import { formatGroupBy, GROUP_BY_SOURCE, parseGroupBy, type GroupBy } from '../../model/source.js';
import { printJson, println } from '../maint-output.js';
import { addRepoOptions, openRepo } from '../repo-options.js';
import type { CommandModule } from './index.js';

interface ForgetFlags {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithin?: string;
  groupBy?: GroupBy;
  dryRun?: boolean;
  json?: boolean;
}

/** A count option: a non-negative integer or `unlimited` (-1). */
function countOption(name: string): (value: string) => number {
  return (value) => {
    if (value === 'unlimited' || value === '-1') return -1;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new TimefsError('usage', `${name} must be a non-negative integer or "unlimited", got "${value}"`);
    return n;
  };
}

/** `timefs forget`: unlink snapshots that a restic-style keep policy does not keep. */
export const forgetCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('forget')
      .description('remove snapshots from snapshots/ by a keep policy (restic semantics); their space returns when leases expire')
      .option('--keep-last <N>', 'keep the N newest snapshots', countOption('--keep-last'))
      .option('--keep-hourly <N>', 'keep the newest snapshot of each of the last N hours with one', countOption('--keep-hourly'))
      .option('--keep-daily <N>', 'keep the newest snapshot of each of the last N days with one', countOption('--keep-daily'))
      .option('--keep-weekly <N>', 'keep the newest snapshot of each of the last N ISO weeks with one', countOption('--keep-weekly'))
      .option('--keep-monthly <N>', 'keep the newest snapshot of each of the last N months with one', countOption('--keep-monthly'))
      .option('--keep-yearly <N>', 'keep the newest snapshot of each of the last N years with one', countOption('--keep-yearly'))
      .option('--keep-within <DURATION>', 'keep every snapshot newer than DURATION (e.g. 1y6m, 14d, 36h) before the newest')
      .option('--group-by <FIELDS>', 'apply the policy per group of host, paths, host,paths or none', parseGroupBy, GROUP_BY_SOURCE)
      .option('--dry-run', 'show the groups and what would be kept and removed, change nothing')
      .option('--json', 'print the decisions as JSON')
      .addHelpText('after', `
The policy applies within each source (host and set of paths, like restic's default
--group-by host,paths), so an hourly ~/docs push never crowds out a nightly /home push.
--group-by none applies it to all snapshots at once, as timefs did before. Whatever the
grouping, the newest snapshot of every source is always kept.
Counts accept "unlimited". Hours, days, weeks (ISO, Monday first), months and years are UTC.
A rule that has count left at the oldest snapshot keeps that one too. The newest snapshot is
always kept. Unlinked snapshots' data is not deleted at once: objects no kept snapshot links
stop being renewed by \`timefs renew\` and expire with their leases (31 days) on grids that
run garbage collection. See docs/maintenance.md.

Examples:
  timefs forget --repo backups: --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --dry-run
  timefs forget --repo backups: --keep-within 30d --keep-monthly unlimited
  timefs forget --repo backups: --keep-daily 7 --group-by host --dry-run
`);
    addRepoOptions(cmd);
    cmd.action(async (flags: ForgetFlags & Record<string, unknown>) => {
      const policy: ForgetPolicy = {};
      if (flags.keepLast !== undefined) policy.last = flags.keepLast;
      if (flags.keepHourly !== undefined) policy.hourly = flags.keepHourly;
      if (flags.keepDaily !== undefined) policy.daily = flags.keepDaily;
      if (flags.keepWeekly !== undefined) policy.weekly = flags.keepWeekly;
      if (flags.keepMonthly !== undefined) policy.monthly = flags.keepMonthly;
      if (flags.keepYearly !== undefined) policy.yearly = flags.keepYearly;
      if (flags.keepWithin !== undefined) policy.within = parseDuration(flags.keepWithin);
      const repo = await openRepo(flags);
      const dryRun = flags.dryRun === true;
      const groupBy = flags.groupBy ?? GROUP_BY_SOURCE;
      const report = await forgetSnapshots(repo.store, repo.snapshotsCap, policy, { dryRun, rootCap: repo.rootCap, groupBy });
      if (flags.json) {
        printJson({
          policy: describePolicy(policy),
          groupBy: formatGroupBy(groupBy),
          dryRun,
          groups: report.groups.map((g) => ({
            group: g.label,
            keep: g.decisions.filter((d) => d.keep).map((d) => ({ name: d.snapshot.name, reasons: d.reasons })),
            remove: g.decisions.filter((d) => !d.keep).map((d) => d.snapshot.name),
          })),
          keep: report.decisions.filter((d) => d.keep).map((d) => ({ name: d.snapshot.name, reasons: d.reasons })),
          remove: report.decisions.filter((d) => !d.keep).map((d) => d.snapshot.name),
          removed: report.removed,
        });
        return;
      }
      if (report.resumed.length > 0) println(`completed ${report.resumed.length} snapshot swaps left by an interrupted rebase`);
      println(`${describePolicy(policy)}, per group of ${formatGroupBy(groupBy)}:`);
      for (const group of report.groups) {
        println(`${group.label} (${group.decisions.length} snapshots):`);
        for (const d of group.decisions) {
          println(d.keep ? `  keep    ${d.snapshot.name}  (${d.reasons.join(', ')})` : `  remove  ${d.snapshot.name}`);
        }
      }
      const removeCount = report.decisions.filter((d) => !d.keep).length;
      println(dryRun
        ? `dry run: would keep ${report.decisions.length - removeCount} and remove ${removeCount} snapshots`
        : `kept ${report.decisions.length - removeCount}, removed ${report.removed.length} snapshots; their data expires with its leases unless another snapshot links it`);
    });
  },
};
