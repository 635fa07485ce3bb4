/**
 * Where a local grid lives, its ports and node names, and the `tahoe` executable: the parts of the
 * grid scripts that only compute, shared by the process control in `local-grid.ts` and `latency.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where a grid lives and which ports it uses. */
export interface GridConfig {
  /** Folder holding the node directories, logs and pid records. */
  dir: string;
  /** Introducer at base, storage i at base+i, client web API at base+6. */
  portBase: number;
  /** Readiness timeout in milliseconds. */
  timeoutMs: number;
  /**
   * Round-trip time the delay proxy adds between the client and each storage server (0: none).
   * Undefined keeps whatever a running grid has (0 for a stopped one).
   */
  rttMs?: number;
}

/** Number of storage nodes in the grid. */
export const STORAGE_NODES = 3;

/** Names of the grid's nodes, in start order. */
export const NODE_NAMES = ['introducer', 'storage1', 'storage2', 'storage3', 'client'] as const;

/** One of {@link NODE_NAMES}. */
export type NodeName = (typeof NODE_NAMES)[number];

/** State of one node process. */
export interface NodeState {
  name: NodeName;
  pid: number | null;
  running: boolean;
}

/** What `status` reports. */
export interface GridStatus {
  dir: string;
  created: boolean;
  nodeUrl: string;
  nodes: NodeState[];
  /** Storage servers the client sees connected (null when the client does not answer). */
  connectedServers: number | null;
  /** The round-trip time the grid was configured with (0: no delay proxy). */
  rttMs: number;
  /** Whether the delay proxy runs (always false at RTT 0). */
  proxyRunning: boolean;
  healthy: boolean;
}

/** The repository checkout the scripts run from. */
export const repoRoot = resolve(new URL('../..', import.meta.url).pathname);

/** The shared grid's configuration from the environment (`TIMEFS_GRID_DIR`, `TIMEFS_GRID_PORT_BASE`). */
export function defaultGridConfig(): GridConfig {
  const base = Number(process.env.TIMEFS_GRID_PORT_BASE ?? 47000);
  if (!Number.isInteger(base) || base < 1024 || base > 65000) throw new Error(`TIMEFS_GRID_PORT_BASE must be a port number, got ${process.env.TIMEFS_GRID_PORT_BASE}`);
  return {
    dir: resolve(process.env.TIMEFS_GRID_DIR ?? join(repoRoot, '.grid')),
    portBase: base,
    timeoutMs: Number(process.env.TIMEFS_GRID_TIMEOUT_MS ?? 180_000),
    rttMs: rttFromEnv(),
  };
}

/** `TIMEFS_GRID_RTT_MS` as milliseconds, or undefined when unset. */
export function rttFromEnv(): number | undefined {
  const raw = process.env.TIMEFS_GRID_RTT_MS;
  if (raw === undefined || raw.trim() === '') return undefined;
  const rtt = Number(raw);
  if (!Number.isFinite(rtt) || rtt < 0 || rtt > 10_000) throw new Error(`TIMEFS_GRID_RTT_MS must be a round-trip time in milliseconds (0..10000), got ${raw}`);
  return rtt;
}

/** The port the delay proxy listens on for storage node `index` (1-based): base+6+index. */
export function proxyPortOf(config: GridConfig, index: number): number {
  return config.portBase + 6 + index;
}

/** The client node's web API URL (with a trailing slash, as Tahoe writes `node.url`). */
export function nodeUrlOf(config: GridConfig): string {
  return `http://127.0.0.1:${config.portBase + 6}/`;
}

/** The `tahoe` executable: `TIMEFS_TAHOE`, then `tahoe` on PATH, then the project's `.venv`. */
export function tahoeCommand(): string {
  if (process.env.TIMEFS_TAHOE) return process.env.TIMEFS_TAHOE;
  const which = spawnSync('sh', ['-c', 'command -v tahoe'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  const venv = join(repoRoot, '.venv', 'bin', 'tahoe');
  if (existsSync(venv)) return venv;
  throw new Error('tahoe not found: run `bash scripts/setup.sh` (installs tahoe-lafs 1.20.0 into .venv)');
}

/** Node directory of one node; the client's is what `tahoe --node-directory` wants. */
export function nodeDir(config: GridConfig, name: NodeName): string {
  return join(config.dir, name);
}
