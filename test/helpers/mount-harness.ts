// Test-only: real FUSE mounts of a BackupView in the test process, on a fresh temporary mount point.
// Tests must use async fs calls (the mount is served by this process's event loop).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mountSource, type MountedFs, type MountOptions } from '../../src/fs/mounter.js';
import type { Store } from '../../src/store/store.js';
import { createBackupView, type BackupViewBundle, type BackupViewSetup } from '../../src/view/backup-view-setup.js';

/** Runs a command without blocking the event loop that serves the mount. */
export const run = promisify(execFile);

/** A mounted view and its mount point. */
export interface TestMount extends BackupViewBundle {
  mounted: MountedFs;
  mountPoint: string;
  logs: string[];
  close(): Promise<void>;
}

/** Mounts the repository `snapshotsCap` of `store` on a new temporary directory. */
export async function mountForTest(store: Store, snapshotsCap: string, setup: BackupViewSetup = {}, options: MountOptions = {}): Promise<TestMount> {
  const mountPoint = await mkdtemp(join(tmpdir(), 'timefs-mnt-'));
  const logs: string[] = [];
  const log = (line: string): void => { logs.push(line); };
  const bundle = createBackupView(store, snapshotsCap, { zone: 'utc', log, ...setup });
  const mounted = await mountSource(bundle.view, mountPoint, { log, timeoutMs: 20_000, ...options });
  return {
    ...bundle, mounted, mountPoint, logs,
    async close() {
      await mounted.unmount().catch(() => mounted.unmount(true));
      await rm(mountPoint, { recursive: true, force: true });
    },
  };
}
