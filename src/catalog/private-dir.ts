/**
 * The local state directory holds secrets: the catalog has the read cap of every backed-up file
 * and the spool holds copies of file contents. It is kept private to its owner: the directory
 * and everything below it readable by the owner only (directories 0700, files 0600), created so
 * and tightened again whenever a command opens it, so state made by an older timefs is fixed too.
 */
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const GROUP_AND_OTHERS = 0o077;

async function tighten(path: string, mode: number): Promise<void> {
  if ((mode & GROUP_AND_OTHERS) !== 0) await chmod(path, mode & ~GROUP_AND_OTHERS & 0o7777);
}

/** Creates `dir` (0700) if needed and takes group and other access away from everything in it. */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const walk = async (path: string): Promise<void> => {
    const info = await lstat(path).catch(() => undefined);
    if (!info || info.isSymbolicLink()) return;
    await tighten(path, info.mode).catch(() => {});
    if (!info.isDirectory()) return;
    const names = await readdir(path).catch(() => [] as string[]);
    for (const name of names) await walk(join(path, name));
  };
  await walk(dir);
}
