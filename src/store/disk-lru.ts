/**
 * A directory of files bounded in total bytes, evicting the least recently used. Entries are
 * named by a hash of their key (keys contain caps, which must not appear on disk as names),
 * written atomically (temp file + rename), and safe to share between processes: a file evicted
 * by another process simply reads as a miss.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** An LRU byte-bounded file store. */
export class DiskLru {
  /** name → size, in least-recently-used-first order. */
  private index: Map<string, number> | undefined;
  private loading: Promise<Map<string, number>> | undefined;
  private total = 0;

  constructor(readonly dir: string, readonly maxBytes: number) {}

  /** Bytes currently recorded. */
  async bytes(): Promise<number> {
    await this.load();
    return this.total;
  }

  /** The stored bytes for `key`, or undefined. */
  async get(key: string): Promise<Buffer | undefined> {
    const index = await this.load();
    const name = nameOf(key);
    if (!index.has(name)) return undefined;
    try {
      const data = await readFile(this.path(name));
      this.touch(index, name, data.length);
      const now = new Date();
      utimes(this.path(name), now, now).catch(() => undefined);
      return data;
    } catch {
      this.forget(index, name);
      return undefined;
    }
  }

  /** Store `data` for `key` (ignored when larger than the whole budget), evicting old entries. */
  async set(key: string, data: Uint8Array): Promise<void> {
    if (data.length > this.maxBytes) return;
    const index = await this.load();
    const name = nameOf(key);
    const tmp = join(this.dir, 'tmp', `${name}.${process.pid}.${randomBytes(4).toString('hex')}`);
    await writeFile(tmp, data, { mode: 0o600 });
    await mkdir(join(this.dir, 'objects', name.slice(0, 2)), { recursive: true, mode: 0o700 });
    await rename(tmp, this.path(name));
    this.touch(index, name, data.length);
    await this.evict(index);
  }

  private path(name: string): string {
    return join(this.dir, 'objects', name.slice(0, 2), name);
  }

  private touch(index: Map<string, number>, name: string, size: number): void {
    this.forget(index, name);
    index.set(name, size);
    this.total += size;
  }

  private forget(index: Map<string, number>, name: string): void {
    const old = index.get(name);
    if (old === undefined) return;
    index.delete(name);
    this.total -= old;
  }

  private async evict(index: Map<string, number>): Promise<void> {
    for (const [name] of index) {
      if (this.total <= this.maxBytes) break;
      this.forget(index, name);
      await rm(this.path(name), { force: true });
    }
  }

  private load(): Promise<Map<string, number>> {
    if (this.index) return Promise.resolve(this.index);
    this.loading ??= this.scan().then((index) => {
      this.index = index;
      return index;
    });
    return this.loading;
  }

  /** Rebuild the index from the files on disk, oldest use first. */
  private async scan(): Promise<Map<string, number>> {
    await mkdir(join(this.dir, 'objects'), { recursive: true, mode: 0o700 });
    await mkdir(join(this.dir, 'tmp'), { recursive: true, mode: 0o700 });
    const found: { name: string; size: number; used: number }[] = [];
    for (const sub of await readdir(join(this.dir, 'objects'))) {
      for (const name of await readdir(join(this.dir, 'objects', sub)).catch(() => [])) {
        const info = await stat(join(this.dir, 'objects', sub, name)).catch(() => undefined);
        if (info?.isFile()) found.push({ name, size: info.size, used: info.mtimeMs });
      }
    }
    found.sort((a, b) => a.used - b.used);
    const index = new Map<string, number>();
    this.total = 0;
    for (const f of found) {
      index.set(f.name, f.size);
      this.total += f.size;
    }
    await this.evict(index);
    return index;
  }
}

function nameOf(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
