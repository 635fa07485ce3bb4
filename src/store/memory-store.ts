import { createHash, randomBytes } from 'node:crypto';
import { redactCap } from '../model/cap.js';
import { TimefsError } from '../model/errors.js';
import type { DeepCheckEvent, DirEntry, HealthReport, NewChild, Store, UploadBody } from './store.js';

interface MemoryDir {
  mutable: boolean;
  children: Map<string, NewChild>;
}

const LIT_LIMIT = 55;

/**
 * An in-memory {@link Store} for pure unit tests. It mimics the Tahoe behaviour timefs relies on
 * (convergent caps, LIT caps for tiny files, NFC names, `replace=false` linking, clamped ranges);
 * every behaviour tested with it is also tested against a real grid.
 */
export class MemoryStore implements Store {
  private readonly files = new Map<string, Uint8Array>();
  private readonly dirs = new Map<string, MemoryDir>();
  /** Number of immutable uploads, for tests that check nothing is uploaded twice. */
  uploads = 0;

  async putImmutable(body: UploadBody): Promise<string> {
    const data = body instanceof Uint8Array ? body : await collect(body.stream);
    this.uploads++;
    const cap = data.length <= LIT_LIMIT
      ? `URI:LIT:${Buffer.from(data).toString('base64url')}`
      : `URI:CHK:${digest(data).slice(0, 26)}:${digest(data).slice(26, 52)}:2:3:${data.length}`;
    this.files.set(cap, new Uint8Array(data));
    return cap;
  }

  async size(cap: string): Promise<number> {
    return this.file(cap).length;
  }

  async get(cap: string): Promise<Uint8Array> {
    return this.file(cap).slice();
  }

  async *getStream(cap: string): AsyncIterable<Uint8Array> {
    const data = this.file(cap);
    for (let i = 0; i < data.length; i += 65536) yield data.slice(i, i + 65536);
  }

  async getRange(cap: string, start: number, length: number): Promise<Uint8Array> {
    const data = this.file(cap);
    return data.slice(Math.min(start, data.length), Math.min(start + length, data.length));
  }

  async mkdirImmutable(children: Record<string, NewChild>): Promise<string> {
    const normalised = normaliseChildren(children);
    const body = JSON.stringify([...normalised.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    const cap = `URI:DIR2-CHK:${digest(Buffer.from(body)).slice(0, 26)}:${digest(Buffer.from(body)).slice(26, 52)}:2:3:${body.length}`;
    this.dirs.set(cap, { mutable: false, children: normalised });
    return cap;
  }

  async mkdirMutable(children: Record<string, NewChild> = {}): Promise<string> {
    const id = randomBytes(16).toString('hex');
    const cap = `URI:DIR2:${id.slice(0, 16)}:${id.slice(16)}`;
    this.dirs.set(cap, { mutable: true, children: normaliseChildren(children) });
    return cap;
  }

  async list(dirCap: string): Promise<Map<string, DirEntry>> {
    const dir = this.dir(dirCap);
    const writable = dirCap.startsWith('URI:DIR2:');
    const out = new Map<string, DirEntry>();
    for (const [name, child] of dir.children) {
      const childDir = this.dirs.get(child.cap) ?? this.dirs.get(toWriteCap(child.cap));
      const mutable = childDir?.mutable ?? false;
      const readCap = mutable ? toReadCap(child.cap) : child.cap;
      const entry: DirEntry = {
        name,
        kind: childDir ? 'dir' : 'file',
        cap: mutable && writable ? child.cap : readCap,
        readCap,
        mutable,
        metadata: structuredClone(child.metadata ?? {}),
      };
      const file = this.files.get(child.cap);
      if (file) entry.size = file.length;
      out.set(name, entry);
    }
    return out;
  }

  async link(dirCap: string, name: string, childCap: string, metadata?: Record<string, unknown>): Promise<void> {
    const dir = this.writableDir(dirCap);
    const key = checkName(name);
    if (dir.children.has(key)) {
      throw new TimefsError('grid.conflict', `"${key}" already exists in ${redactCap(dirCap)}`);
    }
    dir.children.set(key, { cap: childCap, metadata: metadata ?? {} });
  }

  async unlink(dirCap: string, name: string): Promise<void> {
    const dir = this.writableDir(dirCap);
    if (!dir.children.delete(name.normalize('NFC'))) {
      throw new TimefsError('grid.not-found', `no child "${name}" in ${redactCap(dirCap)}`);
    }
  }

  async check(cap: string): Promise<HealthReport> {
    const literal = cap.startsWith('URI:LIT:') || cap.startsWith('URI:DIR2-LIT:');
    const exists = literal || this.files.has(cap) || this.dirs.has(cap) || this.dirs.has(toWriteCap(cap));
    return { healthy: exists, recoverable: exists, sharesGood: exists ? 3 : 0, sharesNeeded: 2, sharesTotal: 3, literal };
  }

  async deepCheck(dirCap: string, onEvent: (event: DeepCheckEvent) => void): Promise<void> {
    const seen = new Set<string>();
    const walk = async (cap: string, path: string[]): Promise<void> => {
      if (seen.has(cap)) return;
      seen.add(cap);
      const health = await this.check(cap);
      const isDir = this.dirs.has(cap) || this.dirs.has(toWriteCap(cap));
      onEvent({ path, type: isDir ? 'directory' : 'file', cap, healthy: health.healthy, recoverable: health.recoverable });
      if (!isDir) return;
      for (const [name, child] of this.dir(cap).children) await walk(child.cap, [...path, name]);
    };
    await walk(dirCap, []);
  }

  async readOnlyCap(dirCap: string): Promise<string> {
    this.dir(dirCap);
    return toReadCap(dirCap);
  }

  /** Drop an object's data, as if its shares had expired (for fault tests). */
  forget(cap: string): void {
    this.files.delete(cap);
    this.dirs.delete(cap);
  }

  private file(cap: string): Uint8Array {
    if (cap.startsWith('URI:LIT:') && !this.files.has(cap)) return Buffer.from(cap.slice(8), 'base64url');
    const data = this.files.get(cap);
    if (!data) throw new TimefsError('grid.gone', `object ${redactCap(cap)} is not in the grid`);
    return data;
  }

  private dir(cap: string): MemoryDir {
    const dir = this.dirs.get(cap) ?? this.dirs.get(toWriteCap(cap));
    if (!dir) throw new TimefsError('grid.gone', `directory ${redactCap(cap)} is not in the grid`);
    return dir;
  }

  private writableDir(cap: string): MemoryDir {
    const dir = this.dir(cap);
    if (!dir.mutable || !cap.startsWith('URI:DIR2:')) {
      throw new TimefsError('grid.not-writeable', `directory ${redactCap(cap)} is read-only`);
    }
    return dir;
  }
}

function digest(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function checkName(name: string): string {
  if (name.length === 0 || name.includes('/')) {
    throw new TimefsError('usage', `invalid child name "${name}": names must be non-empty and contain no "/"`);
  }
  return name.normalize('NFC');
}

function normaliseChildren(children: Record<string, NewChild>): Map<string, NewChild> {
  const out = new Map<string, NewChild>();
  for (const [name, child] of Object.entries(children)) {
    out.set(checkName(name), { cap: child.cap, metadata: structuredClone(child.metadata ?? {}) });
  }
  return out;
}

function toReadCap(cap: string): string {
  return cap.startsWith('URI:DIR2:') ? `URI:DIR2-RO:${cap.slice('URI:DIR2:'.length)}` : cap;
}

function toWriteCap(cap: string): string {
  return cap.startsWith('URI:DIR2-RO:') ? `URI:DIR2:${cap.slice('URI:DIR2-RO:'.length)}` : cap;
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}
