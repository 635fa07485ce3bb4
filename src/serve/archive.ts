/**
 * Streamed `.tar` and `.zip` downloads of a directory, holding what `timefs restore` writes as far
 * as the format allows: files with their mode and mtime, directories, symlinks, and in tar also
 * hard links (by shared inode), fifos and devices, with uid/gid. Entries are read one at a time
 * from the view, so memory stays flat and a slow client only slows the walk.
 */
import { once } from 'node:events';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import yazl from 'yazl';
import type { DirChild, MountNode } from '../view/mount-source.js';
import { READ_CHUNK } from './content.js';
import type { ServedNode, ServedView } from './served-view.js';

/** One entry of a walk: its path inside the archive and its attributes. */
interface WalkEntry {
  path: string;
  node: MountNode;
  served: ServedNode;
}

/** Depth-first walk of `root` (included, named `rootName`), children in name order. */
async function* walk(view: ServedView, root: ServedNode, rootName: string): AsyncGenerator<WalkEntry> {
  yield { path: rootName, node: root.node, served: root };
  if (root.node.type !== 'dir') return;
  const children = await view.children(root);
  children.sort((a, b) => (a.child.name < b.child.name ? -1 : a.child.name > b.child.name ? 1 : 0));
  for (const { child, node } of children) {
    const served: ServedNode = { shown: [...root.shown, child.name], viewPath: [...root.viewPath, child.name], node };
    if (node.type === 'dir') yield* walk(view, served, `${rootName}/${archiveName(child)}`);
    else yield { path: `${rootName}/${archiveName(child)}`, node, served };
  }
}

/** Files up to this size are read ahead of the archive writer, whole. */
const SMALL_FILE = 1 << 20;
/**
 * How far the walk reads ahead: up to 256 entries (several packs of small files, which push
 * stores 64 or so to an object, fetched in parallel) and 8 MiB of their content.
 */
const LOOKAHEAD = 256;
const LOOKAHEAD_BYTES = 8 << 20;

/** A walk entry whose content, for a small file, is already being read. */
interface ReadyEntry extends WalkEntry {
  early?: Promise<Uint8Array>;
}

/**
 * The walk, with the content of the next small files read in parallel while earlier entries are
 * written (at most {@link LOOKAHEAD} entries, so at most LOOKAHEAD MiB, are held).
 */
async function* readAhead(view: ServedView, entries: AsyncIterable<WalkEntry>): AsyncGenerator<ReadyEntry> {
  const window: ReadyEntry[] = [];
  let held = 0;
  const start = (entry: WalkEntry): ReadyEntry => {
    if (entry.node.type !== 'file' || entry.node.size > SMALL_FILE) return entry;
    held += entry.node.size;
    const early = view.readWhole(entry.served);
    early.catch(() => {}); // awaited (and reported) when its turn comes
    return { ...entry, early };
  };
  const next = (): ReadyEntry => {
    const entry = window.shift() as ReadyEntry;
    if (entry.early) held -= entry.node.size;
    return entry;
  };
  for await (const entry of entries) {
    window.push(start(entry));
    while (window.length >= LOOKAHEAD || held >= LOOKAHEAD_BYTES) yield next();
  }
  while (window.length > 0) yield next();
}

/** The bytes of an entry: read ahead, or streamed in chunks. */
async function* contentOf(view: ServedView, entry: ReadyEntry): AsyncGenerator<Uint8Array> {
  if (entry.early) {
    const bytes = await entry.early;
    if (bytes.length > 0) yield bytes;
    return;
  }
  yield* fileBytes(view, entry.served);
}

/** The name an entry gets inside an archive (both formats store UTF-8 names). */
function archiveName(child: DirChild): string {
  return child.name;
}

/** Reads a whole file from the view in chunks (hash-checked by the view). */
async function* fileBytes(view: ServedView, file: ServedNode): AsyncGenerator<Uint8Array> {
  const content = await view.open(file);
  try {
    for (let at = 0; at < file.node.size; at += READ_CHUNK) {
      const bytes = await view.read(content, file.shown, at, READ_CHUNK);
      if (bytes.length === 0) break;
      yield bytes;
    }
  } finally {
    content.close();
  }
}

function mtimeOf(node: MountNode): Date {
  return new Date(Number(node.mtimeNs / 1_000_000n));
}

/** Linux dev_t → major/minor (glibc encoding). */
function devParts(rdev: number): { devmajor: number; devminor: number } {
  return { devmajor: ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff), devminor: (rdev & 0xff) | ((rdev >>> 12) & ~0xff) };
}

/** A `.tar` (ustar with pax headers for long or non-ASCII names) of `root`, as a stream. */
export function tarStream(view: ServedView, root: ServedNode, rootName: string, onError: (err: unknown) => void): Readable {
  const pack = tar.pack();
  const linked = new Map<number, string>();
  (async () => {
    for await (const entry of readAhead(view, walk(view, root, rootName))) {
      const { path, node, served } = entry;
      if (pack.destroyed) return;
      const base = { name: path, mode: node.perm, uid: node.uid, gid: node.gid, mtime: mtimeOf(node) };
      if (node.type === 'dir') pack.entry({ ...base, type: 'directory' });
      else if (node.type === 'symlink') pack.entry({ ...base, type: 'symlink', linkname: Buffer.from(await view.readlink(served)).toString('utf8') });
      else if (node.type === 'fifo') pack.entry({ ...base, type: 'fifo' });
      else if (node.type === 'chardev' || node.type === 'blockdev') pack.entry({ ...base, type: node.type === 'chardev' ? 'character-device' : 'block-device', ...devParts(node.rdev) });
      else if (node.type === 'file' && node.nlink > 1 && linked.has(node.ino)) pack.entry({ ...base, type: 'link', linkname: linked.get(node.ino) as string });
      else if (node.type === 'file') {
        if (node.nlink > 1) linked.set(node.ino, path);
        await writeTarFile(pack, { ...base, type: 'file', size: node.size }, contentOf(view, entry));
      }
      // sockets are not archived (restore skips them too)
    }
    pack.finalize();
  })().catch((err: unknown) => {
    onError(err);
    pack.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  return pack as unknown as Readable;
}

async function writeTarFile(pack: tar.Pack, header: Parameters<tar.Pack["entry"]>[0], chunks: AsyncIterable<Uint8Array>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    (async () => {
      for await (const chunk of chunks) {
        if (!entry.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length))) await once(entry, 'drain');
      }
      (entry as unknown as NodeJS.WritableStream).end();
    })().catch(reject);
  });
}

/** A `.zip` (stored, zip64 when needed, Unix modes) of `root`, as a stream. */
export function zipStream(view: ServedView, root: ServedNode, rootName: string, onError: (err: unknown) => void): Readable {
  const zip = new yazl.ZipFile();
  const out = zip.outputStream as Readable;
  const fail = (err: unknown): void => {
    onError(err);
    out.destroy(err instanceof Error ? err : new Error(String(err)));
  };
  zip.on('error', fail);
  // yazl takes entries without backpressure: wait while more than a few files are queued in it
  let queued = 0;
  let wake: (() => void) | undefined;
  const consumed = (): void => {
    queued--;
    wake?.();
  };
  out.once('close', () => wake?.());
  (async () => {
    for await (const entry of readAhead(view, walk(view, root, rootName))) {
      const { path, node, served } = entry;
      while (queued >= 16 && !out.destroyed) await new Promise<void>((resolve) => { wake = resolve; });
      if (out.destroyed) return;
      const name = path.replace(/\\/g, '\uFF3C'); // zip readers take a backslash for a separator
      const options = { mtime: mtimeOf(node), mode: node.perm, compress: false };
      if (node.type === 'dir') zip.addEmptyDirectory(name, { mtime: options.mtime, mode: 0o40000 | node.perm });
      else if (node.type === 'symlink') zip.addBuffer(Buffer.from(await view.readlink(served)), name, { ...options, mode: 0o120000 | node.perm });
      else if (node.type === 'file') {
        queued++;
        zip.addReadStreamLazy(name, { ...options, mode: 0o100000 | node.perm, size: node.size }, (cb) => {
          const stream = Readable.from(contentOf(view, entry));
          stream.on('error', fail);
          stream.once('end', consumed);
          cb(null, stream);
        });
      }
      // fifos, devices and sockets have no zip form
    }
    zip.end();
  })().catch(fail);
  return out;
}
