/**
 * Metadata indexes in the grid (docs/format.md §5): `ROOT/index/<snapshot name>` links an index
 * node, an immutable directory `{base, d001, …}` whose content is `base` patched with the deltas
 * in order, exactly like a file's version node. Reading checks the content against the hash on
 * the link; writing stores a new index as one rdiff delta against the previous snapshot's index
 * (two new objects: the delta and the node) until the chain grows too long.
 */
import { blake2bHex, blake2bStreamHex } from '../model/blake2b-pool.js';
import PQueue from 'p-queue';
import { redactCap } from '../model/cap.js';
import { REPO_LAYOUT, VERSION_NODE } from '../model/entry.js';
import { isTimefsError, TimefsError } from '../model/errors.js';
import type { SpillSink } from '../store/spill-sink.js';
import type { CallOptions, NewChild, Store } from '../store/store.js';
import { retryWhileUnhappy } from '../store/unhappy-retry.js';
import { INDEX_FORMAT, parseHeader, splitIndex, type IndexHeader } from './index-format.js';
import { patchIndexText } from './index-patch.js';

/** Edge metadata of an `index/<name>` link. */
export interface IndexLinkMeta {
  timefs: {
    index: typeof INDEX_FORMAT;
    /** Read cap of the snapshot root the index describes (also in the header): stale when it differs. */
    root: string;
    /** Length and BLAKE2b-256 (hex) of the index text. */
    size: number;
    hash: string;
    /** Number of deltas in the node. */
    chain: number;
  };
}

/** One `index/` link. */
export interface IndexLink {
  /** The snapshot name. */
  name: string;
  /** Cap of the index node (secret). */
  cap: string;
  root: string;
  size: number;
  hash: string;
  chain: number;
}

/** A loaded, verified index as bytes. */
export interface IndexBytes {
  link: IndexLink;
  /** The whole index text, UTF-8. */
  bytes: Uint8Array;
  header: IndexHeader;
}

/** A loaded, verified index. */
export interface LoadedIndex {
  link: IndexLink;
  text: string;
  header: IndexHeader;
  lines: string[];
}

/** Longest chain before a new base is stored. */
export const MAX_INDEX_CHAIN = 64;
/** rdiff parameters of index deltas: short blocks, since a changed entry dirties one block. */
const DELTA_SIGNATURE = { blockLength: 256, strongLength: 8 } as const;

/** The cap of `ROOT/index/`, or undefined when there is none yet. */
export async function findIndexDir(store: Store, repoRootCap: string, options?: CallOptions): Promise<string | undefined> {
  const entry = (await store.list(repoRootCap, options)).get(REPO_LAYOUT.index);
  return entry?.kind === 'dir' ? entry.cap : undefined;
}

/** The cap of `ROOT/index/`, created when missing (needs the root's write cap). */
export async function ensureIndexDir(store: Store, repoRootCap: string, options?: CallOptions): Promise<string> {
  const existing = await findIndexDir(store, repoRootCap, options);
  if (existing) return existing;
  try {
    await store.link(repoRootCap, REPO_LAYOUT.index, await store.mkdirMutable({}, options), undefined, options);
  } catch (err) {
    if (!isTimefsError(err, 'grid.conflict')) throw err; // another push made it first
  }
  const made = await findIndexDir(store, repoRootCap, options);
  if (!made) throw new TimefsError('internal', `could not create ${REPO_LAYOUT.index}/ in the repository ${redactCap(repoRootCap)}`);
  return made;
}

/** Every well-formed link in `index/`, by snapshot name. */
export async function listIndexLinks(store: Store, indexDirCap: string | undefined, options?: CallOptions): Promise<Map<string, IndexLink>> {
  const out = new Map<string, IndexLink>();
  if (indexDirCap === undefined) return out;
  for (const [name, entry] of await store.list(indexDirCap, options)) {
    const m = (entry.metadata as Partial<IndexLinkMeta>).timefs;
    if (entry.kind !== 'dir' || m?.index !== INDEX_FORMAT || typeof m.root !== 'string' || !Number.isSafeInteger(m.size) || typeof m.hash !== 'string' || !Number.isSafeInteger(m.chain)) continue;
    out.set(name, { name, cap: entry.readCap, root: m.root, size: m.size, hash: m.hash, chain: m.chain });
  }
  return out;
}

/** Why an index could not be used. */
export class IndexUnusable extends Error {}

/**
 * Reads index nodes, keeping the last few texts so that reading a chain snapshot after snapshot
 * applies one delta each time instead of the whole chain.
 */
export class IndexReader {
  private readonly recent = new Map<string, Uint8Array>();
  private readonly parts = new Map<string, Promise<string[]>>();
  private readonly objects = new Map<string, Promise<Uint8Array>>();
  private readonly queue = new PQueue({ concurrency: 8 });

  constructor(private readonly store: Store, private readonly keep = 2) {}

  /**
   * Starts fetching the nodes and parts of many indexes at once (a few requests at a time), so
   * that reading them one after the other later waits for no round trip. Objects shared by
   * several nodes are fetched once.
   */
  prefetch(links: Iterable<IndexLink>, options?: CallOptions): void {
    for (const link of links) {
      void this.partCaps(link.cap, options).then((caps) => { for (const cap of caps) void this.object(cap, options).catch(() => {}); }, () => {});
    }
  }

  private object(cap: string, options?: CallOptions): Promise<Uint8Array> {
    let pending = this.objects.get(cap);
    if (!pending) {
      pending = this.queue.add(() => this.store.get(cap, options)) as Promise<Uint8Array>;
      this.objects.set(cap, pending);
    }
    return pending;
  }

  /**
   * The verified text of the index a link names.
   * @throws IndexUnusable when the node is malformed, a part is missing, or the hash differs
   */
  async load(link: IndexLink, options?: CallOptions): Promise<LoadedIndex> {
    const { bytes } = await this.loadBytes(link, options);
    const text = Buffer.from(bytes).toString('utf8');
    try {
      const { header, lines } = splitIndex(text);
      return { link, text, header, lines };
    } catch (err) {
      throw new IndexUnusable(`the index of ${link.name} is malformed: ${(err as Error).message}`);
    }
  }

  /**
   * The verified bytes of the index a link names and its parsed header, without splitting the
   * text into lines (a push needs only the bytes: it copies ranges of them).
   * @throws IndexUnusable when the node is malformed, a part is missing, the hash differs or the header names another root
   */
  async loadBytes(link: IndexLink, options?: CallOptions): Promise<IndexBytes> {
    let parts: string[];
    try {
      parts = await this.partCaps(link.cap, options);
    } catch (err) {
      if (isTimefsError(err, 'grid.not-found', 'grid.gone', 'repo.bad-format')) throw new IndexUnusable(`the index of ${link.name} cannot be read: ${(err as Error).message}`);
      throw err;
    }
    let start = parts.length;
    let bytes: Uint8Array | undefined;
    while (start > 0 && !(bytes = this.recent.get(parts.slice(0, start).join('\n')))) start--;
    try {
      if (!bytes) bytes = await this.object(parts[0] as string, options);
      start = Math.max(start, 1);
      const deltas = await Promise.all(parts.slice(start).map((cap) => this.object(cap, options)));
      for (const [i, delta] of deltas.entries()) {
        bytes = patchIndexText(bytes, delta).bytes;
        this.remember(parts.slice(0, start + i + 1).join('\n'), bytes);
      }
      this.remember(parts.join('\n'), bytes);
      for (const cap of parts) this.objects.delete(cap);
    } catch (err) {
      if (isTimefsError(err, 'grid.not-found', 'grid.gone') || (err instanceof TimefsError && err.code.startsWith('delta.'))) {
        throw new IndexUnusable(`the index of ${link.name} cannot be rebuilt: ${(err as Error).message}`);
      }
      throw err;
    }
    if (bytes.length !== link.size || (await blake2bHex(bytes)) !== link.hash) throw new IndexUnusable(`the index of ${link.name} does not match its recorded hash`);
    const newline = bytes.indexOf(0x0a);
    const header = parseHeader(Buffer.from(bytes.buffer, bytes.byteOffset, newline < 0 ? bytes.length : newline).toString('utf8'));
    if (!header) throw new IndexUnusable(`the index of ${link.name} is malformed: it does not start with a ${INDEX_FORMAT} header`);
    if (header.root !== link.root) throw new IndexUnusable(`the index of ${link.name} names another snapshot root than its link`);
    return { link, bytes, header };
  }

  private remember(key: string, bytes: Uint8Array): void {
    this.recent.delete(key);
    this.recent.set(key, bytes);
    while (this.recent.size > this.keep) this.recent.delete(this.recent.keys().next().value as string);
  }

  /** The caps of `base`, `d001`, … of a node, in order. */
  partCaps(nodeCap: string, options?: CallOptions): Promise<string[]> {
    let pending = this.parts.get(nodeCap);
    if (!pending) {
      pending = this.queue.add(() => this.listParts(nodeCap, options)) as Promise<string[]>;
      this.parts.set(nodeCap, pending);
    }
    return pending;
  }

  private async listParts(nodeCap: string, options?: CallOptions): Promise<string[]> {
    const listing = await this.store.list(nodeCap, options);
    const base = listing.get(VERSION_NODE.base);
    if (!base) throw new TimefsError('repo.bad-format', `an index node has no ${VERSION_NODE.base}`);
    const caps = [base.readCap];
    for (let i = 1; listing.has(VERSION_NODE.deltaName(i)); i++) caps.push(listing.get(VERSION_NODE.deltaName(i))!.readCap);
    return caps;
  }
}

/** The index of one snapshot before it, to store the new one as a delta against. */
export interface IndexBasis {
  link: IndexLink;
  /** Its whole text, UTF-8. */
  bytes: Uint8Array;
  /** The rdiff signature of `bytes`, when computed ahead (see {@link indexSignature}). */
  signature?: Promise<Uint8Array>;
}

/** The rdiff signature a new index's delta against the index text `bytes` is encoded with. */
export async function indexSignature(bytes: Uint8Array): Promise<Uint8Array> {
  const { signatureOf } = await import('../delta/index.js');
  return signatureOf(bytes, DELTA_SIGNATURE);
}

/** An index node stored on the grid but not linked into `index/` yet. */
export interface StoredIndex {
  /** Cap of the index node (secret). */
  cap: string;
  meta: IndexLinkMeta;
}

/** Index text to store: whole, or its header line and its entry lines (which may be spooled to disk). */
export type IndexContent = string | { header: string; entries: SpillSink };

/**
 * Stores the index text `content` as the index node of the snapshot whose root is `rootCap`: as
 * a delta against `basis` when given and its chain is short enough, else as a new base. Links
 * nothing. Spooled text is read as a stream (hash, delta, upload), never held whole.
 */
export async function storeIndex(store: Store, rootCap: string, content: IndexContent, basis?: IndexBasis, options?: CallOptions): Promise<StoredIndex> {
  const header = Buffer.from(typeof content === 'string' ? content : content.header, 'utf8');
  const entries = typeof content === 'string' ? undefined : content.entries;
  const size = header.length + (entries?.size ?? 0);
  const chunks = async function* (): AsyncGenerator<Uint8Array> {
    yield header;
    if (entries) yield* entries.chunks();
  };
  const children: Record<string, NewChild> = {};
  let chain = 0;
  if (basis && basis.link.chain < MAX_INDEX_CHAIN) {
    const listing = await store.list(basis.link.cap, options);
    let deltaBytes = 0;
    for (const [child, entry] of listing) {
      if (child !== VERSION_NODE.base && !/^d\d{3,}$/.test(child)) continue;
      children[child] = { cap: entry.readCap, metadata: entry.metadata };
      if (child !== VERSION_NODE.base) deltaBytes += entry.size ?? 0;
    }
    const { createDeltaEncoder, loadSignature, concatBytes } = await import('../delta/index.js');
    const encoder = await createDeltaEncoder(loadSignature(await (basis.signature ?? indexSignature(basis.bytes))));
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks()) parts.push(encoder.update(chunk));
    parts.push(encoder.finish());
    const delta = concatBytes(parts);
    if (deltaBytes + delta.length <= size / 2) {
      chain = basis.link.chain + 1;
      children[VERSION_NODE.deltaName(chain)] = { cap: await store.putImmutable(delta, options), metadata: { timefs: { role: 'delta', size: delta.length } } };
    }
  }
  if (chain === 0) {
    for (const key of Object.keys(children)) delete children[key];
    // A spooled body is a fresh stream on every call, so an upload the grid refused for a moment can be sent again.
    const cap = entries ? await retryWhileUnhappy(() => store.putImmutable({ stream: chunks(), size }, options)) : await store.putImmutable(header, options);
    children[VERSION_NODE.base] = { cap, metadata: { timefs: { role: 'base', size } } };
  }
  const cap = await store.mkdirImmutable(children, options);
  return { cap, meta: { timefs: { index: INDEX_FORMAT, root: rootCap, size, hash: await blake2bStreamHex(chunks()), chain } } };
}

/**
 * Links a stored index node as the index of snapshot `name`, replacing an existing link. The
 * link is tried first: `index/` is listed only when the name is taken (a re-index).
 */
export async function linkIndex(store: Store, indexDirCap: string, name: string, stored: StoredIndex, options?: CallOptions): Promise<IndexLink> {
  const link: IndexLink = { name, cap: stored.cap, ...stored.meta.timefs };
  const attempt = (): Promise<void> => store.link(indexDirCap, name, stored.cap, stored.meta as unknown as Record<string, unknown>, options);
  try {
    await attempt();
  } catch (err) {
    if (!isTimefsError(err, 'grid.conflict')) throw err;
    const existing = (await store.list(indexDirCap, options)).get(name);
    if (existing?.readCap === stored.cap) return link;
    if (existing) await store.unlink(indexDirCap, name, options);
    await attempt();
  }
  return link;
}

/**
 * Stores `text` as the index of snapshot `name` and links it (replacing an existing link):
 * as a delta against `basis` when given and its chain is short enough, else as a new base.
 * Returns the new link.
 */
export async function writeIndex(store: Store, indexDirCap: string, name: string, rootCap: string, text: IndexContent, basis?: IndexBasis, options?: CallOptions): Promise<IndexLink> {
  return linkIndex(store, indexDirCap, name, await storeIndex(store, rootCap, text, basis, options), options);
}
