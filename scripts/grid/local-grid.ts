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
import { join } from 'node:path';
import { type GridConfig, type GridStatus, NODE_NAMES, type NodeName, STORAGE_NODES, nodeDir, nodeUrlOf, tahoeCommand } from './grid-config.js';
import { configureLatency, configuredRtt, liveProxyPid, rttFile, startProxy, stopProxy } from './latency.js';
import { withLock } from './lock.js';
import { reservePorts } from './port-reservation.js';
import { liveRecordedPid, log, waitFor } from './process-records.js';

export * from './grid-config.js';
export { configuredRtt } from './latency.js';

function pidFile(config: GridConfig, name: NodeName): string {
  return join(config.dir, 'pids', `${name}.pid`);
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


function isCreated(config: GridConfig): boolean {
  return existsSync(join(config.dir, 'created'));
}

/**
 * True when the grid in `config.dir` was made for another TIMEFS_GRID_PORT_BASE: its nodes would
 * listen on ports another worktree's grid may own, and the URL this base names is not theirs.
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
  // The block covers this grid and the private grids tests start at offsets below 100 from it.
  reservePorts(config.portBase, config.portBase + 99);
  await withLock(join(config.dir, 'grid.lock'), config.timeoutMs * 3, async () => {
    if (isCreated(config) && madeForOtherPorts(config)) {
      throw new Error(`the grid in ${config.dir} was made for another TIMEFS_GRID_PORT_BASE than ${config.portBase}: its nodes would use ports another grid may own. `
        + 'Set the base it was made with, or stop it (npm run grid:stop, with that base) and remove the directory to make a new one.');
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
