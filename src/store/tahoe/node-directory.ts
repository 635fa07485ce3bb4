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

/**
 * The grid's introducer fURL as the node knows it: the first `furl:` of `private/introducers.yaml`
 * (where `tahoe create-client --introducer` puts it since 1.17), else `introducer.furl` in
 * `tahoe.cfg` (older nodes). Undefined when the node directory names none.
 */
export async function readIntroducerFurl(nodeDir: string): Promise<string | undefined> {
  const yaml = await readOptional(join(nodeDir, 'private', 'introducers.yaml'));
  const fromYaml = /^\s*furl:\s*['"]?(pb:\/\/[^\s'"]+)/m.exec(yaml ?? '');
  if (fromYaml) return fromYaml[1];
  const cfg = await readOptional(join(nodeDir, 'tahoe.cfg'));
  const fromCfg = /^\s*introducer\.furl\s*=\s*(pb:\/\/\S+)/m.exec(cfg ?? '');
  return fromCfg?.[1];
}

/** A client node's erasure-coding parameters (`[client] shares.*` in `tahoe.cfg`). */
export interface EncodingParameters {
  needed: number;
  happy: number;
  total: number;
}

/** The node's encoding parameters from `tahoe.cfg`, or undefined when it has none (or no `tahoe.cfg`). */
export async function readEncoding(nodeDir: string): Promise<EncodingParameters | undefined> {
  const cfg = await readOptional(join(nodeDir, 'tahoe.cfg'));
  if (cfg === undefined) return undefined;
  const value = (key: string) => {
    const m = new RegExp(`^\\s*shares\\.${key}\\s*=\\s*(\\d+)\\s*$`, 'm').exec(cfg);
    return m ? Number(m[1]) : undefined;
  };
  const needed = value('needed');
  const happy = value('happy');
  const total = value('total');
  if (needed === undefined || happy === undefined || total === undefined) return undefined;
  return { needed, happy, total };
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
