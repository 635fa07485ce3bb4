// Child process for the kill/resume tests: runs one push against the test grid and appends the
// cap of every completed upload to a log file, so the parent can count uploads across kills.
// Usage: node --import tsx push-child.ts NODE_URL SNAPSHOTS_CAP STATE_DIR UPLOAD_LOG SRC...
import { appendFileSync } from 'node:fs';
import { runPush } from '../../../src/backup/push.js';
import { Catalog } from '../../../src/catalog/catalog.js';
import type { Store, UploadBody } from '../../../src/store/store.js';
import { TahoeStore } from '../../../src/store/tahoe/tahoe-store.js';

const [nodeUrl, snapshotsCap, state, log, ...paths] = process.argv.slice(2);
const inner = new TahoeStore({ nodeUrl: nodeUrl! });
const store: Store = Object.assign(Object.create(inner) as Store, {
  async putImmutable(body: UploadBody) {
    const cap = await inner.putImmutable(body);
    appendFileSync(log!, `${cap}\n`);
    return cap;
  },
  async mkdirImmutable(children: Parameters<Store['mkdirImmutable']>[0]) {
    const cap = await inner.mkdirImmutable(children);
    appendFileSync(log!, `${cap}\n`);
    return cap;
  },
});
const catalog = await Catalog.open(state!);
try {
  // Phase markers on stdout let the parent kill at a chosen stage: start, scan (done), upload (each job), commit.
  process.stdout.write('start\n');
  const result = await runPush({ store, catalog, snapshotsCap: snapshotsCap!, stateDir: state! }, { paths, concurrency: 2 }, {
    onProgress: (phase) => { process.stdout.write(`${phase}\n`); },
  });
  process.stdout.write(`${JSON.stringify({ snapshot: result.snapshot, resumed: result.resumed ?? null })}\n`);
} finally {
  await catalog.close();
}
