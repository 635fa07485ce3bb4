/**
 * The repository layout on the grid (DESIGN.md §2): a mutable root directory holding the
 * immutable `timefs.json` and the mutable `snapshots/` directory. Creating, opening, validating.
 */
import { createHash } from 'node:crypto';
import { redactCap } from '../model/cap.js';
import { TimefsError } from '../model/errors.js';
import { FORMAT, REPO_LAYOUT } from '../model/entry.js';
import type { CallOptions, Store } from './store.js';

/** Contents of `timefs.json`. Unknown fields are kept for newer versions. */
export interface RepoConfig {
  format: string;
  /** ISO-8601 UTC time of `init`. */
  created: string;
  [key: string]: unknown;
}

/** An opened repository. */
export interface OpenedRepository {
  rootCap: string;
  /** Read-only cap of the root (safe to derive ids from, hand to mounts). */
  readCap: string;
  /** Write cap of `snapshots/` when the root is writable, else its read cap. */
  snapshotsCap: string;
  /** Cap of the optional `index/` directory of metadata indexes, when there is one. */
  indexCap?: string;
  config: RepoConfig;
  /** Cap of `timefs.json` (immutable). */
  configCap: string;
  readOnly: boolean;
  /** Stable, non-secret identifier: a hash of the root's read cap. */
  repoId: string;
}

/** Result of {@link initRepository}. */
export interface InitResult extends OpenedRepository {
  /** False when the directory already held a timefs repository (nothing was changed). */
  created: boolean;
}

/** The non-secret id of a repository, from the read cap of its root. */
export function repoIdOf(readCap: string): string {
  return createHash('sha256').update(`timefs-repo-id\0${readCap}`).digest('hex').slice(0, 24);
}

/**
 * Make `rootCap` (a mutable directory) a timefs repository, or create a new root when none is
 * given. An existing timefs repository is left as it is; any other non-empty directory is refused.
 */
export async function initRepository(store: Store, rootCap: string | undefined, options: CallOptions = {}): Promise<InitResult> {
  if (rootCap === undefined) {
    const snapshots = await store.mkdirMutable({}, options);
    const config = await store.putImmutable(configBytes(), options);
    const root = await store.mkdirMutable({ [REPO_LAYOUT.snapshots]: { cap: snapshots }, [REPO_LAYOUT.config]: { cap: config } }, options);
    return { ...(await openRepository(store, root, options)), created: true };
  }
  if (!rootCap.startsWith('URI:DIR2:') && !rootCap.startsWith('URI:DIR2-MDMF:')) {
    throw new TimefsError('repo.bad-name', `cannot initialise ${redactCap(rootCap)}: a repository root must be a writable (mutable) directory`);
  }
  const listing = await store.list(rootCap, options);
  if (listing.has(REPO_LAYOUT.config)) return { ...(await openRepository(store, rootCap, options)), created: false };
  const names = [...listing.keys()];
  const snapshotsEntry = listing.get(REPO_LAYOUT.snapshots);
  // Only an empty directory, or one left with just an empty snapshots/ by an interrupted init, is ours to take.
  const resumable = names.length === 1 && snapshotsEntry?.kind === 'dir' && snapshotsEntry.mutable && (await store.list(snapshotsEntry.cap, options)).size === 0;
  if (names.length > 0 && !resumable) {
    throw new TimefsError('repo.not-empty', `cannot initialise ${redactCap(rootCap)}: the directory is not empty and is not a timefs repository (it holds ${names.length} entries)`, {
      hint: 'choose a new alias, or an empty directory',
    });
  }
  if (!resumable) await store.link(rootCap, REPO_LAYOUT.snapshots, await store.mkdirMutable({}, options), undefined, options);
  // timefs.json goes in last: its presence marks a complete repository.
  await store.link(rootCap, REPO_LAYOUT.config, await store.putImmutable(configBytes(), options), undefined, options);
  return { ...(await openRepository(store, rootCap, options)), created: true };
}

/** Options of {@link openRepository}. */
export interface OpenOptions extends CallOptions {
  /**
   * Where the immutable `timefs.json` is fetched (default: `store`): a caching store makes it
   * free after the first open.
   */
  configStore?: Store;
  /** The read-only cap of the root, when the caller asked for it already. */
  readCap?: Promise<string>;
  /** Told the caps of `snapshots/` and `index/` as soon as the root is listed (to start listing them). */
  onLayout?: (caps: string[]) => void;
}

/**
 * Open and validate the repository at `rootCap` (write or read-only cap). The root listing and
 * the read-only cap are asked for together.
 */
export async function openRepository(store: Store, rootCap: string, options: OpenOptions = {}): Promise<OpenedRepository> {
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  const readCapPromise = options.readCap ?? store.readOnlyCap(rootCap, call);
  readCapPromise.catch(() => {}); // awaited below, after the listing's own errors
  const listing = await store.list(rootCap, call);
  const configEntry = listing.get(REPO_LAYOUT.config);
  const snapshots = listing.get(REPO_LAYOUT.snapshots);
  options.onLayout?.([snapshots, listing.get(REPO_LAYOUT.index)].flatMap((e) => (e?.kind === 'dir' && e.mutable ? [e.cap] : [])));
  if (!configEntry) {
    throw new TimefsError('repo.not-initialised', `${redactCap(rootCap)} is not a timefs repository (no ${REPO_LAYOUT.config})`);
  }
  if (configEntry.kind !== 'file') throw new TimefsError('repo.bad-format', `${REPO_LAYOUT.config} in ${redactCap(rootCap)} is not a file`);
  const config = parseConfig(await (options.configStore ?? store).get(configEntry.cap, call), rootCap);
  if (!snapshots || snapshots.kind !== 'dir' || !snapshots.mutable) {
    throw new TimefsError('repo.bad-format', `the repository ${redactCap(rootCap)} has no mutable ${REPO_LAYOUT.snapshots}/ directory`);
  }
  const readCap = await readCapPromise;
  const index = listing.get(REPO_LAYOUT.index);
  return {
    rootCap,
    readCap,
    snapshotsCap: snapshots.cap,
    ...(index?.kind === 'dir' ? { indexCap: index.cap } : {}),
    config,
    configCap: configEntry.cap,
    readOnly: readCap === rootCap,
    repoId: repoIdOf(readCap),
  };
}

function configBytes(): Uint8Array {
  const config: RepoConfig = { format: FORMAT, created: new Date().toISOString() };
  return new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`);
}

function parseConfig(bytes: Uint8Array, rootCap: string): RepoConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new TimefsError('repo.bad-format', `${REPO_LAYOUT.config} in ${redactCap(rootCap)} is not valid JSON`);
  }
  const config = parsed as Partial<RepoConfig> | null;
  if (typeof config !== 'object' || config === null || typeof config.format !== 'string') {
    throw new TimefsError('repo.bad-format', `${REPO_LAYOUT.config} in ${redactCap(rootCap)} has no format field`);
  }
  if (config.format !== FORMAT) {
    throw new TimefsError('repo.bad-format', `the repository ${redactCap(rootCap)} has format ${JSON.stringify(config.format)}; this timefs reads ${FORMAT}`, {
      hint: 'use a timefs version that supports this format',
    });
  }
  return config as RepoConfig;
}
