/**
 * The mount's whole namespace over the grid (DESIGN.md §5): the time-indexed top level, every
 * snapshot tree, and `history/<path>/`. Listings load lazily and are cached by cap; resolved
 * paths inside snapshots are cached too (they are immutable). Implements {@link MountSource}.
 */
import { LRUCache } from 'lru-cache';
import type { EntryMeta, EntryType } from '../model/entry.js';
import { TimefsError } from '../model/errors.js';
import { entryInodeKey, inodeFor, ROOT_INO } from './inode-numbers.js';
import type { DirChild, FileContent, MountNode, MountSource } from './mount-source.js';
import type { SnapshotFeed } from './snapshot-feed.js';
import { HOSTS_NAME, resolveTopLevel, topLevelNames, type DayZone, type SnapshotRef } from './time-tree.js';
import { hostsOf, mergedAlias, snapshotsOfHost } from './view-scope.js';
import { PathHistories } from './mount-history.js';
import type { SnapshotIndexes } from './snapshot-indexes.js';
import { childOfEntry, type TreeCache, type TreeListing } from './tree-cache.js';
import { verifiedContent } from './verified-content.js';
import type { VersionHandle, VersionReader } from './version-reader.js';

/** Levels of subdirectories loaded ahead below a directory that was listed. */
const PREFETCH_LEVELS = 2;

/** What {@link BackupView} is built from. */
export interface BackupViewParts {
  feed: SnapshotFeed;
  trees: TreeCache;
  /**
   * The snapshots' metadata indexes: once a snapshot's index is loaded, `trees` lists its
   * directories from memory (see backup-view-setup.ts), and `history/` reads through it.
   */
  indexes: SnapshotIndexes;
  /** The chain reader (whole, packed and chained files, symlink targets). */
  versions: VersionReader;
  zone: DayZone;
  /** Owner shown for the synthetic directories (root, snapshot roots, history). */
  owner: { uid: number; gid: number };
  /** One line per notable event (hash mismatches); never receives a cap. */
  log: (line: string) => void;
  /** Show only this host's snapshots (`mount --host`). */
  host?: string;
  /** Most paths whose history is kept in memory (default 1,000). */
  historyPaths?: number;
  /** Files at least this large read from their start come from one in-order flow (default 32 MiB, sequential-reads.ts). */
  sequentialMinBytes?: number;
}

/** A resolved path. */
type Resolved =
  /** `volatile`: a merged `latest` or day, whose content changes with new pushes. */
  | { kind: 'dir'; ino: number; mtimeMs: number; children: () => Promise<DirChild[]>; dirCap?: string; snapshot?: string; volatile?: boolean; prepare?: () => Promise<void> }
  | { kind: 'alias'; ino: number; target: SnapshotRef }
  | { kind: 'entry'; ino: number; snapshot: string; path: readonly string[]; meta: EntryMeta; cap: string };

/** A child whose name is plain text (the synthetic names of the top level and `history/`). */
function childNamed(name: string, type?: EntryType): DirChild {
  return type ? { name, raw: Buffer.from(name, 'utf8'), type } : { name, raw: Buffer.from(name, 'utf8') };
}

function notFound(path: readonly string[]): TimefsError {
  return new TimefsError('path.not-found', `/${path.join('/')}: no such file or directory in the mount`);
}

/** The attributes of a snapshot entry, as `getattr` shows them. */
function entryAttrs(ino: number, meta: EntryMeta): MountNode {
  const attrs: MountNode = {
    type: meta.type,
    ino,
    perm: meta.mode & 0o7777,
    uid: meta.uid,
    gid: meta.gid,
    size: meta.type === 'dir' ? 0 : meta.size,
    mtimeNs: BigInt(meta.mtime),
    nlink: meta.type === 'dir' || meta.link ? 2 : 1,
    rdev: meta.rdev ?? 0,
    stable: true,
  };
  if (meta.type === 'file' && meta.hash !== undefined) attrs.contentHash = meta.hash;
  return attrs;
}

/** The read-only namespace a `timefs mount` serves. */
export class BackupView implements MountSource {
  /** Resolved paths, bounded by their estimated bytes (some 10,000 paths in 4 MiB). */
  private readonly resolved = new LRUCache<string, Resolved>({ maxSize: 4 << 20, sizeCalculation: (node, key) => 200 + 2 * key.length + (node.kind === 'entry' ? 300 + 2 * node.cap.length : 0) });
  private readonly histories: PathHistories;
  /** Versions whose content failed its hash check: opening them again fails at once. */
  private readonly damaged = new Map<string, Error>();

  constructor(private readonly parts: BackupViewParts) {
    this.histories = new PathHistories(parts.indexes, (err) => this.noteIndexError(err), parts.historyPaths ?? 1_000);
  }

  async getattr(path: readonly string[], signal?: AbortSignal): Promise<MountNode> {
    const node = await this.resolve(path, signal);
    const { uid, gid } = this.parts.owner;
    if (node.kind === 'dir') {
      return { type: 'dir', ino: node.ino, perm: 0o555, uid, gid, size: 0, mtimeNs: BigInt(node.mtimeMs) * 1_000_000n, nlink: 2, rdev: 0, stable: node.dirCap !== undefined && node.volatile !== true };
    }
    if (node.kind === 'alias') {
      return { type: 'symlink', ino: node.ino, perm: 0o777, uid, gid, size: node.target.name.length, mtimeNs: BigInt(node.target.timeMs) * 1_000_000n, nlink: 1, rdev: 0, stable: false };
    }
    return entryAttrs(node.ino, node.meta);
  }

  async readdir(path: readonly string[], signal?: AbortSignal): Promise<DirChild[]> {
    const node = await this.resolve(path, signal);
    if (node.kind === 'dir' && node.dirCap === undefined) return node.children();
    const dirCap = node.kind === 'dir' ? node.dirCap : node.kind === 'entry' && node.meta.type === 'dir' ? node.cap : undefined;
    if (dirCap !== undefined) {
      if (node.kind === 'dir') await node.prepare?.();
      const listing = await this.parts.trees.list(dirCap, signal);
      this.prefetchSubdirectories(listing);
      const snapshot = node.kind === 'entry' ? node.snapshot : node.kind === 'dir' ? node.snapshot : undefined;
      const base = node.kind === 'entry' ? node.path : [];
      return [...listing.values()].map((entry) => {
        if (snapshot === undefined) return childOfEntry(entry);
        const ino = inodeFor(entryInodeKey(snapshot, [...base, entry.name], entry.meta));
        return { ...childOfEntry(entry), ino, attrs: entryAttrs(ino, entry.meta) };
      });
    }
    throw new TimefsError('fs.not-a-directory', `/${path.join('/')}: not a directory`);
  }

  async readlink(path: readonly string[], signal?: AbortSignal): Promise<Uint8Array> {
    const node = await this.resolve(path, signal);
    if (node.kind === 'alias') return Buffer.from(node.target.name, 'utf8');
    if (node.kind === 'entry' && node.meta.type === 'symlink') {
      const handle = await this.openVersion(node, signal);
      return handle.read(0, handle.size, signal ? { signal } : {});
    }
    throw new TimefsError('usage', `/${path.join('/')}: not a symbolic link`);
  }

  async open(path: readonly string[], signal?: AbortSignal): Promise<FileContent> {
    const node = await this.resolve(path, signal);
    if (node.kind !== 'entry' || node.meta.type === 'dir') {
      throw new TimefsError('fs.is-a-directory', `/${path.join('/')}: is a directory`);
    }
    const key = `${node.snapshot}\0${node.cap}`;
    const known = this.damaged.get(key);
    if (known) throw known;
    const handle = await this.openVersion(node, signal);
    return verifiedContent(handle, (err) => {
      if (this.damaged.size < 10_000) this.damaged.set(key, err);
      this.parts.log(`timefs: ${err.message} (EIO)`);
    }, this.parts.sequentialMinBytes);
  }

  private openVersion(node: Extract<Resolved, { kind: 'entry' }>, signal?: AbortSignal): Promise<VersionHandle> {
    const entry = { name: node.path[node.path.length - 1] ?? '', rawName: new Uint8Array(0), cap: node.cap, meta: node.meta };
    const place = { path: `/${node.path.join('/')}`, snapshot: node.snapshot };
    return this.parts.versions.open(entry, place, signal ? { signal } : {});
  }

  /**
   * Starts loading the listings below a directory in the background, two levels deep: whoever
   * lists a directory (`ls -R`, `find`, a file manager) usually descends next, and listings are
   * the slow part of a cold walk. The tree cache's prefetch window bounds the requests in flight.
   */
  private prefetchSubdirectories(listing: TreeListing): void {
    this.parts.trees.prefetchChildren(listing, PREFETCH_LEVELS - 1);
  }

  /** The inode number of a top-level name (the same `getattr` gives). */
  private topLevelIno(snapshots: readonly SnapshotRef[], name: string, scope: string): number {
    const top = resolveTopLevel(snapshots, name, this.parts.zone);
    if (top?.kind === 'snapshot') return inodeFor(`${top.snapshot.name}\0`);
    if (top?.kind === 'history') return inodeFor('history\0');
    const merged = top?.kind === 'alias' ? mergedAlias(snapshots, top.target) : undefined;
    if (merged) return inodeFor(`${merged.ref.name}\0`);
    return inodeFor(`alias\0${scope}${name}`);
  }

  private async resolve(path: readonly string[], signal?: AbortSignal): Promise<Resolved> {
    const listed = await this.parts.feed.snapshots(signal);
    const all = this.parts.host === undefined ? listed : snapshotsOfHost(listed, this.parts.host);
    const hosts = hostsOf(all);
    if (hosts.length < 2 || path[0] !== HOSTS_NAME) return this.resolveScope(all, path, '', hosts.length > 1, signal);
    const mtimeMs = all[all.length - 1]?.timeMs ?? 0;
    if (path.length === 1) return { kind: 'dir', ino: inodeFor('hosts\0'), mtimeMs, children: async () => hosts.map((h) => ({ ...childNamed(h, 'dir'), ino: inodeFor(`hosts\0${h}\0`) })) };
    const host = path[1] as string;
    if (!hosts.includes(host)) throw notFound(path);
    return this.resolveScope(snapshotsOfHost(all, host), path.slice(2), `hosts\0${host}\0`, false, signal);
  }

  /** Resolves `path` in the time tree of `snapshots` (all, or one host's: `scope` keeps their inodes apart). */
  private async resolveScope(snapshots: readonly SnapshotRef[], path: readonly string[], scope: string, withHosts: boolean, signal?: AbortSignal): Promise<Resolved> {
    const newest = snapshots[snapshots.length - 1];
    if (path.length === 0) {
      const names = () => [
        ...topLevelNames(snapshots, this.parts.zone).map((name) => ({ ...childNamed(name), ino: this.topLevelIno(snapshots, name, scope) })),
        ...(withHosts ? [{ ...childNamed(HOSTS_NAME, 'dir'), ino: inodeFor('hosts\0') }] : []),
      ];
      return { kind: 'dir', ino: scope === '' ? ROOT_INO : inodeFor(scope), mtimeMs: newest?.timeMs ?? 0, children: async () => names() };
    }
    const top = resolveTopLevel(snapshots, path[0] as string, this.parts.zone);
    if (!top) throw notFound(path);
    if (top.kind === 'alias') {
      const merged = mergedAlias(snapshots, top.target);
      if (merged) {
        const node = await this.resolveInSnapshot(merged.ref, path.slice(1), () => this.useIndexes(merged.members), signal);
        return path.length === 1 && node.kind === 'dir' ? { ...node, volatile: true } : node;
      }
      if (path.length > 1) throw new TimefsError('fs.not-a-directory', `/${path.join('/')}: not a directory`);
      return { kind: 'alias', ino: this.topLevelIno(snapshots, path[0] as string, scope), target: top.target };
    }
    if (top.kind === 'history') return this.resolveHistory(path.slice(1), snapshots, signal);
    return this.resolveInSnapshot(top.snapshot, path.slice(1), () => this.useIndexes([top.snapshot]), signal);
  }

  /**
   * Loads the indexes of these snapshots (once each) before their directories are listed, so that
   * the tree cache finds them described in memory. Only listing needs it: a `getattr` of a
   * snapshot root (every `ls -l` of the top level) loads nothing.
   */
  private async useIndexes(snapshots: readonly SnapshotRef[]): Promise<void> {
    await Promise.all(snapshots.map((s) => this.parts.indexes.use(s).catch((err: unknown) => this.noteIndexError(err))));
  }

  private noteIndexError(err: unknown): void {
    this.parts.log(`timefs: cannot read the metadata indexes, listing the trees instead: ${err instanceof Error ? err.message : String(err)}`);
  }

  /** Resolves `rest` inside one snapshot (or merged root); `prepare` runs before anything in it is listed. */
  private async resolveInSnapshot(snapshot: SnapshotRef, rest: readonly string[], prepare: () => Promise<void>, signal?: AbortSignal): Promise<Resolved> {
    const key = `${snapshot.name}/${rest.join('/')}`;
    const cached = this.resolved.get(key);
    if (cached) return cached;
    let result: Resolved;
    if (rest.length === 0) {
      result = { kind: 'dir', ino: inodeFor(`${snapshot.name}\0`), mtimeMs: snapshot.timeMs, dirCap: snapshot.cap, snapshot: snapshot.name, prepare, children: async () => [...(await this.parts.trees.list(snapshot.cap)).values()].map(childOfEntry) };
    } else {
      await prepare();
      const parent = await this.resolveInSnapshot(snapshot, rest.slice(0, -1), prepare, signal);
      const parentCap = parent.kind === 'dir' ? parent.dirCap : parent.kind === 'entry' && parent.meta.type === 'dir' ? parent.cap : undefined;
      if (parentCap === undefined) throw new TimefsError('fs.not-a-directory', `/${snapshot.name}/${rest.join('/')}: not a directory`);
      const entry = (await this.parts.trees.list(parentCap, signal)).get(rest[rest.length - 1] as string);
      if (!entry) throw notFound([snapshot.name, ...rest]);
      result = { kind: 'entry', ino: inodeFor(entryInodeKey(snapshot.name, rest, entry.meta)), snapshot: snapshot.name, path: rest, meta: entry.meta, cap: entry.cap };
    }
    this.resolved.set(key, result);
    return result;
  }

  private async resolveHistory(rest: readonly string[], snapshots: readonly SnapshotRef[], signal?: AbortSignal): Promise<Resolved> {
    const mtimeMs = snapshots[snapshots.length - 1]?.timeMs ?? 0;
    if (rest.length === 0) {
      return { kind: 'dir', ino: inodeFor('history\0'), mtimeMs, children: () => this.histories.childrenOf(snapshots.map((s) => s.cap), rest, signal) };
    }
    if (rest.length >= 2) {
      const parent = await this.histories.of(rest.slice(0, -1), snapshots, signal);
      if (parent.versions.length > 0) {
        const version = parent.versions.find((v) => v.name === rest[rest.length - 1]);
        if (!version) throw notFound(['history', ...rest]);
        const path = rest.slice(0, -1);
        return { kind: 'entry', ino: inodeFor(`history\0${rest.join('/')}`), snapshot: version.name, path, meta: version.meta, cap: version.cap };
      }
    }
    const history = await this.histories.of(rest, snapshots, signal);
    const ino = inodeFor(`history\0${rest.join('/')}\0`);
    if (history.versions.length > 0) {
      const children = history.versions.map((v) => ({ ...childNamed(v.name, v.meta.type), ino: inodeFor(`history\0${[...rest, v.name].join('/')}`) }));
      return { kind: 'dir', ino, mtimeMs, children: async () => children };
    }
    if (history.dirCaps.length > 0) return { kind: 'dir', ino, mtimeMs, children: () => this.histories.childrenOf(history.dirCaps, rest, signal) };
    throw notFound(['history', ...rest]);
  }
}
