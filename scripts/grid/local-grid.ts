/**
 * A real local Tahoe-LAFS grid on loopback: one introducer, three storage nodes, one client node
 * (2-of-3 encoding, happy 3). Processes are detached and recorded by pid; only recorded pids are
 * ever signalled. Used by `scripts/grid.ts`, the test runner and `test/helpers/grid.ts`.
 *
 * Latency mode (`rttMs` > 0, from `TIMEFS_GRID_RTT_MS`): a delay proxy (`delay-proxy.ts`) listens in
 * front of every storage server and each storage node's `tub.location` advertises the proxy's port
 * while `tub.port` keeps listening on the real one, so the client reaches the servers only through
 * the delay. Changing the RTT of a grid restarts all its nodes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withLock } from './lock.js';

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

const repoRoot = resolve(new URL('../..', import.meta.url).pathname);

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

function pidFile(config: GridConfig, name: NodeName): string {
  return join(config.dir, 'pids', `${name}.pid`);
}

function log(message: string): void {
  process.stderr.write(`grid: ${message}\n`);
}

function tahoe(args: string[]): void {
  const r = spawnSync(tahoeCommand(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`tahoe ${args[0]} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().slice(-500)}`);
}

async function tahoeAsync(args: string[]): Promise<void> {
  await new Promise<void>((resolveRun, reject) => {
    const child = spawn(tahoeCommand(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolveRun() : reject(new Error(`tahoe ${args[0]} failed (exit ${code}): ${stderr.trim().slice(-500)}`))));
  });
}

/** The pid recorded for a node, if that process is still alive and is that node's `tahoe run`. */
function livePid(config: GridConfig, name: NodeName): number | null {
  return liveRecordedPid(pidFile(config, name), nodeDir(config, name));
}

/** The pid in `file`, if alive and its command line carries `marker` (a recycled pid never does). */
function liveRecordedPid(file: string, marker: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 1) return null;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // A recycled pid must never be signalled: require our node directory on its command line.
    if (!cmdline.includes(marker)) return null;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) [ZX] /.test(stat)) return null;
    return pid;
  } catch {
    return null;
  }
}

function isCreated(config: GridConfig): boolean {
  return existsSync(join(config.dir, 'created'));
}

/**
 * True when the grid in `config.dir` was made for another TIMEFS_GRID_PORT_BASE: its nodes would
 * listen on ports another worktree's grid may own, so it is made again on this base's ports.
 */
function madeForOtherPorts(config: GridConfig): boolean {
  try {
    const cfg = readFileSync(join(nodeDir(config, 'client'), 'tahoe.cfg'), 'utf8');
    return !cfg.includes(`web.port = tcp:${config.portBase + 6}:`);
  } catch {
    return true;
  }
}

async function createGrid(config: GridConfig): Promise<void> {
  log(`creating a new grid in ${config.dir}`);
  for (const name of NODE_NAMES) rmSync(nodeDir(config, name), { recursive: true, force: true });
  mkdirSync(join(config.dir, 'pids'), { recursive: true });
  mkdirSync(join(config.dir, 'logs'), { recursive: true });
  const b = config.portBase;
  const loopback = (port: number) => [`--port=tcp:${port}:interface=127.0.0.1`, `--location=tcp:127.0.0.1:${port}`];
  tahoe(['create-introducer', ...loopback(b), nodeDir(config, 'introducer')]);
  await startNode(config, 'introducer');
  const furlPath = join(nodeDir(config, 'introducer'), 'private', 'introducer.furl');
  await waitFor(() => existsSync(furlPath) && readFileSync(furlPath, 'utf8').trim().length > 0, config.timeoutMs, 'the introducer to write its FURL');
  const furl = readFileSync(furlPath, 'utf8').trim();
  const encoding = ['--shares-needed=2', '--shares-happy=3', '--shares-total=3'];
  await Promise.all([
    ...[1, 2, 3].map(async (i) => {
      const dir = nodeDir(config, `storage${i}` as NodeName);
      await tahoeAsync(['create-node', `--nickname=storage${i}`, `--introducer=${furl}`, ...loopback(b + i), '--webport=tcp:0:interface=127.0.0.1', ...encoding, dir]);
      const cfgPath = join(dir, 'tahoe.cfg');
      const cfg = readFileSync(cfgPath, 'utf8');
      // Servers refuse shares when free disk is below reserved_space (1G by default).
      writeFileSync(cfgPath, cfg.replace(/^reserved_space = .*$/m, 'reserved_space = 0'));
    }),
    tahoeAsync(['create-client', '--nickname=client', `--introducer=${furl}`, `--webport=tcp:${b + 6}:interface=127.0.0.1`, ...encoding, nodeDir(config, 'client')]),
  ]);
  writeFileSync(join(config.dir, 'created'), `${new Date().toISOString()}\n`);
}

function rttFile(config: GridConfig): string {
  return join(config.dir, 'rtt-ms');
}

/** The RTT the grid's nodes are configured for (0 when never set). */
export function configuredRtt(config: GridConfig): number {
  try {
    const rtt = Number(readFileSync(rttFile(config), 'utf8').trim());
    return Number.isFinite(rtt) && rtt >= 0 ? rtt : 0;
  } catch {
    return 0;
  }
}

/**
 * Point each storage node's advertised location at its delay proxy (or back at its own port for
 * RTT 0), and drop the client's cached announcements so it learns only the new locations.
 */
function configureLatency(config: GridConfig, rttMs: number): void {
  for (let i = 1; i <= STORAGE_NODES; i++) {
    const cfgPath = join(nodeDir(config, `storage${i}` as NodeName), 'tahoe.cfg');
    const port = rttMs > 0 ? proxyPortOf(config, i) : config.portBase + i;
    const cfg = readFileSync(cfgPath, 'utf8');
    if (!/^tub\.location = .*$/m.test(cfg)) throw new Error(`${cfgPath} has no tub.location line`);
    writeFileSync(cfgPath, cfg.replace(/^tub\.location = .*$/m, `tub.location = tcp:127.0.0.1:${port}`));
  }
  rmSync(join(nodeDir(config, 'client'), 'private', 'introducer_default_cache.yaml'), { force: true });
  writeFileSync(rttFile(config), `${rttMs}\n`);
}

function proxyPidFile(config: GridConfig): string {
  return join(config.dir, 'pids', 'delay-proxy.pid');
}

function liveProxyPid(config: GridConfig): number | null {
  return liveRecordedPid(proxyPidFile(config), config.dir);
}

async function startProxy(config: GridConfig, rttMs: number): Promise<void> {
  if (liveProxyPid(config) !== null) return;
  const links = [1, 2, 3].flatMap((i) => ['--link', `${proxyPortOf(config, i)}:${config.portBase + i}`]);
  const out = openSync(join(config.dir, 'logs', 'delay-proxy.log'), 'w');
  const script = join(repoRoot, 'scripts', 'grid', 'delay-proxy.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--rtt-ms', String(rttMs), ...links, '--tag', config.dir], { cwd: repoRoot, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  if (child.pid === undefined) throw new Error('could not start the delay proxy');
  writeFileSync(proxyPidFile(config), `${child.pid}\n`);
  child.unref();
  const logPath = join(config.dir, 'logs', 'delay-proxy.log');
  await waitFor(() => {
    if (liveProxyPid(config) === null) throw new Error(`the delay proxy exited during start-up: ${readFileSync(logPath, 'utf8').trim().slice(-500)}`);
    return readFileSync(logPath, 'utf8').includes('delay-proxy: RTT');
  }, config.timeoutMs, 'the delay proxy to listen');
}

async function stopProxy(config: GridConfig): Promise<void> {
  const pid = liveProxyPid(config);
  if (pid !== null) {
    process.kill(pid, 'SIGTERM');
    await waitFor(() => liveProxyPid(config) === null, 10_000, 'the delay proxy to stop');
  }
  rmSync(proxyPidFile(config), { force: true });
}

async function startNode(config: GridConfig, name: NodeName): Promise<void> {
  if (livePid(config, name) !== null) return;
  const dir = nodeDir(config, name);
  // A stale pid file from a killed run would make `tahoe run` refuse to start.
  rmSync(join(dir, 'running.process'), { force: true });
  rmSync(join(dir, 'running.process.lock'), { force: true });
  mkdirSync(join(config.dir, 'logs'), { recursive: true });
  mkdirSync(join(config.dir, 'pids'), { recursive: true });
  const out = openSync(join(config.dir, 'logs', `${name}.log`), 'w');
  const child = spawn(tahoeCommand(), ['run', '--allow-stdin-close', dir], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  writeFileSync(pidFile(config, name), `${child.pid}\n`);
  child.unref();
}

async function stopNode(config: GridConfig, name: NodeName): Promise<void> {
  const pid = livePid(config, name);
  if (pid !== null) {
    process.kill(pid, 'SIGTERM');
    const gone = await waitFor(() => livePid(config, name) === null, 15_000, `${name} to stop`, false);
    if (!gone) {
      const again = livePid(config, name);
      if (again !== null) process.kill(again, 'SIGKILL');
      await waitFor(() => livePid(config, name) === null, 5_000, `${name} to die`);
    }
  }
  rmSync(pidFile(config, name), { force: true });
}

async function waitFor(ok: () => boolean | Promise<boolean>, timeoutMs: number, what: string, raise = true): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ok()) return true;
    if (Date.now() > deadline) {
      if (raise) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
      return false;
    }
    await sleep(150);
  }
}

/** Storage servers the client node reports as connected, or null when it does not answer. */
export async function connectedServers(config: GridConfig): Promise<number | null> {
  try {
    const res = await fetch(`${nodeUrlOf(config)}?t=json`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return null;
    const body = (await res.json()) as { servers?: { connection_status?: string }[] };
    return (body.servers ?? []).filter((s) => s.connection_status === 'connected' || (s.connection_status ?? '').startsWith('Connected to')).length;
  } catch {
    return null;
  }
}

/** Wait until the client sees exactly `count` connected storage servers. */
export async function waitForServers(config: GridConfig, count: number, allNodes = false): Promise<void> {
  await waitFor(async () => {
    if (allNodes) {
      // A node that exits at once (port taken, bad config) would otherwise cost the whole timeout.
      const dead = NODE_NAMES.find((n) => livePid(config, n) === null);
      if (dead) throw new Error(`${dead} exited during start-up; last lines of ${join(config.dir, 'logs', `${dead}.log`)}:\n${logTail(config, dead)}`);
    }
    return (await connectedServers(config)) === count;
  }, config.timeoutMs, `the client to see ${count} connected storage server(s)`);
}

function logTail(config: GridConfig, name: NodeName): string {
  try {
    return readFileSync(join(config.dir, 'logs', `${name}.log`), 'utf8').trimEnd().split('\n').slice(-8).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Start the grid (creating it on first use); a no-op when it is already running. Returns the node URL. */
export async function startGrid(config: GridConfig): Promise<string> {
  mkdirSync(config.dir, { recursive: true });
  await withLock(join(config.dir, 'grid.lock'), config.timeoutMs * 3, async () => {
    if (isCreated(config) && madeForOtherPorts(config)) {
      log(`the grid in ${config.dir} was made for other ports than TIMEFS_GRID_PORT_BASE=${config.portBase}: making it again`);
      for (const name of [...NODE_NAMES].reverse()) await stopNode(config, name);
      await stopProxy(config);
      rmSync(join(config.dir, 'created'), { force: true });
      rmSync(rttFile(config), { force: true });
    }
    if (!isCreated(config)) await createGrid(config);
    const running = NODE_NAMES.some((n) => livePid(config, n) !== null);
    const current = configuredRtt(config);
    const rtt = config.rttMs ?? (running ? current : 0);
    if (rtt !== current || !existsSync(rttFile(config))) {
      if (running && rtt !== current) {
        log(`switching the RTT from ${current} ms to ${rtt} ms: restarting every node`);
        for (const name of [...NODE_NAMES].reverse()) await stopNode(config, name);
      }
      await stopProxy(config);
      configureLatency(config, rtt);
    }
    if (rtt > 0) await startProxy(config, rtt);
    const missing = NODE_NAMES.filter((n) => livePid(config, n) === null);
    if (missing.length > 0) log(`starting ${missing.join(', ')}${rtt > 0 ? ` (RTT ${rtt} ms through the delay proxy)` : ''}`);
    for (const name of NODE_NAMES) await startNode(config, name);
    await waitForServers(config, STORAGE_NODES, true);
  });
  return nodeUrlOf(config);
}

/** Stop every recorded node process of the grid. */
export async function stopGrid(config: GridConfig): Promise<void> {
  if (!existsSync(config.dir)) return;
  await withLock(join(config.dir, 'grid.lock'), config.timeoutMs * 3, async () => {
    for (const name of [...NODE_NAMES].reverse()) await stopNode(config, name);
    await stopProxy(config);
  });
}

function storageName(index: number): NodeName {
  if (!Number.isInteger(index) || index < 1 || index > STORAGE_NODES) throw new Error(`storage node number must be 1..${STORAGE_NODES}, got ${index}`);
  return `storage${index}` as NodeName;
}

/** Stop one storage node (1-based) and wait until the client no longer counts it. */
export async function stopStorageNode(config: GridConfig, index: number): Promise<void> {
  await withLock(join(config.dir, 'grid.lock'), config.timeoutMs * 3, async () => {
    await stopNode(config, storageName(index));
  });
  await waitForServers(config, runningStorageCount(config));
}

/** Start one storage node (1-based) and wait until the client sees it connected. */
export async function startStorageNode(config: GridConfig, index: number): Promise<void> {
  await withLock(join(config.dir, 'grid.lock'), config.timeoutMs * 3, async () => {
    await startNode(config, storageName(index));
  });
  await waitForServers(config, runningStorageCount(config));
}

function runningStorageCount(config: GridConfig): number {
  return [1, 2, 3].filter((i) => livePid(config, storageName(i)) !== null).length;
}

/** Stop or start the client node alone (for fault tests). */
export async function setClientRunning(config: GridConfig, running: boolean): Promise<void> {
  await withLock(join(config.dir, 'grid.lock'), config.timeoutMs * 3, async () => {
    if (running) await startNode(config, 'client');
    else await stopNode(config, 'client');
  });
  if (running) await waitForServers(config, runningStorageCount(config));
}

/** Processes and connectivity of the grid; healthy = all nodes up and 3 servers connected. */
export async function gridStatus(config: GridConfig): Promise<GridStatus> {
  const nodes = NODE_NAMES.map((name) => {
    const pid = livePid(config, name);
    return { name, pid, running: pid !== null };
  });
  const connected = nodes.some((n) => n.name === 'client' && n.running) ? await connectedServers(config) : null;
  const rttMs = configuredRtt(config);
  const proxyRunning = liveProxyPid(config) !== null;
  return {
    dir: config.dir,
    created: isCreated(config),
    nodeUrl: nodeUrlOf(config),
    nodes,
    connectedServers: connected,
    rttMs,
    proxyRunning,
    healthy: nodes.every((n) => n.running) && connected === STORAGE_NODES && (rttMs === 0 || proxyRunning),
  };
}
