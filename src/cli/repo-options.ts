/**
 * Repository options shared by every command (`--repo`, `--node-url`, `--node-directory`) and
 * {@link openRepo}, which turns them into a ready, cached, validated repository handle.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { TimefsError } from '../model/errors.js';
import { ConcurrencyLimitedStore } from '../store/concurrency-limited-store.js';
import { defaultCacheRoot, DiskCachedStore } from '../store/disk-cache-store.js';
import { MemoryCachedStore } from '../store/memory-cache-store.js';
import { parseRepoSpec, resolveRepoSpec, type RepoSpec } from '../store/repo-location.js';
import { openRepository, repoIdOf, type OpenedRepository } from '../store/repository.js';
import { redactCap } from '../model/cap.js';
import { REPO_LAYOUT } from '../model/entry.js';
import { PrimedListingStore } from '../store/primed-listings.js';
import type { CallOptions, Store } from '../store/store.js';
import { ForwardingStore } from '../store/forwarding-store.js';
import { DEFAULT_NODE_URL, defaultNodeDirectory, readNodeUrl } from '../store/tahoe/node-directory.js';
import { TahoeStore } from '../store/tahoe/tahoe-store.js';

/** An opened repository, ready for commands. */
export interface RepoHandle {
  /** The grid, with concurrency limit and memory + disk caches of immutable objects. */
  store: Store;
  rootCap: string;
  /** Read-only cap of the root (equals `rootCap` when opened read-only). */
  readCap: string;
  snapshotsCap: string;
  /** ISO time the repository was created (`timefs.json`). */
  created: string;
  /** Cap of `index/` (metadata indexes), when the repository has one. */
  indexCap?: string;
  /** Non-secret, stable: a hash of the root's read cap. */
  repoId: string;
  /** `$XDG_STATE_HOME/timefs/<repoId>` (not created here). */
  stateDir: string;
  /** `$XDG_CACHE_HOME/timefs/<repoId>`. */
  cacheDir: string;
  nodeUrl: string;
  /** True when opened through a read-only cap: fine for mount, ls, cat. */
  readOnly: boolean;
  /**
   * Settles once the repository is validated on the grid: already so, unless opened with
   * `wants.early`; rejects when the grid disagrees with what an earlier open remembered.
   */
  validated: Promise<void>;
}

/** The raw option values commander collects from {@link addRepoOptions}. */
export interface RepoOptionValues {
  repo?: string;
  nodeUrl?: string;
  nodeDirectory?: string;
}

/** Add `--repo`, `--node-url` and `--node-directory` to a command. */
export function addRepoOptions(cmd: Command): Command {
  return cmd
    .option('--repo <name>', 'repository: ALIAS:, ALIAS:path or a URI:DIR2: cap (default: $TIMEFS_REPO, then ~/.config/timefs/config.json)')
    .option('--node-url <url>', 'Tahoe client node web API (default: $TIMEFS_NODE_URL, then <node-directory>/node.url, then http://127.0.0.1:3456)')
    .option('--node-directory <dir>', 'Tahoe client node directory, for node.url and private/aliases (default: $TIMEFS_NODE_DIRECTORY or ~/.tahoe)');
}

/** Where the client node is: its directory and web API URL. */
export interface NodeConnection {
  nodeDirectory: string;
  nodeUrl: string;
}

/** Resolve the node directory and URL from options, environment and `node.url`. */
export async function resolveNode(opts: RepoOptionValues): Promise<NodeConnection> {
  const nodeDirectory = opts.nodeDirectory || process.env.TIMEFS_NODE_DIRECTORY || defaultNodeDirectory();
  const url = opts.nodeUrl || process.env.TIMEFS_NODE_URL || (await readNodeUrl(nodeDirectory)) || DEFAULT_NODE_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TimefsError('config', `the node URL ${JSON.stringify(url)} is not a URL`, { hint: 'pass e.g. --node-url http://127.0.0.1:3456' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TimefsError('config', `the node URL ${url} must start with http:// or https://`);
  return { nodeDirectory, nodeUrl: parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/` };
}

/** The repository name from `--repo`, `TIMEFS_REPO`, or `~/.config/timefs/config.json`. */
export async function resolveRepoName(opts: RepoOptionValues): Promise<RepoSpec> {
  const name = opts.repo || process.env.TIMEFS_REPO || (await configuredRepo());
  if (!name) {
    throw new TimefsError('usage', 'no repository given', {
      hint: 'pass --repo ALIAS: (e.g. --repo backups:), set TIMEFS_REPO, or put {"repo": "backups:"} in ~/.config/timefs/config.json',
    });
  }
  return parseRepoSpec(name);
}

/** What a command will read right after opening, so that it is asked for together with the root. */
export interface OpenWants {
  /** The metadata indexes (`index/`). */
  index?: boolean;
  /**
   * Return before the grid answers when an earlier open remembered the layout (the root's
   * read-only cap, a local answer of the node, is the only wait), validating in the background
   * (`RepoHandle.validated`): for a command with local work to do before it needs the grid.
   */
  early?: boolean;
}

/** Open the repository the options name, validated and wrapped with caches. */
export async function openRepo(opts: RepoOptionValues | Record<string, unknown>, wants: OpenWants = {}): Promise<RepoHandle> {
  const values = opts as RepoOptionValues;
  const spec = await resolveRepoName(values);
  const { nodeDirectory, nodeUrl } = await resolveNode(values);
  const tahoe = new TahoeStore({ nodeUrl });
  const rootCap = await resolveRepoSpec(tahoe, spec, nodeDirectory);
  const primed = new PrimedListingStore(tahoe);
  // What the last open learnt (snapshots/, index/ and timefs.json never change once they exist):
  // with it, the root, snapshots/ and index/ are listed at once, in one round trip.
  const layout = await readLayout(rootCap);
  const prime = (caps: ReadonlyArray<string | undefined>): void => { for (const cap of caps) if (cap !== undefined) primed.prime(cap); };
  prime([rootCap, layout?.snapshotsCap, wants.index ? layout?.indexCap : undefined]);
  // The read-only cap of a directory is computed by the node itself (no grid round trip).
  const readCap = tahoe.readOnlyCap(rootCap);
  const cacheDir = join(defaultCacheRoot(), repoIdOf(await readCap));
  const store = wrapStore(primed, cacheDir);
  const configStore = layout?.config ? new PinnedObjectStore(store, layout.config.cap, Buffer.from(layout.config.base64, 'base64')) : store;
  const opening = openRepository(primed, rootCap, {
    configStore,
    readCap,
    // The first open: list snapshots/ (and index/) while timefs.json is fetched.
    ...(layout ? {} : { onLayout: (caps: string[]) => prime(wants.index ? caps : caps.slice(0, 1)) }),
  });
  const remember = async (opened: OpenedRepository): Promise<void> => {
    if (layout?.snapshotsCap !== opened.snapshotsCap || layout.indexCap !== opened.indexCap || layout.config?.cap !== opened.configCap) {
      const config = { cap: opened.configCap, base64: Buffer.from(await configStore.get(opened.configCap)).toString('base64') };
      await writeLayout(rootCap, { snapshotsCap: opened.snapshotsCap, ...(opened.indexCap ? { indexCap: opened.indexCap } : {}), config });
    }
  };
  const stateDirOf = (repoId: string): string => join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'timefs', repoId);
  const created = layout?.config ? createdIn(layout.config.base64) : undefined;
  if (wants.early && layout?.config && created !== undefined) {
    const known = { ...layout, config: layout.config };
    const validated = opening.then(async (opened) => {
      await remember(opened);
      if (opened.snapshotsCap !== known.snapshotsCap || opened.configCap !== known.config.cap) {
        throw new TimefsError('repo.bad-format', `the repository ${redactCap(rootCap)} is not laid out as when it was last opened (its ${REPO_LAYOUT.snapshots}/ or ${REPO_LAYOUT.config} changed); nothing was written`, {
          hint: 'run the command again (the new layout is remembered now)',
        });
      }
    });
    validated.catch(() => {}); // the caller awaits it
    const readOnlyCap = await readCap;
    const repoId = repoIdOf(readOnlyCap);
    return {
      store,
      rootCap,
      readCap: readOnlyCap,
      snapshotsCap: known.snapshotsCap,
      created,
      ...(known.indexCap === undefined ? {} : { indexCap: known.indexCap }),
      repoId,
      stateDir: stateDirOf(repoId),
      cacheDir,
      nodeUrl,
      readOnly: readOnlyCap === rootCap,
      validated,
    };
  }
  const opened = await opening;
  await remember(opened);
  return {
    store,
    rootCap: opened.rootCap,
    readCap: opened.readCap,
    snapshotsCap: opened.snapshotsCap,
    created: opened.config.created,
    ...(opened.indexCap === undefined ? {} : { indexCap: opened.indexCap }),
    repoId: opened.repoId,
    stateDir: stateDirOf(opened.repoId),
    cacheDir,
    nodeUrl,
    readOnly: opened.readOnly,
    validated: Promise.resolve(),
  };
}

/** The creation time recorded in a remembered `timefs.json`, if it parses. */
function createdIn(base64: string): string | undefined {
  try {
    const created = (JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as { created?: unknown }).created;
    return typeof created === 'string' ? created : undefined;
  } catch {
    return undefined;
  }
}

/** What {@link openRepo} remembers of a repository root between runs. */
interface RepoLayout {
  snapshotsCap: string;
  indexCap?: string;
  /** `timefs.json`: its cap and content (immutable). */
  config?: { cap: string; base64: string };
}

function layoutPath(rootCap: string): string {
  // Named by a hash: the write cap and the read cap of one root have different layouts (and caps never appear in file names).
  return join(defaultCacheRoot(), `layout-${createHash('sha256').update(rootCap).digest('hex').slice(0, 24)}.json`);
}

async function readLayout(rootCap: string): Promise<RepoLayout | undefined> {
  try {
    const parsed = JSON.parse(await readFile(layoutPath(rootCap), 'utf8')) as Partial<RepoLayout>;
    if (typeof parsed.snapshotsCap !== 'string') return undefined;
    const config = parsed.config && typeof parsed.config.cap === 'string' && typeof parsed.config.base64 === 'string' ? parsed.config : undefined;
    return { snapshotsCap: parsed.snapshotsCap, ...(typeof parsed.indexCap === 'string' ? { indexCap: parsed.indexCap } : {}), ...(config ? { config } : {}) };
  } catch {
    return undefined; // no layout yet, or a damaged one: open the slow way
  }
}

async function writeLayout(rootCap: string, layout: RepoLayout): Promise<void> {
  try {
    await mkdir(defaultCacheRoot(), { recursive: true, mode: 0o700 });
    const tmp = `${layoutPath(rootCap)}.${process.pid}`;
    await writeFile(tmp, JSON.stringify(layout), { mode: 0o600 });
    await rename(tmp, layoutPath(rootCap));
  } catch {
    // a cache that cannot be written only makes the next open slower
  }
}

/** A store that answers one immutable object from memory (a cap names its content forever). */
class PinnedObjectStore extends ForwardingStore {
  constructor(inner: Store, private readonly cap: string, private readonly bytes: Uint8Array) {
    super(inner);
  }

  override get(cap: string, options?: CallOptions): Promise<Uint8Array> {
    return cap === this.cap ? Promise.resolve(this.bytes) : super.get(cap, options);
  }
}

/**
 * Grid requests one command keeps in flight at most: room for a push commit's widest level of
 * directories, or the mount's listing window beside its content reads, without flooding the node.
 */
export const GRID_REQUESTS = 16;

/**
 * The store commands use: memory cache → disk cache → concurrency limit → Tahoe.
 * `TIMEFS_DISK_CACHE_BYTES` (default 1 GiB, 0 disables) and `TIMEFS_MEMORY_CACHE_BYTES` (default 64 MiB) bound the caches.
 */
export function wrapStore(tahoe: Store, cacheDir: string): Store {
  const diskBytes = byteEnv('TIMEFS_DISK_CACHE_BYTES', 1024 ** 3);
  const memoryBytes = byteEnv('TIMEFS_MEMORY_CACHE_BYTES', 64 * 1024 * 1024);
  let store: Store = new ConcurrencyLimitedStore(tahoe, GRID_REQUESTS);
  if (diskBytes > 0) store = new DiskCachedStore(store, { dir: cacheDir, maxBytes: diskBytes });
  if (memoryBytes > 0) store = new MemoryCachedStore(store, { maxBytes: memoryBytes });
  return store;
}

/** A byte count from the environment variable `name` (`fallback` when unset). */
export function byteEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new TimefsError('config', `${name} must be a number of bytes, got ${JSON.stringify(text)}`);
  return n;
}

async function configuredRepo(): Promise<string | undefined> {
  const path = join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'timefs', 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TimefsError('config', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const config = JSON.parse(text) as { repo?: unknown };
    return typeof config.repo === 'string' ? config.repo : undefined;
  } catch {
    throw new TimefsError('config', `${path} is not valid JSON`, { hint: 'it should look like {"repo": "backups:"}' });
  }
}
