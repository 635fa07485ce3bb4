/**
 * The grid's latency mode: a delay proxy (`delay-proxy.ts`) in front of every storage server, and
 * each storage node's `tub.location` advertising the proxy's port while `tub.port` keeps the real one.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type GridConfig, type NodeName, STORAGE_NODES, nodeDir, proxyPortOf, repoRoot } from './grid-config.js';
import { liveRecordedPid, waitFor } from './process-records.js';

/** The file recording the RTT the nodes are configured for. */
export function rttFile(config: GridConfig): string {
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
export function configureLatency(config: GridConfig, rttMs: number): void {
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

/** The delay proxy's pid, if it runs. */
export function liveProxyPid(config: GridConfig): number | null {
  return liveRecordedPid(proxyPidFile(config), config.dir);
}

/** Start the delay proxy for `rttMs` unless it already runs, and wait until it listens. */
export async function startProxy(config: GridConfig, rttMs: number): Promise<void> {
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

/** Stop the delay proxy, if it runs. */
export async function stopProxy(config: GridConfig): Promise<void> {
  const pid = liveProxyPid(config);
  if (pid !== null) {
    process.kill(pid, 'SIGTERM');
    await waitFor(() => liveProxyPid(config) === null, 10_000, 'the delay proxy to stop');
  }
  rmSync(proxyPidFile(config), { force: true });
}
