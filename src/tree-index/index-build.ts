/**
 * Building the index text of a snapshot from its tree. Directories whose cap equals the cap the
 * previous index recorded at the same path are copied from that index (a byte range) without being
 * listed, so a push pays for the directories it changed, not for the tree. The entry lines are
 * written out in order as they are made, so the text need not be held in memory (see
 * {@link writeIndexEntries}).
 */
import type { EntryMeta } from '../model/entry.js';
import { compareEdgeNames, headerLine, recordLine } from './index-format.js';

/** One child of a listed directory, as the index records it. */
export interface IndexChild {
  name: string;
  cap: string;
  meta: EntryMeta;
}

/** Lists a snapshot directory (by cap) for the builder. */
export type ChildLister = (dirCap: string) => Promise<IndexChild[]>;

/** The directories of an earlier index: where each one's subtree lines are (byte offsets into `entries`), by edge path. */
export interface PreviousIndex {
  /** The entry lines of that index (the text after its header line), UTF-8. */
  entries: Uint8Array;
  dirs: ReadonlyMap<string, { cap: string; start: number; end: number }>;
}

/** Where the builder writes entry lines (UTF-8 bytes, whole lines, in order). */
export type EntryWriter = (chunk: Uint8Array) => void | Promise<void>;

const TAB = 0x09;
const NEWLINE = 0x0a;
const DIR_TYPE = Buffer.from('"type":"dir"');

/**
 * Indexes the directory records of an index's entry lines (the text after the header, as bytes),
 * for reuse by {@link writeIndexEntries}: only directory lines are parsed.
 */
export function previousIndex(entries: Uint8Array): PreviousIndex {
  const bytes = Buffer.from(entries.buffer, entries.byteOffset, entries.byteLength);
  const dirs = new Map<string, { cap: string; start: number; end: number }>();
  const open: Array<{ path: string; start: number; cap: string }> = [];
  const closeUntil = (path: string, at: number): void => {
    while (open.length > 0 && !path.startsWith(`${open.at(-1)!.path}/`)) {
      const dir = open.pop()!;
      dirs.set(dir.path, { cap: dir.cap, start: dir.start, end: at });
    }
  };
  for (let at = 0; at < bytes.length;) {
    let end = bytes.indexOf(NEWLINE, at);
    if (end < 0) end = bytes.length;
    const first = bytes.indexOf(TAB, at);
    const second = first < 0 ? -1 : bytes.indexOf(TAB, first + 1);
    if (second < 0 || second > end) throw new Error('an index line has fewer than three fields');
    const path = JSON.parse(bytes.toString('utf8', at, first)) as string;
    closeUntil(path, at);
    const meta = bytes.subarray(second + 1, end);
    if (meta.includes(DIR_TYPE) && (JSON.parse(meta.toString('utf8')) as EntryMeta).type === 'dir') {
      open.push({ path, start: end + 1, cap: bytes.toString('latin1', first + 1, second) });
    }
    at = end + 1;
  }
  closeUntil('\0', bytes.length);
  return { dirs, entries: bytes };
}

/** Lines are handed to the writer in chunks of about this many bytes. */
const WRITE_CHUNK = 64 << 10;

/**
 * Writes the entry lines of the tree at `rootCap` (pre-order, children by edge-name bytes) to
 * `write`, and returns how many there are. Memory holds the listings of the directories on the
 * path being written and of their subdirectories (listed ahead, so grid listings overlap), never
 * the text.
 */
export async function writeIndexEntries(rootCap: string, list: ChildLister, write: EntryWriter, previous?: PreviousIndex): Promise<number> {
  let count = 0;
  let pending: string[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const chunk = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    pendingBytes = 0;
    await write(chunk);
  };
  const emit = async (line: string): Promise<void> => {
    count++;
    pending.push(line);
    pendingBytes += line.length;
    if (pendingBytes >= WRITE_CHUNK) await flush();
  };
  const listed = (cap: string): Promise<IndexChild[]> => list(cap).then((children) => children.sort((a, b) => compareEdgeNames(a.name, b.name)));
  const subtree = async (children: IndexChild[], prefix: readonly string[]): Promise<void> => {
    const reused = (child: IndexChild, path: string[]) => {
      const known = previous?.dirs.get(path.join('/'));
      return known && known.cap === child.cap ? known : undefined;
    };
    // Every subdirectory that must be listed is asked for now: its listing arrives while the ones before it are written.
    const ahead = children.map((child) => (child.meta.type === 'dir' && !reused(child, [...prefix, child.name]) ? listed(child.cap) : undefined));
    for (const p of ahead) p?.catch(() => {}); // awaited in order below
    for (const [i, child] of children.entries()) {
      const path = [...prefix, child.name];
      await emit(recordLine({ path, cap: child.cap, meta: child.meta }));
      if (child.meta.type !== 'dir') continue;
      const known = reused(child, path);
      if (known) {
        await flush();
        if (known.end > known.start) await write(previous!.entries.subarray(known.start, known.end));
        count += countLines(previous!.entries, known.start, known.end);
        continue;
      }
      const grandchildren = await ahead[i]!;
      ahead[i] = undefined;
      await subtree(grandchildren, path);
    }
  };
  await subtree(await listed(rootCap), []);
  await flush();
  return count;
}

function countLines(bytes: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = bytes.indexOf(NEWLINE, start); i >= 0 && i < end; i = bytes.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/** The full index text of the tree at `rootCap`, in memory. */
export async function buildIndexText(rootCap: string, list: ChildLister, previous?: PreviousIndex): Promise<string> {
  const chunks: Uint8Array[] = [];
  const entries = await writeIndexEntries(rootCap, list, (chunk) => { chunks.push(chunk); }, previous);
  return headerLine({ root: rootCap, entries }) + Buffer.concat(chunks).toString('utf8');
}

/** The entry lines of index text (everything after its header line), as UTF-8 bytes. */
export function indexEntries(text: string | Uint8Array): Uint8Array {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  const end = bytes.indexOf(NEWLINE);
  return end < 0 ? new Uint8Array(0) : bytes.subarray(end + 1);
}
