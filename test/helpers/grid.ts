/**
 * The real Tahoe grid for integration tests. The test runner starts the shared grid and sets
 * TIMEFS_TEST_NODE_URL; run alone, a test file starts it here (idempotently, under a lock).
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import {
  defaultGridConfig,
  setClientRunning,
  startGrid,
  startStorageNode as startStorage,
  stopGrid,
  stopStorageNode as stopStorage,
  type GridConfig,
} from '../../scripts/grid/local-grid.js';

const repoRoot = resolve(new URL('../..', import.meta.url).pathname);
import { initRepository } from '../../src/store/repository.js';
import { TahoeStore, type TahoeStoreOptions } from '../../src/store/tahoe/tahoe-store.js';

/**
 * The node URL of the shared test grid: TIMEFS_TEST_NODE_URL, else the grid is started here
 * (synchronously, idempotently, under the grid lock) and the variable set for child processes.
 */
export function testNodeUrl(): string {
  if (process.env.TIMEFS_TEST_NODE_URL) return process.env.TIMEFS_TEST_NODE_URL;
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'grid.ts'), 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const url = r.stdout.trim().split('\n').pop();
  if (r.status !== 0 || !url) throw new Error(`could not start the test grid (scripts/grid.ts start exited ${r.status})`);
  process.env.TIMEFS_TEST_NODE_URL = url;
  return url;
}

/** A TahoeStore on the shared test grid. */
export async function testStore(options: Partial<TahoeStoreOptions> = {}): Promise<TahoeStore> {
  return new TahoeStore({ nodeUrl: testNodeUrl(), ...options });
}

/** A fresh, initialised timefs repository on the test grid. */
export interface TestRepo {
  store: TahoeStore;
  rootCap: string;
  readCap: string;
  snapshotsCap: string;
  repoId: string;
  nodeUrl: string;
}

/** Create a new, empty timefs repository (its own root directory) on the shared test grid, or on `nodeUrl`. */
export async function createTestRepo(nodeUrl: string = testNodeUrl()): Promise<TestRepo> {
  const store = new TahoeStore({ nodeUrl });
  const repo = await initRepository(store, await store.mkdirMutable());
  return { store, rootCap: repo.rootCap, readCap: repo.readCap, snapshotsCap: repo.snapshotsCap, repoId: repo.repoId, nodeUrl };
}

/**
 * Stop storage node `i` (1..3) of the shared grid and wait until the client sees it gone.
 * Other engineers share that grid: prefer {@link startPrivateGrid} for fault tests, and always restart.
 */
export async function stopStorageNode(i: number, config: GridConfig = defaultGridConfig()): Promise<void> {
  await stopStorage(config, i);
}

/** Start storage node `i` (1..3) again and wait until the client sees it connected. */
export async function startStorageNode(i: number, config: GridConfig = defaultGridConfig()): Promise<void> {
  await startStorage(config, i);
}

/** A grid of its own for tests that break things (stopping nodes), so the shared grid stays healthy. */
export interface PrivateGrid {
  config: GridConfig;
  nodeUrl: string;
  stopStorageNode(i: number): Promise<void>;
  startStorageNode(i: number): Promise<void>;
  stopClient(): Promise<void>;
  startClient(): Promise<void>;
  /** Stop all its processes (the node directories are kept for a fast warm start next time). */
  stop(): Promise<void>;
}

/**
 * Start (creating on first use) a private grid under `.grids/<name>` on its own ports.
 * `portOffset` must differ between private grids (each uses 10 ports from 47000 + offset).
 * `rttMs` puts it in latency mode (default: `TIMEFS_GRID_RTT_MS`, like the shared grid); starting
 * an existing private grid with another RTT restarts its nodes.
 */
export async function startPrivateGrid(name: string, portOffset: number, options: { rttMs?: number } = {}): Promise<PrivateGrid> {
  const shared = defaultGridConfig();
  const config: GridConfig = {
    dir: resolve(join(shared.dir, '..', '.grids', name)),
    portBase: shared.portBase + portOffset,
    timeoutMs: shared.timeoutMs,
    rttMs: options.rttMs ?? shared.rttMs ?? 0,
  };
  const nodeUrl = await startGrid(config);
  return {
    config,
    nodeUrl,
    stopStorageNode: (i) => stopStorage(config, i),
    startStorageNode: (i) => startStorage(config, i),
    stopClient: () => setClientRunning(config, false),
    startClient: () => setClientRunning(config, true),
    stop: () => stopGrid(config),
  };
}
