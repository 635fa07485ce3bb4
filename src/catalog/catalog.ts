/**
 * The catalog: LevelDB (classic-level) under the repository's state directory. Sublevels:
 * `paths` (per path: fingerprint, entry, chain), `dirs` (directory body hash → immutable cap),
 * `pending` (the snapshot being built), `queue` (durable upload jobs), `log` (committed
 * snapshots), `meta` (schema version, the session in progress). LevelDB's lock makes a second
 * concurrent push fail with `catalog.locked`.
 */
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { TimefsError } from '../model/errors.js';
import { makePrivateDir } from './private-dir.js';
import type { PathRecord, PendingEntry, Session, SnapshotLogEntry, UploadJob } from './records.js';

const SCHEMA_VERSION = 1;

/**
 * LevelDB's memory: 2 MiB memtables (LevelDB keeps up to two, allocated on the threads that write)
 * and a 2 MiB block cache, instead of 4 and 8 MiB. A push writes every entry a few times and reads
 * each once, mostly in key order, so a larger cache hardly hits; the smaller one keeps peak RSS
 * lower whatever the tree's size.
 */
const LEVELDB_MEMORY = { writeBufferSize: 2 << 20, cacheSize: 2 << 20 } as const;

type Db = ClassicLevel<Buffer, unknown>;

/** A write to apply atomically with others (see {@link Catalog.write}). */
export type CatalogOp =
  | { put: 'paths'; key: Buffer; value: PathRecord }
  | { put: 'pending'; key: Buffer; value: PendingEntry }
  | { put: 'queue'; key: Buffer; value: UploadJob }
  | { put: 'dirs'; key: Buffer; value: string }
  | { del: 'paths' | 'pending' | 'queue'; key: Buffer };

/** Typed access to the catalog's sublevels. */
export class Catalog {
  private readonly subs: Record<'paths' | 'pending' | 'queue' | 'dirs' | 'log' | 'meta', ReturnType<Db['sublevel']>>;
  private buffered: CatalogOp[] = [];

  private constructor(private readonly db: Db, readonly location: string, private readonly stateDir: string) {
    const sub = (name: string) => db.sublevel<Buffer, unknown>(name, { keyEncoding: 'buffer', valueEncoding: 'json' });
    this.subs = { paths: sub('paths'), pending: sub('pending'), queue: sub('queue'), dirs: sub('dirs'), log: sub('log'), meta: sub('meta') } as never;
  }

  /**
   * Opens (creating if needed) the catalog in `stateDir/catalog`. The state directory is made
   * private to its owner first (it holds caps), and again on {@link close} for the files LevelDB
   * created meanwhile.
   */
  static async open(stateDir: string): Promise<Catalog> {
    const location = join(stateDir, 'catalog');
    await makePrivateDir(stateDir);
    await makePrivateDir(location);
    const db = new ClassicLevel<Buffer, unknown>(location, { keyEncoding: 'buffer', valueEncoding: 'json', ...LEVELDB_MEMORY });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new TimefsError('catalog.locked', `the catalog ${location} is in use by another timefs process`, { cause: err });
      }
      throw new TimefsError('catalog.corrupt', `cannot open the catalog ${location}`, {
        cause: err,
        hint: 'the catalog is only a cache: move it away and push again to rebuild it from the grid',
      });
    }
    const catalog = new Catalog(db, location, stateDir);
    const version = await catalog.getMeta<number>('schema');
    if (version === undefined) await catalog.putMeta('schema', SCHEMA_VERSION);
    else if (version !== SCHEMA_VERSION) {
      await db.close();
      throw new TimefsError('catalog.corrupt', `the catalog ${location} has schema ${version}, this timefs reads ${SCHEMA_VERSION}`, {
        hint: 'move the catalog away and push again: it is rebuilt from the grid',
      });
    }
    return catalog;
  }

  /** The record stored for a path key last time. */
  getPath(key: Buffer): Promise<PathRecord | undefined> {
    return this.get<PathRecord>('paths', key);
  }

  /** The records of many path keys at once (one round trip), in the same order. */
  async getPaths(keys: Buffer[]): Promise<Array<PathRecord | undefined>> {
    if (keys.length === 0) return [];
    return (await this.subs.paths.getMany(keys)) as Array<PathRecord | undefined>;
  }

  /** The pending entry for a path key. */
  getPending(key: Buffer): Promise<PendingEntry | undefined> {
    return this.get<PendingEntry>('pending', key);
  }

  /** The cap of an immutable directory whose body hashes to `hash`, if one was made before. */
  getDir(hash: Buffer): Promise<string | undefined> {
    return this.get<string>('dirs', hash);
  }

  /** Pending entries in key order (a pre-order walk of the snapshot). */
  pending(): AsyncIterable<[Buffer, PendingEntry]> {
    return this.subs.pending.iterator() as unknown as AsyncIterable<[Buffer, PendingEntry]>;
  }

  /** Every path record in key order. */
  paths(): AsyncIterable<[Buffer, PathRecord]> {
    return this.subs.paths.iterator() as unknown as AsyncIterable<[Buffer, PathRecord]>;
  }

  /** Queued jobs in key order (only those after `after`, when given). */
  queued(after?: Buffer): AsyncIterable<[Buffer, UploadJob]> {
    return this.subs.queue.iterator(after ? { gt: after } : {}) as unknown as AsyncIterable<[Buffer, UploadJob]>;
  }

  /** Number of queued jobs (walks the keys). */
  async queueLength(): Promise<number> {
    let n = 0;
    for await (const _ of this.subs.queue.keys()) n++;
    return n;
  }

  /** Applies `ops` atomically (one LevelDB batch): how a job is acked together with its result. */
  async write(ops: CatalogOp[]): Promise<void> {
    if (ops.length === 0) return;
    await this.db.batch(ops.map((op) => ('put' in op
      ? { type: 'put' as const, sublevel: this.subs[op.put], key: op.key, value: op.value }
      : { type: 'del' as const, sublevel: this.subs[op.del], key: op.key })) as never);
  }

  /** Buffers `op` and writes the buffer every `limit` operations (the scan's fast path). */
  async writeBuffered(op: CatalogOp, limit = 2000): Promise<void> {
    this.buffered.push(op);
    if (this.buffered.length >= limit) await this.flush();
  }

  /** Writes buffered operations. */
  async flush(): Promise<void> {
    const ops = this.buffered;
    this.buffered = [];
    await this.write(ops);
    this.flushes++;
  }

  /** How many times buffered operations were written (a reader can tell when new ones are visible). */
  flushes = 0;

  /** Drops the snapshot being built and its queue (a scan that did not finish). */
  async clearPending(): Promise<void> {
    await this.subs.pending.clear();
    await this.subs.queue.clear();
  }

  /** Drops every path record and known directory (before rebuilding from the grid). */
  async clearPaths(): Promise<void> {
    await this.subs.paths.clear();
    await this.subs.dirs.clear();
  }

  /** The push in progress, if any. */
  getSession(): Promise<Session | undefined> {
    return this.getMeta<Session>('session');
  }

  /** Records the push in progress. */
  putSession(session: Session): Promise<void> {
    return this.putMeta('session', session);
  }

  /** Ends the push in progress. */
  async deleteSession(): Promise<void> {
    await this.subs.meta.del(Buffer.from('session'));
  }

  /** Appends a committed snapshot to the local log. */
  async logSnapshot(entry: SnapshotLogEntry): Promise<void> {
    await this.subs.log.put(Buffer.from(entry.name), entry);
  }

  /** The newest committed snapshot in the local log. */
  async lastSnapshot(): Promise<SnapshotLogEntry | undefined> {
    for await (const value of this.subs.log.values({ reverse: true, limit: 1 })) return value as SnapshotLogEntry;
    return undefined;
  }

  /** Closes the database and releases its lock. */
  async close(): Promise<void> {
    await this.flush();
    await this.db.close();
    await makePrivateDir(this.stateDir);
  }

  /** A small named value in `meta`. */
  async getMeta<T>(name: string): Promise<T | undefined> {
    return (await this.subs.meta.get(Buffer.from(name))) as T | undefined;
  }

  /** Stores a small named value in `meta`. */
  async putMeta(name: string, value: unknown): Promise<void> {
    await this.subs.meta.put(Buffer.from(name), value);
  }

  private async get<T>(sub: 'paths' | 'pending' | 'queue' | 'dirs', key: Buffer): Promise<T | undefined> {
    return (await this.subs[sub].get(key)) as T | undefined;
  }
}
