/**
 * Loads delta chains: lists a version node, fetches its deltas (all at once) and composes their
 * extent list over the base. Loads of one version share one promise, and loaded chains stay in a
 * cache bounded by approximate bytes. Used by the chain reader (version-reader.ts).
 */
import { LRUCache } from 'lru-cache';
import { composeChain } from '../delta/extent-compose.js';
import type { ExtentList } from '../delta/extents.js';
import { VERSION_NODE } from '../model/entry.js';
import { TimefsError, isTimefsError } from '../model/errors.js';
import type { CallOptions, Store } from '../store/store.js';
import type { ObjectCache } from './delta-cache.js';
import type { TreeEntry } from './entry-decode.js';
import { integrityError, type VersionPlace } from './hash-check.js';

/** Rough memory of one extent piece, for the chain cache's bound. */
const PIECE_BYTES = 80;

/** A chain being loaded: who wants its base as soon as the version node is listed. */
interface ChainLoad {
  chain: Promise<Chain>;
  base?: { cap: string; size: number };
  onBase: Array<(baseCap: string, baseSize: number) => void>;
}

/** A loaded chain: its base, its deltas, and the extent list they compose to. */
export interface Chain {
  baseCap: string;
  baseSize: number;
  deltas: Uint8Array[];
  extents: ExtentList;
}

/** What a {@link ChainLoader} needs. */
export interface ChainLoaderOptions {
  /** Where deltas come from (usually a cache in front of the store). */
  deltas: ObjectCache;
  /** Bound of the loaded-chain cache in approximate bytes. */
  cacheBytes: number;
  /** Told a chain's base cap as soon as its version node is listed. */
  onChainBase?: ((baseCap: string, versionSize: number) => void) | undefined;
}

/** Loads and caches the delta chains of versions stored as chains. */
export class ChainLoader {
  private readonly chains: LRUCache<string, Chain>;
  private readonly loading = new Map<string, ChainLoad>();

  constructor(private readonly store: Store, private readonly options: ChainLoaderOptions) {
    this.chains = new LRUCache<string, Chain>({
      maxSize: Math.max(1, options.cacheBytes),
      sizeCalculation: (chain) => PIECE_BYTES * (chain.extents.pieces.length + 1) + chain.deltas.reduce((n, d) => n + d.length, 0),
    });
  }

  /**
   * The chain of the version `entry` points to, loaded once however many ask at the same time.
   * `onBase` is told the base as soon as the version node is listed (not for a chain already
   * loaded), also when it joins a load under way.
   */
  async load(entry: TreeEntry, place: VersionPlace, options?: CallOptions, onBase?: (baseCap: string, baseSize: number) => void): Promise<Chain> {
    const cached = this.chains.get(entry.cap);
    if (cached && cached.extents.size === entry.meta.size && (entry.meta.chain ?? cached.deltas.length) === cached.deltas.length) return cached;
    // Concurrent opens of one version (parallel FUSE opens, several readers) share one load.
    const key = `${entry.cap}\n${entry.meta.size}\n${entry.meta.chain ?? ''}`;
    const pending = this.loading.get(key);
    if (pending) {
      if (onBase && pending.base) onBase(pending.base.cap, pending.base.size);
      else if (onBase) pending.onBase.push(onBase);
      return pending.chain;
    }
    const load = { onBase: onBase ? [onBase] : [] } as Partial<ChainLoad> as ChainLoad; // its chain is set just below
    load.chain = this.buildChain(entry, place, options, (cap, size) => {
      load.base = { cap, size };
      for (const listener of load.onBase.splice(0)) listener(cap, size);
    }).finally(() => this.loading.delete(key));
    this.loading.set(key, load);
    return load.chain;
  }

  private async buildChain(entry: TreeEntry, place: VersionPlace, options?: CallOptions, onBase?: (baseCap: string, baseSize: number) => void): Promise<Chain> {
    const badFormat = (why: string): TimefsError =>
      new TimefsError('repo.bad-format', `${place.path} in snapshot ${place.snapshot}: its version node ${why}`, {
        hint: 'run `timefs check` on this repository',
      });
    const parts = await this.store.list(entry.cap, options);
    const base = parts.get(VERSION_NODE.base);
    if (!base || base.kind !== 'file') throw badFormat('has no base');
    const deltaCaps: string[] = [];
    for (let i = 1; parts.has(VERSION_NODE.deltaName(i)); i++) deltaCaps.push((parts.get(VERSION_NODE.deltaName(i)) as { readCap: string }).readCap);
    if (entry.meta.chain !== undefined && entry.meta.chain !== deltaCaps.length) {
      throw badFormat(`has ${deltaCaps.length} deltas but ${entry.meta.chain} are recorded`);
    }
    this.options.onChainBase?.(base.readCap, entry.meta.size);
    const sizing = base.size !== undefined ? Promise.resolve(base.size) : this.store.size(base.readCap, options);
    const started = onBase ? sizing.then((size) => onBase(base.readCap, size)) : undefined;
    const [baseSize, deltas] = await Promise.all([
      sizing,
      Promise.all(deltaCaps.map((cap) => this.options.deltas.get(cap, options))),
      started,
    ]);
    let extents: ExtentList;
    try {
      extents = composeChain(baseSize, deltas, 'chain');
    } catch (err) {
      if (isTimefsError(err, 'delta.corrupt', 'delta.truncated', 'delta.bad-magic')) {
        throw integrityError(place, `its delta chain cannot be applied: ${err.message}`);
      }
      throw err;
    }
    if (extents.size !== entry.meta.size) {
      throw integrityError(place, `its chain rebuilds ${extents.size} bytes but ${entry.meta.size} are recorded`);
    }
    const chain = { baseCap: base.readCap, baseSize, deltas, extents };
    this.chains.set(entry.cap, chain);
    return chain;
  }
}
