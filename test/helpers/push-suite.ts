// Push behaviours tested twice, on MemoryStore (test/unit/backup) and on the real grid
// (test/integration/push): excludes, one file system, dry run, two pushes in one second, rehash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPush, type PushOptions } from '../../src/backup/push.js';
import { Catalog } from '../../src/catalog/catalog.js';
import type { EntryMeta } from '../../src/model/entry.js';
import type { Store } from '../../src/store/store.js';

async function paths(store: Store, cap: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const [name, entry] of await store.list(cap)) {
    const meta = (entry.metadata as { timefs: EntryMeta }).timefs;
    out.push(`${prefix}/${name}`);
    if (meta.type === 'dir') out.push(...(await paths(store, entry.readCap, `${prefix}/${name}`)));
  }
  return out;
}

/** Registers the shared push tests against stores made by `makeStore`. */
export function pushOptionsSuite(label: string, makeStore: () => Promise<Store>): void {
  const setup = async () => {
    const store = await makeStore();
    const snapshotsCap = await store.mkdirMutable();
    const base = await mkdtemp(join(tmpdir(), 'timefs-push-suite-'));
    const src = join(base, 'src');
    const state = join(base, 'state');
    await mkdir(src);
    const push = async (options: Partial<PushOptions> = {}) => {
      const catalog = await Catalog.open(state);
      try {
        return await runPush({ store, catalog, snapshotsCap, stateDir: state }, { paths: [src], ...options });
      } finally {
        await catalog.close();
      }
    };
    const snapshots = async () => [...(await store.list(snapshotsCap)).values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    return { store, base, src, push, snapshots };
  };

  test(`${label}: exclude patterns (as --exclude and --exclude-file give them) and --exclude-if-present`, async () => {
    const { store, base, src, push, snapshots } = await setup();
    await mkdir(join(src, 'keep'));
    await mkdir(join(src, 'cache'));
    await mkdir(join(src, 'private'));
    for (const f of ['keep/a.txt', 'keep/b.tmp', 'cache/x', 'private/y', 'private/.nobackup', 'top.log']) await writeFile(join(src, f), f);
    try {
      await push({ exclude: ['*.tmp', `${src}/cache`, '# a comment', '*.log'], excludeIfPresent: ['.nobackup'] });
      const [snap] = await snapshots();
      const all = await paths(store, snap!.readCap);
      const mine = all.filter((p) => p.startsWith(`${src}/`)).map((p) => p.slice(src.length));
      assert.deepEqual(mine.sort(), ['/keep', '/keep/a.txt']);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  test(`${label}: --one-file-system keeps a mount point but not what is mounted on it`, async () => {
    const { store, base, src, push, snapshots } = await setup();
    await mkdir(join(src, 'mnt'));
    await writeFile(join(src, 'here'), 'here');
    execFileSync('mount', ['-t', 'tmpfs', 'none', join(src, 'mnt')]);
    try {
      await writeFile(join(src, 'mnt', 'other-fs'), 'elsewhere');
      await push({ oneFileSystem: true });
      await push({ oneFileSystem: false, now: () => Date.now() + 2000 });
      const [one, all] = await snapshots();
      const rel = async (cap: string) => (await paths(store, cap)).filter((p) => p.startsWith(`${src}/`)).map((p) => p.slice(src.length)).sort();
      assert.deepEqual(await rel(one!.readCap), ['/here', '/mnt']);
      assert.deepEqual(await rel(all!.readCap), ['/here', '/mnt', '/mnt/other-fs']);
    } finally {
      execFileSync('umount', [join(src, 'mnt')]);
      await rm(base, { recursive: true, force: true });
    }
  });

  test(`${label}: --dry-run counts but stores nothing; two pushes in the same second get distinct names`, async () => {
    const { base, src, push, snapshots } = await setup();
    await writeFile(join(src, 'f'), 'x'.repeat(100_000));
    await utimes(join(src, 'f'), 1_600_000_000, 1_600_000_000);
    try {
      const dry = await push({ dryRun: true });
      assert.equal(dry.snapshot, undefined);
      assert.equal(dry.stats.newFiles, 1);
      assert.equal((await snapshots()).length, 0);
      const fixed = () => Date.parse('2009-01-09T01:49:00.250Z');
      const first = await push({ now: fixed });
      await writeFile(join(src, 'g'), 'new file');
      const second = await push({ now: fixed });
      assert.equal(first.snapshot, '2009-01-09T01:49:00Z');
      assert.equal(second.snapshot, '2009-01-09T01:49:00.250Z');
      assert.equal(second.stats.newFiles, 1, 'the dry run left no trace in the catalog');
      assert.equal((await snapshots()).length, 2);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
}
