import type { Command } from 'commander';
import { restore, type RestoreReport } from '../../maint/restore.js';
import { parseRestoreSpec } from '../../maint/restore-spec.js';
import { restoreTrees } from '../../maint/restore-trees.js';
import { TimefsError } from '../../model/errors.js';
import { openSnapshotView } from '../../view/snapshot-view.js';
import { ChainVersionReader } from '../../view/version-reader.js';
import { argBytes, argSuffixBytes, localPathArg, snapshotPathOfBytes } from '../argv-bytes.js';
import { EXIT } from '../exit-codes.js';
import { quotePath } from '../quote-name.js';
import { formatBytes } from '../format-bytes.js';
import { printJson, println, ProgressLine } from '../maint-output.js';
import { addHostOption, viewOptions } from '../host-option.js';
import { addRepoOptions, openRepo } from '../repo-options.js';
import type { CommandModule } from './index.js';
import { requestTally } from '../../store/tahoe/http.js';
import { TahoeStore } from '../../store/tahoe/tahoe-store.js';

/** The terminal progress line of a restore: files, bytes of the total, rate and ETA once the walk has sized the work. */
export function restoreProgressLine(r: RestoreReport, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (r.bytes * 1000) / elapsedMs : 0;
  const total = r.bytesTotal > 0 ? `/${formatBytes(r.bytesTotal)}` : '';
  const left = r.bytesTotal - r.bytes;
  const eta = rate > 0 && left > 0 ? ` ETA ${Math.ceil(left / rate)}s` : '';
  return `restoring: ${r.dirs} directories, ${r.files}${r.filesTotal > 0 ? `/${r.filesTotal}` : ''} files, ${formatBytes(r.bytes)}${total}, ${formatBytes(rate)}/s${eta}`;
}

interface RestoreFlags {
  target?: string;
  verify?: boolean;
  utc?: boolean;
  json?: boolean;
  host?: string;
}

/** `timefs restore SNAPSHOT[:PATH] --target DIR`: copy out of the grid with all metadata, without FUSE. */
export const restoreCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('restore')
      .description('copy a snapshot, or one path of it, into a local directory with exact bytes and metadata')
      .argument('<SNAPSHOT[:PATH]>', 'latest, 2009-01-09T01:49:00Z or 2009-01-09, optionally followed by :/path/inside')
      .argument('[PATH]', 'path inside the snapshot (instead of :PATH)')
      .requiredOption('--target <DIR>', 'directory to restore into (created if missing; existing entries are never overwritten)')
      .option('--verify', 're-read every restored file from disk and compare it with its recorded hash')
      .option('--utc', 'days in UTC instead of the local time zone')
      .option('--json', 'print the summary as JSON')
      .addHelpText('after', `
Restores exact bytes (zero blocks become holes), modes, owners (when run as root), mtimes to the
nanosecond, symlinks, hard links, fifos, sockets, device nodes (as root) and names that are not
UTF-8. Names that would leave the target ("..", "/" inside a name) are refused as a tampered
repository. A directory is restored as its contents inside DIR; a file as DIR/NAME. A file whose
stored data is damaged is left out and reported (exit status 4); everything else is restored.

Examples:
  timefs restore latest --target /tmp/everything --repo backups:
  timefs restore 2009-01-09:/home/me/docs --target ~/docs-then --verify --repo backups:
  timefs restore 2009-01-09T01:49:00Z home/me/report.odt --target /tmp/r --repo backups:
`);
    addHostOption(cmd);
    addRepoOptions(cmd);
    cmd.action(async (spec: string, extraPath: string | undefined, flags: RestoreFlags & Record<string, unknown>) => {
      const parsed = parseRestoreSpec(spec);
      if (extraPath !== undefined && parsed.path !== '') throw new TimefsError('usage', 'give the path either as SNAPSHOT:PATH or as a second argument, not both');
      const exactPath = extraPath !== undefined ? argBytes(extraPath) : argSuffixBytes(spec, spec.slice(0, spec.length - parsed.path.length));
      const path = snapshotPathOfBytes(exactPath);
      const shownPath = exactPath.length === 0 ? '/' : quotePath(exactPath);
      // Every object is read once: an in-memory cache of objects would only hold bytes no one asks for again.
      process.env.TIMEFS_MEMORY_CACHE_BYTES = '0';
      const repo = await openRepo(flags);
      const { target: snapshot, store: trees } = await openSnapshotView(repo.store, repo.snapshotsCap, parsed.snapshot, viewOptions(flags));
      const listings = await restoreTrees(trees, repo.indexCap, { name: snapshot.name, cap: snapshot.cap });
      const progress = new ProgressLine(process.stderr, flags.json ? false : undefined);
      const started = Date.now();
      // Contents are read once: straight from the node, past the caches (which would only hold
      // every byte again in memory and on disk); restore bounds its own requests in flight.
      const direct = new TahoeStore({ nodeUrl: repo.nodeUrl });
      const report = await restore(
        { store: direct, trees: listings.trees, ...(listings.index ? { index: listings.index } : {}), versions: new ChainVersionReader(direct) },
        { snapshot: snapshot.name, rootCap: snapshot.cap, path },
        localPathArg(flags.target!, 'target directory'),
        { verify: flags.verify === true, onProgress: (r: RestoreReport) => progress.update(restoreProgressLine(r, Date.now() - started)) },
      );
      progress.clear();
      const seconds = (Date.now() - started) / 1000;
      if (flags.json) printJson({ snapshot: snapshot.name, path: exactPath.length === 0 ? '/' : exactPath.toString('utf8'), target: flags.target, seconds, ...report, listedFrom: listings.listedFrom, requests: { ...requestTally } });
      else {
        println(`restored ${snapshot.name}:${shownPath} to ${flags.target}: ${report.files} files (${formatBytes(report.bytes)}, ${formatBytes(report.written)} written, the rest holes), ${report.dirs} directories, ${report.symlinks} symlinks, ${report.hardlinks} hard links, ${report.specials} special files in ${seconds.toFixed(1)} s`);
        if (flags.verify) println(`verified ${report.verified} files against their recorded hashes`);
        if (!report.exactTimes) println('warning: python3 was not found; modification times were set to the microsecond only');
        for (const w of report.warnings) println(`warning: ${w}`);
        for (const d of report.damaged) println(`DAMAGED, not restored: ${d}`);
      }
      process.exitCode = report.damaged.length > 0 ? EXIT.damaged : report.warnings.length > 0 ? EXIT.warnings : EXIT.ok;
    });
  },
};
