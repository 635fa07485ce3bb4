// Test-only: mounts a repository in a separate process (for crash and signal tests).
// Env: TIMEFS_TEST_NODE_URL, TIMEFS_CHILD_SNAPSHOTS (the snapshots/ cap), TIMEFS_CHILD_AUTO_UNMOUNT=0
// (no unmount watcher: a kill -9 leaves a stale mount), argv[2] = mount point.
// Prints "mounted" on stdout once the mount is usable; unmounts on SIGTERM.
import { mountSource } from '../../src/fs/mounter.js';
import { TahoeStore } from '../../src/store/tahoe/tahoe-store.js';
import { createBackupView } from '../../src/view/backup-view-setup.js';

const store = new TahoeStore({ nodeUrl: process.env.TIMEFS_TEST_NODE_URL ?? 'http://127.0.0.1:47006/' });
const { view } = createBackupView(store, process.env.TIMEFS_CHILD_SNAPSHOTS ?? '', { zone: 'utc' });
const mounted = await mountSource(view, process.argv[2] ?? '', { log: (l) => process.stderr.write(`${l}\n`), autoUnmount: process.env.TIMEFS_CHILD_AUTO_UNMOUNT !== '0' });
process.stdout.write('mounted\n');
process.on('SIGTERM', () => {
  mounted.unmount().then(() => process.stdout.write('unmounted\n'), (err: Error) => process.stdout.write(`failed: ${err.message}\n`));
});
