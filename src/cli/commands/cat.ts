import type { Command } from 'commander';
import { TimefsError } from '../../model/errors.js';
import { TahoeStore } from '../../store/tahoe/tahoe-store.js';
import { openSnapshotView } from '../../view/snapshot-view.js';
import { GridTreeReader } from '../../view/tree-reader.js';
import { ChainVersionReader } from '../../view/version-reader.js';
import { argBytes, snapshotPathArg } from '../argv-bytes.js';
import { openOutput } from '../byte-files.js';
import { quotePath } from '../quote-name.js';
import { addHostOption, viewOptions } from '../host-option.js';
import { addRepoOptions, openRepo } from '../repo-options.js';
import type { CommandModule } from './index.js';

/** Files up to this size are checked against their hash before any byte is written. */
export const CHECK_BEFORE_WRITE_BYTES = 64 * 1024 * 1024;

/** `timefs cat SNAPSHOT PATH`: a file as of a snapshot, rebuilt from its chain, hash checked. */
export const catCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('cat')
      .description('write a file as it was in a snapshot to stdout, rebuilt from its delta chain and checked against its hash')
      .argument('<SNAPSHOT>', 'latest, 2009-01-09T01:49:00Z, or 2009-01-09')
      .argument('<PATH>', 'path of a file (or symlink: prints its target) inside the snapshot')
      .option('--utc', 'days in UTC instead of the local time zone')
      .addHelpText('after', `
Files up to 64 MiB are checked before anything is written; larger ones are streamed and checked
at the end: a non-zero exit then means the output must be discarded.

PATH is taken as its exact bytes, so any name works, also from \`find … -exec timefs cat latest {} \\;\`.

Examples:
  timefs cat latest /home/me/notes.txt --repo backups:
  timefs cat 2009-01-09 home/me/report.odt > report-2009-01-09.odt
`);
    addHostOption(cmd);
    addRepoOptions(cmd);
    cmd.action(async (spec: string, path: string, opts: { utc?: boolean; host?: string } & Record<string, unknown>) => {
      const repo = await openRepo(opts);
      const { target: snapshot, store } = await openSnapshotView(repo.store, repo.snapshotsCap, spec, viewOptions(opts));
      const entry = await new GridTreeReader(store).lookup(snapshot.cap, snapshotPathArg(path));
      const exact = argBytes(path);
      const shown = quotePath(exact[0] === 0x2f ? exact : Buffer.concat([Buffer.from('/'), exact]));
      if (entry.meta.type === 'dir') throw new TimefsError('usage', `${shown} in snapshot ${snapshot.name} is a directory`, { hint: 'list it with `timefs ls`' });
      // The content is read once: straight from the node, past the caches (deltas keep them).
      const reader = new ChainVersionReader(repo.store, { contentStore: new TahoeStore({ nodeUrl: repo.nodeUrl }) });
      const place = { path: shown, snapshot: snapshot.name };
      const out = await openOutput('-', false);
      // A reader that closes the pipe early (`| head`) is not an error.
      let closed = false;
      const onError = (err: NodeJS.ErrnoException): void => {
        if (err.code === 'EPIPE') closed = true;
      };
      process.stdout.on('error', onError);
      try {
        const chunks = reader.readVerified(entry, place);
        if (entry.meta.size <= CHECK_BEFORE_WRITE_BYTES) {
          const held: Uint8Array[] = [];
          for await (const chunk of chunks) held.push(chunk);
          for (const chunk of held) if (!closed) await out.write(chunk).catch(swallowEpipe(() => closed));
        } else {
          for await (const chunk of chunks) {
            if (closed) break;
            await out.write(chunk).catch(swallowEpipe(() => closed));
          }
        }
      } finally {
        process.stdout.off('error', onError);
      }
    });
  },
};

function swallowEpipe(isClosed: () => boolean): (err: unknown) => void {
  return (err) => {
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    if (isClosed() || cause?.code === 'EPIPE') return;
    throw err;
  };
}
