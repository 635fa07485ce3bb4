/**
 * A local cache of verified indexes, so that reading the history of a hundred snapshots again
 * neither fetches, patches nor hashes a hundred index texts. An index link (node cap, root, size
 * and hash) never changes meaning, so an entry never goes stale. Two kinds of entry:
 * - the whole verified text of one index (for the first snapshot a reader follows);
 * - the changes from one index to another (`ref`), both named by their link.
 * Entries live in a {@link DiskLru} (bounded, shared safely between processes, written
 * atomically) and carry a SHA-256 of their body: a damaged or truncated entry reads as a miss.
 */
import { createHash } from 'node:crypto';
import { DiskLru } from '../store/disk-lru.js';
import type { IndexChanges } from './index-changes.js';
import { parseHeader, type IndexHeader } from './index-format.js';
import type { IndexLink } from './index-store.js';

const VERSION = 1;

/** The changes a cache entry holds, with the header of the index they lead to. */
export interface CachedChanges {
  header: IndexHeader;
  changes: IndexChanges;
}

/** The cache key of an index link (a hash: keys name cache files, caps must not). */
export function linkKey(link: Pick<IndexLink, 'cap' | 'root' | 'size' | 'hash'>): string {
  return createHash('sha256').update(`${link.cap}\n${link.root}\n${link.size}\n${link.hash}`).digest('hex');
}

const sum = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

/** Splits an entry into its JSON head and its body, checking the body's sum. */
function open(entry: Buffer | undefined): { head: Record<string, unknown>; body: Buffer } | undefined {
  if (!entry) return undefined;
  const nl = entry.indexOf(0x0a);
  if (nl < 0) return undefined;
  try {
    const head = JSON.parse(entry.toString('utf8', 0, nl)) as Record<string, unknown>;
    const body = entry.subarray(nl + 1);
    if (head.v !== VERSION || head.sum !== sum(body)) return undefined;
    return { head, body };
  } catch {
    return undefined;
  }
}

function seal(head: Record<string, unknown>, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${JSON.stringify({ ...head, v: VERSION, sum: sum(body) })}\n`), body]);
}

/** Verified index texts and the changes between them, on local disk. */
export class HistoryCache {
  private readonly lru: DiskLru;

  /** @param dir its own directory (e.g. `<repo cache>/index-history`) */
  constructor(dir: string, maxBytes: number) {
    this.lru = new DiskLru(dir, maxBytes);
  }

  /** The verified text of the index `key` names, or undefined. */
  async text(key: string): Promise<Buffer | undefined> {
    const entry = open(await this.lru.get(`t:${key}`).catch(() => undefined));
    return entry?.head.kind === 'text' ? entry.body : undefined;
  }

  /** Keeps the verified text of the index `key` names. */
  async putText(key: string, text: Buffer): Promise<void> {
    await this.lru.set(`t:${key}`, seal({ kind: 'text' }, text)).catch(() => undefined);
  }

  /** The changes from the index `ref` names to the one `key` names, or undefined. */
  async changes(key: string, ref: string): Promise<CachedChanges | undefined> {
    const entry = open(await this.lru.get(`c:${key}`).catch(() => undefined));
    if (!entry || entry.head.kind !== 'changes' || entry.head.ref !== ref) return undefined;
    const header = parseHeader(JSON.stringify(entry.head.header));
    const removedCount = entry.head.removed;
    if (!header || !Number.isSafeInteger(removedCount)) return undefined;
    const lines = entry.body.length === 0 ? [] : entry.body.toString('utf8', 0, entry.body.length - 1).split('\n');
    if ((removedCount as number) > lines.length) return undefined;
    return { header, changes: { removed: lines.slice(0, removedCount as number), added: lines.slice(removedCount as number) } };
  }

  /** Keeps the changes from the index `ref` names to the one `key` names. */
  async putChanges(key: string, ref: string, header: IndexHeader, changes: IndexChanges): Promise<void> {
    const all = [...changes.removed, ...changes.added];
    const body = Buffer.from(all.length === 0 ? '' : `${all.join('\n')}\n`);
    const head = { kind: 'changes', ref, header: { format: header.format, root: header.root, entries: header.entries }, removed: changes.removed.length };
    await this.lru.set(`c:${key}`, seal(head, body)).catch(() => undefined);
  }
}
