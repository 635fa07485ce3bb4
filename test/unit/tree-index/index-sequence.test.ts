import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { deltaOf, signatureOf } from '../../../src/delta/index.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ForwardingStore } from '../../../src/store/forwarding-store.js';
import type { CallOptions, DirEntry } from '../../../src/store/store.js';
import { HistoryCache } from '../../../src/tree-index/history-cache.js';
import { changesBetween, changesFromCopies } from '../../../src/tree-index/index-changes.js';
import { compareEdgeNames, headerLine, recordLine, splitIndex } from '../../../src/tree-index/index-format.js';
import { patchIndexText } from '../../../src/tree-index/index-patch.js';
import { followIndexes } from '../../../src/tree-index/index-sequence.js';
import { listIndexLinks, writeIndex, type IndexLink, type LoadedIndex } from '../../../src/tree-index/index-store.js';
import type { EntryMeta } from '../../../src/model/entry.js';
import { gridLister } from '../../../src/view/history-source.js';
import { IndexedLister } from '../../../src/view/indexed-lister.js';

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

/** A small deterministic PRNG. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

type Tree = Map<string, { content: string } | Tree>;
const fakeCap = (what: string): string => `URI:CHK:${createHash('sha256').update(what).digest('hex').slice(0, 40)}`;
const fileMeta = (content: string): EntryMeta => ({ type: 'file', mode: 0o644, uid: 1, gid: 1, mtime: String(content.length * 1000), size: content.length });
const dirMeta: EntryMeta = { type: 'dir', mode: 0o755, uid: 1, gid: 1, mtime: '0', size: 0 };

/** Index text of a tree (caps derived from content, as Tahoe's are): `{root, text}`. */
function indexOf(tree: Tree): { root: string; text: string } {
  const lines: string[] = [];
  const walk = (dir: Tree, prefix: string[]): string => {
    const parts: string[] = [];
    for (const name of [...dir.keys()].sort(compareEdgeNames)) {
      const child = dir.get(name)!;
      const at = lines.length;
      const path = [...prefix, name];
      if (child instanceof Map) {
        lines.push('');
        const cap = `URI:DIR2-CHK:${walk(child, path)}`;
        lines[at] = recordLine({ path, cap, meta: dirMeta }).slice(0, -1);
        parts.push(`${name}=${cap}`);
      } else {
        const cap = fakeCap(child.content);
        lines.push(recordLine({ path, cap, meta: fileMeta(child.content) }).slice(0, -1));
        parts.push(`${name}=${cap}`);
      }
    }
    return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 40);
  };
  const root = `URI:DIR2-CHK:${walk(tree, [])}`;
  return { root, text: headerLine({ root, entries: lines.length }) + lines.map((l) => `${l}\n`).join('') };
}

/** A history of trees: each step changes, adds and removes files and directories. */
function history(steps: number, seed: number): Tree[] {
  const random = prng(seed);
  const tree: Tree = new Map();
  const names = ['a', 'b', 'é', 'c d', 'z', 'a-b', 'a.b', 'x"y', 'q\\r'];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const allDirs = (t: Tree): Tree[] => [t, ...[...t.values()].flatMap((c) => (c instanceof Map ? allDirs(c) : []))];
  for (let i = 0; i < 400; i++) {
    const d = pick(allDirs(tree));
    if (random() < 0.05) d.set(`${pick(names)}${i}`, new Map());
    else d.set(`${pick(names)}${i}.txt`, { content: `v0 ${i} ${'x'.repeat(Math.floor(random() * 300))}` });
  }
  const out: Tree[] = [structuredClone(tree)];
  for (let s = 1; s < steps; s++) {
    for (let k = 0; k < 6; k++) {
      const d = pick(allDirs(tree));
      const keys = [...d.keys()];
      const r = random();
      if (r < 0.5 && keys.length > 0) {
        const key = pick(keys);
        const child = d.get(key)!;
        if (!(child instanceof Map)) d.set(key, { content: `v${s} ${child.content.slice(3)}` });
      } else if (r < 0.75) d.set(`${pick(names)}n${s}-${k}`, random() < 0.3 ? new Map([['inner.txt', { content: `in ${s}` }]]) : { content: `new ${s} ${k}` });
      else if (keys.length > 0) d.delete(pick(keys));
    }
    out.push(structuredClone(tree));
  }
  return out;
}

/** A store that counts what reaches it. */
class CountingStore extends ForwardingStore {
  calls = 0;
  override get(cap: string, options?: CallOptions): Promise<Uint8Array> {
    this.calls++;
    return super.get(cap, options);
  }
  override list(cap: string, options?: CallOptions): Promise<Map<string, DirEntry>> {
    this.calls++;
    return super.list(cap, options);
  }
}

async function writeHistory(store: MemoryStore, trees: readonly Tree[]): Promise<{ links: IndexLink[]; indexes: Array<{ root: string; text: string }> }> {
  const indexDir = await store.mkdirMutable();
  const indexes = trees.map(indexOf);
  let basis: LoadedIndex | undefined;
  for (const [i, index] of indexes.entries()) {
    const link = await writeIndex(store, indexDir, `s${String(i).padStart(3, '0')}`, index.root, index.text, basis ? { link: basis.link, bytes: Buffer.from(basis.text) } : undefined);
    basis = { link, text: index.text, ...splitIndex(index.text) };
  }
  const links = [...(await listIndexLinks(store, indexDir)).values()].sort((a, b) => a.name.localeCompare(b.name));
  return { links, indexes };
}

/** Every directory listing of every snapshot, as the plain register() path gives them. */
async function expectedListings(store: MemoryStore, indexes: ReadonlyArray<{ root: string; text: string }>): Promise<Map<string, string[]>> {
  const lister = new IndexedLister(gridLister(store));
  const caps = new Set<string>();
  for (const index of indexes) {
    const split = splitIndex(index.text);
    lister.register(split);
    caps.add(split.header.root);
    for (const line of split.lines) if (line.includes('"type":"dir"')) caps.add(line.split('\t')[1]!);
  }
  const out = new Map<string, string[]>();
  for (const cap of caps) out.set(cap, (await lister.list(cap)).map((e) => `${e.name} ${e.cap}`));
  return out;
}

async function followed(store: CountingStore | MemoryStore, links: IndexLink[], cache?: HistoryCache): Promise<{ lister: IndexedLister; reasons: string[] }> {
  const lister = new IndexedLister({ list: async () => { throw new Error('no directory may be listed from the grid'); } });
  const reasons: string[] = [];
  for await (const f of followIndexes(store, links, { known: (cap) => lister.knows(cap), ...(cache ? { cache } : {}) })) {
    if (f.listings) lister.addListings(f.listings);
    else reasons.push(f.reason);
  }
  return { lister, reasons };
}

async function assertListings(lister: IndexedLister, expected: Map<string, string[]>): Promise<void> {
  for (const [cap, names] of expected) assert.deepEqual((await lister.list(cap)).map((e) => `${e.name} ${e.cap}`), names, `listing of ${cap}`);
}

describe('following indexes', () => {
  it('the changes read off a delta\'s copies equal a line-by-line comparison', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const indexes = history(12, seed).map(indexOf);
      for (let i = 1; i < indexes.length; i++) {
        const old = Buffer.from(indexes[i - 1]!.text);
        const next = Buffer.from(indexes[i]!.text);
        const delta = await deltaOf(await signatureOf(old, { blockLength: seed % 2 ? 256 : 16, strongLength: 8 }), next);
        const patched = patchIndexText(old, delta, next.length);
        assert.ok(patched.bytes.equals(next));
        const fast = changesFromCopies(old, next, patched.copies);
        const slow = changesBetween(old, next);
        assert.deepEqual([fast.removed.sort(), fast.added.sort()], [slow.removed.sort(), slow.added.sort()], `seed ${seed} step ${i}`);
      }
    }
  });

  it('lists every directory of every snapshot as the indexes say, and a second run reads the cache only', async () => {
    const store = new MemoryStore();
    const { links, indexes } = await writeHistory(store, history(20, 7));
    assert.ok(links.some((l) => l.chain > 1), 'the history has chains');
    const expected = await expectedListings(store, indexes);
    const cold = new CountingStore(store);
    const first = await followed(cold, links);
    assert.deepEqual(first.reasons, []);
    await assertListings(first.lister, expected);

    const dir = await mkdtemp(join(tmpdir(), 'timefs-history-cache-'));
    dirs.push(dir);
    const cache = new HistoryCache(dir, 64 << 20);
    await followed(new CountingStore(store), links, cache);
    const warm = new CountingStore(store);
    const second = await followed(warm, links, cache);
    assert.equal(warm.calls, 0, 'a warm run asks the grid nothing');
    await assertListings(second.lister, expected);

    // One more snapshot: only its delta (and the chain's listing) is read, the rest comes from the cache.
    const longer = await writeHistory(store, history(21, 7));
    const grown = new CountingStore(store);
    const third = await followed(grown, longer.links, new HistoryCache(dir, 64 << 20));
    assert.ok(grown.calls > 0 && grown.calls <= 3, `${grown.calls} requests for one new snapshot`);
    await assertListings(third.lister, await expectedListings(store, longer.indexes));
  });

  it('a damaged cache entry is ignored and the grid answers instead', async () => {
    const store = new MemoryStore();
    const { links, indexes } = await writeHistory(store, history(8, 9));
    const dir = await mkdtemp(join(tmpdir(), 'timefs-history-cache-'));
    dirs.push(dir);
    await followed(store, links, new HistoryCache(dir, 64 << 20));
    // Flip one byte in the body of every entry.
    const objects = join(dir, 'objects');
    for (const sub of await readdir(objects)) {
      for (const name of await readdir(join(objects, sub))) {
        const path = join(objects, sub, name);
        const data = await readFile(path);
        data[data.length - 2] = (data[data.length - 2] as number) ^ 0x01;
        await writeFile(path, data);
      }
    }
    const counted = new CountingStore(store);
    const again = await followed(counted, links, new HistoryCache(dir, 64 << 20));
    assert.ok(counted.calls > 0, 'the damaged entries were not used');
    assert.deepEqual(again.reasons, []);
    await assertListings(again.lister, await expectedListings(store, indexes));
  });

  it('an index whose text does not match its link is reported and skipped, the others still follow', async () => {
    const store = new MemoryStore();
    const { links, indexes } = await writeHistory(store, history(6, 11));
    const damaged = links.map((l, i) => (i === 3 ? { ...l, hash: '0'.repeat(64) } : l));
    const { lister, reasons } = await followed(store, damaged);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /s003 does not match its recorded hash/);
    await assertListings(lister, await expectedListings(store, indexes.filter((_, i) => i !== 3)));
    // A link naming another node: whatever parts are tried, only a text with the link's hash is used.
    const swapped = links.map((l, i) => (i === 3 ? { ...l, cap: links[2]!.cap } : l));
    const other = await followed(store, swapped);
    await assertListings(other.lister, await expectedListings(store, indexes.filter((_, i) => !other.reasons.length || i !== 3)));
  });
});
