/**
 * What a Tahoe node directory tells a client, read and written the way the `tahoe` CLI does:
 * `node.url` (the web API address) and `private/aliases` (`name: CAP` lines).
 */
import { appendFile, mkdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TimefsError } from '../../model/errors.js';

/** The default client node URL when nothing else says otherwise. */
export const DEFAULT_NODE_URL = 'http://127.0.0.1:3456/';

/** `~/.tahoe`, Tahoe's default node directory. */
export function defaultNodeDirectory(): string {
  return join(homedir(), '.tahoe');
}

/** The node's own URL from `<dir>/node.url`, or undefined when the file does not exist. */
export async function readNodeUrl(nodeDir: string): Promise<string | undefined> {
  try {
    const url = (await readFile(join(nodeDir, 'node.url'), 'utf8')).trim();
    return url || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TimefsError('config', `cannot read ${join(nodeDir, 'node.url')}: ${(err as Error).message}`, { cause: err });
  }
}

/** Aliases of a node directory (`private/aliases`, plus `tahoe:` from `private/root_dir.cap`). */
export async function readAliases(nodeDir: string): Promise<Map<string, string>> {
  const aliases = new Map<string, string>();
  const rootDir = await readOptional(join(nodeDir, 'private', 'root_dir.cap'));
  if (rootDir?.trim()) aliases.set('tahoe', rootDir.trim());
  const text = await readOptional(join(nodeDir, 'private', 'aliases'));
  for (const raw of (text ?? '').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    aliases.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return aliases;
}

/** Check an alias name as `tahoe create-alias` would. */
export function checkAliasName(name: string): void {
  if (!name || /[:\s]/.test(name)) {
    throw new TimefsError('usage', `invalid alias name ${JSON.stringify(name)}: aliases may not contain ":" or spaces`);
  }
}

/** Append `name: cap` to `<dir>/private/aliases` (created with mode 0600), as `tahoe create-alias` does. */
export async function addAlias(nodeDir: string, name: string, cap: string): Promise<void> {
  checkAliasName(name);
  const privateDir = join(nodeDir, 'private');
  const exists = await stat(nodeDir).then((s) => s.isDirectory(), () => false);
  if (!exists) {
    throw new TimefsError('config', `the Tahoe node directory ${nodeDir} does not exist, so the alias "${name}:" cannot be saved`, {
      hint: 'pass --node-directory DIR (the client node\'s directory) or set TIMEFS_NODE_DIRECTORY',
    });
  }
  await mkdir(privateDir, { recursive: true, mode: 0o700 });
  const file = join(privateDir, 'aliases');
  const current = (await readOptional(file)) ?? '';
  const separator = current.length > 0 && !current.endsWith('\n') ? '\n' : '';
  await appendFile(file, `${separator}${name}: ${cap}\n`, { mode: 0o600 });
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TimefsError('config', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}
