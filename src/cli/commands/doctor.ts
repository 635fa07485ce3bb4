import type { Command } from 'commander';
import { readMachineNotes } from '../../catalog/machine-notes.js';
import { assessReadiness, RENEW_EVERY_DAYS, worstStatus, type Finding, type ReadinessFacts } from '../../maint/readiness.js';
import { redactCaps } from '../../model/cap.js';
import { isTimefsError } from '../../model/errors.js';
import { readEncoding, readIntroducerFurl } from '../../store/tahoe/node-directory.js';
import { readNodeStatus } from '../../store/tahoe/node-status.js';
import { GridSnapshotCatalogue } from '../../view/snapshot-catalogue.js';
import { EXIT } from '../exit-codes.js';
import { addRepoOptions, openRepo, resolveNode, type RepoOptionValues } from '../repo-options.js';
import type { CommandModule } from './index.js';

const MARK: Record<Finding['status'], string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };

/** `timefs doctor`: could this machine's backups be restored without its own disk? */
export const doctorCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('doctor')
      .description('check that the backups could be restored without this machine: recovery sheet printed, node connected, servers seen, leases renewed')
      .option('--json', 'print {"status", "findings": [{"check", "status", "message", "hint"}]}')
      .addHelpText('after', `
Checks, each ok, WARN or FAIL:
  repository      the repository opens through the node
  recovery-sheet  \`timefs key\` has printed a recovery sheet on this machine (it notes when)
  introducer      the node directory names the grid's introducer (a new machine needs it)
  node, servers   the client node answers, reaches its introducer, and sees enough storage
                  servers for reads (shares.needed) and pushes (shares.happy)
  leases          renewed within ${RENEW_EVERY_DAYS} days (Tahoe leases last 31 days)

Examples:
  timefs doctor --repo backups:
  timefs doctor --repo backups: --json | jq -r '.findings[] | select(.status != "ok") | .message'

Exit status: 0 all ok; 3 warnings (e.g. no recovery sheet printed yet, leases due);
1 something fails (node down, too few servers, leases possibly expired, repository not found).
`);
    addRepoOptions(cmd);
    cmd.action(async (flags: { json?: boolean } & RepoOptionValues) => {
      const { nodeDirectory, nodeUrl } = await resolveNode(flags);
      const [node, introducer, encoding, repository] = await Promise.all([
        readNodeStatus(nodeUrl).catch((err: unknown) => ({ error: messageOf(err) })),
        readIntroducerFurl(nodeDirectory),
        readEncoding(nodeDirectory),
        repositoryFacts(flags).catch((err: unknown) => ({ error: messageOf(err) })),
      ]);
      const facts: ReadinessFacts = {
        now: new Date(),
        nodeUrl,
        nodeDirectory,
        node,
        ...(introducer === undefined ? {} : { introducer }),
        ...(encoding === undefined ? {} : { encoding }),
        ...('error' in repository ? { repositoryError: repository.error } : { repository }),
      };
      const findings = assessReadiness(facts);
      const status = worstStatus(findings);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ status, findings }, null, 2)}\n`);
      } else {
        for (const finding of findings) {
          process.stdout.write(`${MARK[finding.status]}  ${finding.check.padEnd(15)} ${finding.message}\n`);
          if (finding.hint && finding.status !== 'ok') process.stdout.write(`      ${''.padEnd(15)} → ${finding.hint}\n`);
        }
        process.stdout.write(
          status === 'ok'
            ? 'This machine could be lost without losing the backups.\n'
            : status === 'warn'
              ? 'Backups are readable, but see the warnings above.\n'
              : 'Something would stop a restore or a push now: see FAIL above.\n',
        );
      }
      process.exitCode = status === 'fail' ? EXIT.failure : status === 'warn' ? EXIT.warnings : EXIT.ok;
    });
  },
};

async function repositoryFacts(flags: RepoOptionValues): Promise<NonNullable<ReadinessFacts['repository']>> {
  const repo = await openRepo(flags);
  const snapshots = await new GridSnapshotCatalogue(repo.store, repo.snapshotsCap).list();
  const oldest = snapshots[0]?.time;
  return {
    repoId: repo.repoId,
    notes: await readMachineNotes(repo.stateDir),
    snapshots: snapshots.length,
    ...(oldest === undefined ? {} : { oldestSnapshot: oldest }),
  };
}

function messageOf(err: unknown): string {
  const text = isTimefsError(err) && err.hint ? `${err.message} (${err.hint})` : err instanceof Error ? err.message : String(err);
  return redactCaps(text);
}
