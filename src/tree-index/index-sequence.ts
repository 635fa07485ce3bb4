/**
 * Reading the indexes of many snapshots in order, as fast as their layout allows:
 * - from the local {@link HistoryCache} when it has them (no request, no patching, no hashing);
 * - else from the grid, every object of every index requested at once (a few in flight), each
 *   fetched once however many indexes share it. The parts of a node are taken from the listing of
 *   the last node of its chain (a chain's nodes share their first parts), so one listing serves a
 *   whole chain; the hash of the text then proves the guess, and a node whose text does not match
 *   is listed itself before it is called damaged.
 * - each text is patched from the one before it, and the delta's copies tell which lines changed,
 *   so following a snapshot costs what changed in it.
 * What comes out, per snapshot, is the listings of the directories a reader has not seen yet.
 */
import PQueue from 'p-queue';
import { isTimefsError, TimefsError } from '../model/errors.js';
import { VERSION_NODE } from '../model/entry.js';
import type { CallOptions, Store } from '../store/store.js';
import { changesBetween, changesFromCopies, pathKeyOf, type IndexChanges } from './index-changes.js';
import { parseHeader, type IndexHeader } from './index-format.js';
import { patchIndexText, type CopiedRange } from './index-patch.js';
import type { IndexLink } from './index-store.js';
import { IndexTimeline, TimelineMismatch, type DirectoryLines } from './index-timeline.js';
import { linkKey, type CachedChanges, type HistoryCache } from './history-cache.js';
import { blake2bHex } from '../model/blake2b-pool.js';

/** What following one snapshot's index gave. */
export type FollowedIndex =
  | { link: IndexLink; listings: DirectoryLines; reason?: undefined }
  | { link: IndexLink; listings?: undefined; reason: string };

/** Options of {@link followIndexes}. */
export interface FollowOptions extends CallOptions {
  cache?: HistoryCache;
  /** Whether the reader already has the listing of a directory cap (it is then not produced). */
  known?: (dirCap: string) => boolean;
  /** Grid requests in flight (default 8). */
  concurrency?: number;
}

/** A verified text in memory, with the parts that made it. */
interface Text {
  link: IndexLink;
  bytes: Buffer;
  parts: readonly string[];
}

/** Why an index is not used. */
class Unusable extends Error {}

/** Follows the indexes `links` (oldest first), yielding each one's result in that order. */
export async function* followIndexes(store: Store, links: readonly IndexLink[], options: FollowOptions = {}): AsyncGenerator<FollowedIndex> {
  const reader = new PartsReader(store, options);
  const cache = options.cache;
  const keys = links.map(linkKey);
  // Ask the cache about every snapshot at once, assuming each follows the one before it.
  const hits: Array<Promise<CacheHit | undefined>> = links.map((_, i) => {
    if (!cache) return Promise.resolve(undefined);
    const found = i === 0 ? cache.text(keys[0] as string).then((text) => (text ? { text } : undefined)) : cache.changes(keys[i] as string, keys[i - 1] as string).then((changes) => (changes ? { changes } : undefined));
    return found.catch(() => undefined);
  });
  const cached = await Promise.all(hits.map((h) => h.then((x) => x !== undefined)));
  const guessed = guessParts(links, reader, cached);
  prefetchMisses(links, reader, guessed, cached);
  const timeline = new IndexTimeline(options.known ?? (() => false));
  let previous: Text | undefined;
  let last: number | undefined;
  let wroteText = false;
  for (const [i, link] of links.entries()) {
    const key = keys[i] as string;
    try {
      let listings: DirectoryLines;
      const lastKey = last === undefined ? undefined : keys[last];
      const hit: CacheHit | undefined = lastKey === undefined ? (i === 0 ? await hits[0] : await cache?.text(key).then((text) => (text ? { text } : undefined)))
        : last === i - 1 ? await hits[i] : await cache?.changes(key, lastKey).then((changes) => (changes ? { changes } : undefined));
      if (hit?.text) {
        previous = { link, bytes: hit.text, parts: (await guessed[i]) ?? [] };
        listings = resetTo(timeline, previous.bytes);
      } else if (hit?.changes) {
        previous = undefined;
        listings = timeline.apply(hit.changes.header, hit.changes.changes);
      } else {
        if (!previous && last !== undefined) {
          const text = await cache?.text(lastKey as string);
          if (text) previous = { link: links[last] as IndexLink, bytes: text, parts: (await guessed[last]) ?? [] };
        }
        const made = await reader.text(link, guessed[i], previous);
        const header = headerOf(made.text.bytes, link);
        if (lastKey === undefined) {
          listings = resetTo(timeline, made.text.bytes);
          await cache?.putText(key, made.text.bytes);
          wroteText = true;
        } else {
          const changes = made.copies && previous ? changesFromCopies(previous.bytes, made.text.bytes, made.copies)
            : previous ? changesBetween(previous.bytes, made.text.bytes) : changesFromTimeline(timeline, made.text.bytes);
          try {
            listings = timeline.apply(header, changes);
          } catch (err) {
            if (!(err instanceof TimelineMismatch)) throw err;
            listings = resetTo(timeline, made.text.bytes);
          }
          await cache?.putChanges(key, lastKey, header, changes);
        }
        previous = made.text;
      }
      last = i;
      yield { link, listings };
    } catch (err) {
      if (!(err instanceof Unusable)) throw err;
      yield { link, reason: err.message };
    }
  }
  // The next run that finds one more snapshot patches it from this text instead of rebuilding it.
  if (cache && previous && last !== undefined && !(wroteText && last === 0)) await cache.putText(keys[last] as string, previous.bytes);
}

/** What the cache had for one snapshot. */
interface CacheHit {
  text?: Buffer;
  changes?: CachedChanges;
}

/** Starts fetching, in order, what each snapshot the cache lacks will need. */
function prefetchMisses(links: readonly IndexLink[], reader: PartsReader, guessed: ReadonlyArray<Promise<readonly string[] | undefined>>, cached: readonly boolean[]): void {
  const partsOf = links.map((link, i) => guessed[i]!.then((p) => p ?? (cached[i] ? undefined : reader.parts(link.cap))).catch(() => undefined));
  for (const [i] of links.entries()) {
    if (cached[i]) continue;
    void Promise.all([partsOf[i], i > 0 ? partsOf[i - 1] : undefined]).then(([parts, before]) => { if (parts) reader.want(parts, before); });
  }
}

function headerOf(bytes: Buffer, link: IndexLink): IndexHeader {
  const nl = bytes.indexOf(0x0a);
  const header = parseHeader(bytes.toString('utf8', 0, nl < 0 ? bytes.length : nl));
  if (!header) throw new Unusable(`the index of ${link.name} is malformed: it does not start with an index header`);
  if (header.root !== link.root) throw new Unusable(`the index of ${link.name} names another snapshot root than its link`);
  return header;
}

function entryLines(bytes: Buffer): string[] {
  const nl = bytes.indexOf(0x0a);
  if (nl < 0 || nl === bytes.length - 1) return [];
  return bytes.toString('utf8', nl + 1, bytes[bytes.length - 1] === 0x0a ? bytes.length - 1 : bytes.length).split('\n');
}

function resetTo(timeline: IndexTimeline, bytes: Buffer): DirectoryLines {
  const nl = bytes.indexOf(0x0a);
  const header = parseHeader(bytes.toString('utf8', 0, nl < 0 ? bytes.length : nl));
  if (!header) throw new Unusable('an index does not start with an index header');
  try {
    return timeline.reset(header, entryLines(bytes));
  } catch (err) {
    if (err instanceof TimelineMismatch) throw new Unusable(`an index is malformed: ${err.message}`);
    throw err;
  }
}

/** The changes from the timeline's current tree to a whole text (when no text is at hand to compare with). */
function changesFromTimeline(timeline: IndexTimeline, bytes: Buffer): IndexChanges {
  const added: string[] = [];
  const seen = new Set<string>();
  for (const line of entryLines(bytes)) {
    const key = pathKeyOf(line);
    seen.add(key);
    if (timeline.line(key) !== line) added.push(line);
  }
  return { removed: timeline.keys().filter((k) => !seen.has(k)), added };
}

/**
 * Part lists taken from the last node of each run of links whose chains grow one by one (only
 * for runs with a snapshot the cache does not have). Undefined: list the link's own node.
 */
function guessParts(links: readonly IndexLink[], reader: PartsReader, cached: readonly boolean[]): Array<Promise<readonly string[] | undefined>> {
  const out: Array<Promise<readonly string[] | undefined>> = [];
  let start = 0;
  for (let i = 0; i <= links.length; i++) {
    const link = links[i];
    const prev = links[i - 1];
    if (i < links.length && i > start && link!.chain === prev!.chain + 1) continue;
    if (i > start) {
      const run = links.slice(start, i);
      const needed = cached.slice(start, i).some((c) => !c);
      const last = run.at(-1) as IndexLink;
      const parts = needed ? reader.parts(last.cap).catch(() => undefined) : Promise.resolve(undefined);
      for (const member of run) out.push(parts.then((p) => (p && p.length > member.chain ? p.slice(0, member.chain + 1) : undefined)));
    }
    start = i;
  }
  return out;
}

/** A text made from the grid, with the delta's copies when it was patched from the text before. */
interface Made {
  text: Text;
  copies?: CopiedRange[];
}

function extendsByOne(parts: readonly string[], before: readonly string[]): boolean {
  return before.length > 0 && before.length + 1 === parts.length && before.every((p, i) => p === parts[i]);
}

/** Fetches node listings and objects (each once), and patches texts. */
class PartsReader {
  private readonly queue: PQueue;
  private readonly listings = new Map<string, Promise<string[]>>();
  private readonly objects = new Map<string, Promise<Uint8Array>>();

  constructor(private readonly store: Store, private readonly options: FollowOptions) {
    this.queue = new PQueue({ concurrency: options.concurrency ?? 8 });
  }

  /** The caps of `base`, `d001`, … of an index node. */
  parts(nodeCap: string): Promise<string[]> {
    let pending = this.listings.get(nodeCap);
    if (!pending) {
      pending = this.queue.add(async () => {
        // (listings first: each one unlocks the fetches of a whole chain)
        const listing = await this.store.list(nodeCap, this.options);
        const base = listing.get(VERSION_NODE.base);
        if (!base) throw new TimefsError('repo.bad-format', `an index node has no ${VERSION_NODE.base}`);
        const caps = [base.readCap];
        for (let i = 1; listing.has(VERSION_NODE.deltaName(i)); i++) caps.push(listing.get(VERSION_NODE.deltaName(i))!.readCap);
        return caps;
      }, { priority: 1 }) as Promise<string[]>;
      this.listings.set(nodeCap, pending);
    }
    return pending;
  }

  private object(cap: string): Promise<Uint8Array> {
    let pending = this.objects.get(cap);
    if (!pending) {
      pending = this.queue.add(() => this.store.get(cap, this.options)) as Promise<Uint8Array>;
      pending.catch(() => {});
      this.objects.set(cap, pending);
    }
    return pending;
  }

  /** Starts fetching what the text of a link with these parts will need. */
  want(parts: readonly string[], previous: readonly string[] | undefined): void {
    for (const cap of previous && extendsByOne(parts, previous) ? parts.slice(-1) : parts) void this.object(cap);
  }

  /**
   * The verified text of `link`: patched from `previous` when its parts extend previous's by one
   * delta (then with the delta's copies), else rebuilt from its base. Guessed parts that do not
   * give the recorded hash are replaced by the node's own listing.
   */
  async text(link: IndexLink, guess: Promise<readonly string[] | undefined> | undefined, previous: Text | undefined): Promise<Made> {
    const guessedParts = guess ? await guess : undefined;
    const attempt = async (parts: readonly string[]) => {
      const made = await this.build(link, parts, previous);
      const ok = made.text.bytes.length === link.size && (await blake2bHex(made.text.bytes)) === link.hash;
      return ok ? made : undefined;
    };
    try {
      if (guessedParts) {
        const made = await attempt(guessedParts);
        if (made) return made;
      }
      const own = await this.parts(link.cap);
      if (guessedParts && own.length === guessedParts.length && own.every((p, i) => p === guessedParts[i])) throw new Unusable(`the index of ${link.name} does not match its recorded hash`);
      const made = await attempt(own);
      if (!made) throw new Unusable(`the index of ${link.name} does not match its recorded hash`);
      return made;
    } catch (err) {
      if (err instanceof Unusable) throw err;
      if (isTimefsError(err, 'grid.not-found', 'grid.gone', 'repo.bad-format') || (err instanceof TimefsError && err.code.startsWith('delta.'))) {
        throw new Unusable(`the index of ${link.name} cannot be rebuilt: ${(err as Error).message}`);
      }
      throw err;
    }
  }

  private async build(link: IndexLink, parts: readonly string[], previous: Text | undefined): Promise<Made> {
    this.want(parts, previous?.parts);
    if (previous && extendsByOne(parts, previous.parts)) {
      const delta = parts.at(-1) as string;
      const patched = patchIndexText(previous.bytes, await this.object(delta), link.size);
      this.objects.delete(delta);
      return { text: { link, bytes: patched.bytes, parts }, copies: patched.copies };
    }
    let bytes: Buffer = Buffer.from(await this.object(parts[0] as string));
    for (const cap of parts.slice(1)) bytes = patchIndexText(bytes, await this.object(cap)).bytes;
    for (const cap of parts) this.objects.delete(cap);
    return { text: { link, bytes, parts } };
  }
}
