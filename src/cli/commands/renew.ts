import { Option, type Command } from 'commander';
import { updateMachineNotes } from '../../catalog/machine-notes.js';
import { renewLeases, type RenewWalk } from '../../maint/renew.js';
import { EXIT } from '../exit-codes.js';
import { printJson, println, ProgressLine } from '../maint-output.js';
import { addRepoOptions, openRepo } from '../repo-options.js';
import type { CommandModule } from './index.js';

/** `timefs renew`: renew leases on everything reachable from the repository root. */
export const renewCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('renew')
      .description('renew the storage leases of everything reachable from the repository')
      .option('--json', 'print the summary as JSON')
      .addOption(new Option('--walk <HOW>', 'window: timefs lists directories and adds leases, many requests in flight; deep-check: one streamed deep-check, the node walks')
        .choices(['window', 'deep-check']).default('window'))
      .addHelpText('after', `
Tahoe leases last 31 days; servers that collect garbage delete shares whose leases all expired.
Run this at least weekly from the same Tahoe client node (leases are tied to its secret), e.g.
with the systemd timer in mount-examples/timefs-renew.timer. Exit status 4 means some objects
could not be reached (run \`timefs check\`).

Examples:
  timefs renew --repo backups:
  timefs renew --repo backups: --json
  timefs renew --repo backups: --walk deep-check
`);
    addRepoOptions(cmd);
    cmd.action(async (flags: { json?: boolean; walk: RenewWalk } & Record<string, unknown>) => {
      const repo = await openRepo(flags);
      const progress = new ProgressLine(process.stderr, flags.json ? false : undefined);
      const started = Date.now();
      const report = await renewLeases(repo.store, repo.rootCap, {
        walk: flags.walk,
        onObject: (r) => progress.update(`renewing leases: ${r.objects} objects (${r.directories} directories, ${r.files} files)`),
      });
      progress.clear();
      const seconds = (Date.now() - started) / 1000;
      // `timefs doctor` counts lease age from the last renewal that reached everything.
      if (report.unrecoverable.length === 0) await updateMachineNotes(repo.stateDir, { leasesRenewedAt: new Date(started).toISOString() });
      if (flags.json) printJson({ ...report, seconds });
      else {
        println(`renewed leases on ${report.objects - report.unrecoverable.length} of ${report.objects} objects (${report.directories} directories, ${report.files} files) in ${seconds.toFixed(1)} s`);
        if (report.unhealthy > 0) println(`${report.unhealthy} objects have fewer shares than wanted; consider \`tahoe deep-check --repair\``);
        for (const path of report.unrecoverable) println(`UNREACHABLE: ${path}`);
        println(`next renewal due within 31 days (weekly is recommended)`);
      }
      process.exitCode = report.unrecoverable.length > 0 ? EXIT.damaged : EXIT.ok;
    });
  },
};
