import { hostname } from 'node:os';
import type { Command } from 'commander';
import { updateMachineNotes } from '../../catalog/machine-notes.js';
import { TimefsError } from '../../model/errors.js';
import { readEncoding, readIntroducerFurl } from '../../store/tahoe/node-directory.js';
import { EXIT } from '../exit-codes.js';
import { qrLines } from '../qr-terminal.js';
import { recoveryJson, recoverySheetLines, type RecoveryInfo } from '../recovery-sheet.js';
import { addRepoOptions, openRepo, resolveNode, type RepoOptionValues } from '../repo-options.js';
import type { CommandModule } from './index.js';

const WRITE_WARNING = [
  'timefs: WARNING: the write cap follows. Whoever holds it can change and remove every snapshot.',
  '  Keep it offline (paper in a safe, a password manager), never next to the machine it protects.',
].join('\n');

/** `timefs key`: the recovery sheet; the only command that prints a whole cap. */
export const keyCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('key')
      .description("print the repository's recovery sheet: its read cap, the grid's introducer and the commands that restore on a new machine")
      .option('--write', 'add the write cap (after a warning on stderr)')
      .option('--json', 'print {"readCap", "introducer", "repoId", ...} (plus "writeCap" with --write)')
      .option('--qr', 'also draw the read cap as a QR code, for a phone photo or a paper copy')
      .addHelpText('after', `
The repository cap is the only key to your backups: the grid keeps all the data, but without
the cap nothing can be found again, and whoever holds the read cap can read every backup.
Print this sheet once, keep it off this machine (on paper, in a password manager), and
\`timefs doctor\` will stop reminding you. No other timefs command ever prints a whole cap.

Examples:
  timefs key --repo backups:                       # the sheet, with the read cap
  timefs key --repo backups: --qr | lpr            # with a QR code of the read cap, to the printer
  timefs key --repo backups: --json > sheet.json   # for scripts (keep the file safe)
  timefs key --repo backups: --write               # adds the write cap, to go on backing up elsewhere

On the new machine, docs/recovery.md walks through the restore step by step.

Exit status: 0 sheet printed; 3 printed, but the introducer fURL was not found in the node
directory or the sheet could not be recorded; 1 the repository could not be opened, or
--write on a repository named by its read-only cap.
`);
    addRepoOptions(cmd);
    cmd.action(async (flags: { write?: boolean; json?: boolean; qr?: boolean } & RepoOptionValues) => {
      if (flags.qr && flags.json) throw new TimefsError('usage', '--qr draws on the terminal and does not combine with --json');
      const repo = await openRepo(flags);
      if (flags.write && repo.readOnly) {
        throw new TimefsError('config', 'this repository was named by its read-only cap, so there is no write cap to print', {
          hint: 'name it by its alias (e.g. --repo backups:) on the machine that backs up',
        });
      }
      const { nodeDirectory } = await resolveNode(flags);
      const info: RecoveryInfo = {
        readCap: repo.readCap,
        ...(flags.write ? { writeCap: repo.rootCap } : {}),
        ...optional('introducer', await readIntroducerFurl(nodeDirectory)),
        ...optional('encoding', await readEncoding(nodeDirectory)),
        nodeDirectory,
        repoId: repo.repoId,
        created: repo.created,
        printedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        host: hostname(),
      };
      if (flags.write) process.stderr.write(`${WRITE_WARNING}\n`);
      const out: string[] = flags.json ? [JSON.stringify(recoveryJson(info), null, 2)] : recoverySheetLines(info);
      if (flags.qr && !flags.json) {
        out.push('', 'Read cap as a QR code:', ...qrLines(info.readCap, { colour: process.stdout.isTTY === true }));
      }
      process.stdout.write(`${out.join('\n')}\n`);
      let exit: number = EXIT.ok;
      if (!info.introducer) {
        process.stderr.write(`timefs: no introducer fURL in ${nodeDirectory} (private/introducers.yaml or tahoe.cfg); add it to the sheet by hand\n`);
        exit = EXIT.warnings;
      }
      try {
        await updateMachineNotes(repo.stateDir, { keyPrintedAt: info.printedAt, ...(flags.write ? { writeKeyPrintedAt: info.printedAt } : {}) });
      } catch (err) {
        process.stderr.write(`timefs: the sheet was printed, but this machine could not note it: ${(err as Error).message}\n`);
        exit = EXIT.warnings;
      }
      process.exitCode = exit;
    });
  },
};

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
