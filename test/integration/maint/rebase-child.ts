// Runs one rebase in its own process so the test can kill it at a chosen moment.
// Input (env): TIMEFS_TEST_NODE_URL, REBASE_ROOT, REBASE_SNAPSHOTS (caps: secrets, never printed).
// Output: a line `phase NAME` when each phase starts, then a JSON summary.
import { rebase } from '../../../src/maint/rebase.js';
import { TahoeStore } from '../../../src/store/tahoe/tahoe-store.js';

const store = new TahoeStore({ nodeUrl: process.env.TIMEFS_TEST_NODE_URL! });
let phase = '';
const report = await rebase(store, { rootCap: process.env.REBASE_ROOT!, snapshotsCap: process.env.REBASE_SNAPSHOTS! }, {
  onProgress: (p) => {
    if (p.phase !== phase) process.stdout.write(`phase ${(phase = p.phase)}\n`);
  },
});
process.stdout.write(`${JSON.stringify({ rebased: report.rebased, swapped: report.snapshots.length })}\n`);
