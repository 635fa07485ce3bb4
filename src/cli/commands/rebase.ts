import type { Command } from 'commander';
import { rebase, type RebaseProgress } from '../../maint/rebase.js';
import { EXIT } from '../exit-codes.js';
import { integerOption } from '../options.js';
import { formatBytes } from '../format-bytes.js';
import { printJson, println, ProgressLine } from '../maint-output.js';
import { addRepoOptions, openRepo } from '../repo-options.js';
import type { CommandModule } from './index.js';

interface RebaseFlags {
  maxChain?: number;
  dryRun?: boolean;
  json?: boolean;
}

/** `timefs rebase`: rewrite forward delta chains as reverse ones from a whole newest version. */
export const rebaseCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('rebase')
      .description('rewrite delta chains so that the newest version is stored whole and older ones are one reverse delta from it')
      .option('--max-chain <N>', 'only rebase files whose longest chain is longer than N (default: every chained file)', integerOption('--max-chain', 0))
      .option('--dry-run', 'show what would be rebased, change nothing')
      .option('--json', 'print the report as JSON')
      .addHelpText('after', `
Every rebuilt version is checked against its recorded hash, and everything is uploaded, before
any snapshot is swapped; snapshots keep their names, times and metadata. Safe to kill at any
moment: a rerun completes the work (see docs/maintenance.md). Do not run forget at the same time.

Examples:
  timefs rebase --repo backups: --dry-run
  timefs rebase --repo backups: --max-chain 10
`);
    addRepoOptions(cmd);
    cmd.action(async (flags: RebaseFlags & Record<string, unknown>) => {
      const repo = await openRepo(flags);
      const progress = new ProgressLine(process.stderr, flags.json ? false : undefined);
      const started = Date.now();
      const options: Parameters<typeof rebase>[2] = { dryRun: flags.dryRun === true, onProgress: (p: RebaseProgress) => progress.update(progressText(p)) };
      if (flags.maxChain !== undefined) options.maxChain = flags.maxChain;
      const report = await rebase(repo.store, { rootCap: repo.rootCap, snapshotsCap: repo.snapshotsCap }, options);
      progress.clear();
      const seconds = (Date.now() - started) / 1000;
      process.exitCode = report.skipped.length > 0 ? EXIT.warnings : EXIT.ok;
      if (flags.json) {
        printJson({ ...report, seconds });
        return;
      }
      if (report.resumed.length > 0) println(`completed ${report.resumed.length} snapshot swaps left by an interrupted rebase`);
      const verb = report.dryRun ? 'would rebase' : 'rebased';
      println(`${verb} ${report.rebased} of ${report.families} chained files${report.dryRun ? '' : ` (${report.versions} versions, ${report.snapshots.length} snapshots swapped)`}`);
      for (const path of report.paths) println(`  ${path}`);
      println(`chain length: longest ${report.before.max} -> ${report.after.max}, total deltas ${report.before.total} -> ${report.after.total}${report.dryRun ? ' (after: unchanged by a dry run)' : ''}`);
      println(`downloaded ${formatBytes(report.downloaded)}, uploaded ${formatBytes(report.uploaded)} in ${seconds.toFixed(1)} s`);
      for (const s of report.skipped) println(`warning: left ${s.path} as it was: ${s.reason}`);
    });
  },
};

function progressText(p: RebaseProgress): string {
  if (p.phase === 'walk') return `walking snapshot trees: ${p.done} objects`;
  if (p.phase === 'rebuild') return `rebasing ${p.done + 1}/${p.total ?? '?'}: ${p.path ?? ''}`;
  if (p.phase === 'trees') return 'writing new snapshot trees';
  return `swapping ${p.total ?? '?'} snapshots`;
}
