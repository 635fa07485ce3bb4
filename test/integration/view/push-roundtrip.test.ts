import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runPush } from '../../../src/backup/push.js';
import { Catalog } from '../../../src/catalog/catalog.js';
import { ChainVersionReader, GridSnapshotCatalogue, GridTreeReader } from '../../../src/view/index.js';
import { rng } from '../../helpers/delta-encoder.js';
import { createTestRepo } from '../../helpers/grid.js';
import { editedVersions } from '../../helpers/view-suite.js';

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of iterable) parts.push(part);
  return Buffer.concat(parts);
}

// What push writes, the read model reads: every version of a file pushed several times comes back
// byte for byte (whole and in random ranges) from its chain.
describe('push → read model round trip on the real grid', () => {
  const work = mkdtempSync(join(tmpdir(), 'timefs-view-rt-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('reads back every pushed version of a changing file', async () => {
    const repo = await createTestRepo();
    const src = join(work, 'src');
    const file = join(src, 'data.bin');
    mkdirSync(src);
    const versions = editedVersions(11, 5, 500_000);
    const catalog = await Catalog.open(join(work, 'state'));
    const names: string[] = [];
    try {
      for (const [i, content] of versions.entries()) {
        writeFileSync(file, content, { flag: 'w' });
        const t = new Date(Date.UTC(2009, 0, 9 + i, 12));
        utimesSync(file, t, t);
        const result = await runPush(
          { store: repo.store, catalog, snapshotsCap: repo.snapshotsCap, stateDir: join(work, 'state') },
          { paths: [src], now: () => Date.UTC(2009, 0, 9 + i, 13) },
        );
        assert.ok(result.snapshot, `push ${i} made a snapshot`);
        names.push(result.snapshot);
      }
    } finally {
      await catalog.close();
    }

    const catalogue = new GridSnapshotCatalogue(repo.store, repo.snapshotsCap);
    assert.deepEqual((await catalogue.list()).map((s) => s.name), names);
    const tree = new GridTreeReader(repo.store);
    const reader = new ChainVersionReader(repo.store);
    const r = rng(5);
    let deepest = 0;
    for (const [i, name] of names.entries()) {
      const snapshot = await catalogue.resolve(name);
      const entry = await tree.lookup(snapshot.cap, file);
      const expected = versions[i] as Uint8Array;
      assert.equal(entry.meta.size, expected.length);
      const place = { path: file, snapshot: name };
      assert.equal(Buffer.compare(await collect(reader.readVerified(entry, place)), expected), 0, `version ${i} whole`);
      const handle = await reader.open(entry, place);
      deepest = Math.max(deepest, handle.chainLength);
      for (let k = 0; k < 20; k++) {
        const offset = r.int(expected.length + 100);
        const length = 1 + r.int(200_000);
        const got = await handle.read(offset, length);
        assert.equal(Buffer.compare(got, expected.subarray(Math.min(offset, expected.length), Math.min(expected.length, offset + length))), 0, `version ${i} [${offset}, +${length})`);
      }
    }
    assert.ok(deepest >= 1, 'push stored at least one version as a delta');
  });
});
