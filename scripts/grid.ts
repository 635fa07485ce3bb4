/**
 * The local Tahoe-LAFS test grid.
 *   node --import tsx scripts/grid.ts start|stop|status [--json]|stop-node N|start-node N
 * `start` prints the client node URL as its last stdout line (progress goes to stderr).
 * `status` exits 0 only when every node runs and the client sees all 3 storage servers.
 * Env: TIMEFS_GRID_DIR (default .grid/), TIMEFS_GRID_PORT_BASE (default 47000; client web API at base+6),
 * TIMEFS_GRID_RTT_MS (latency mode: a delay proxy at base+7..9 adds this round-trip time between the
 * client and every storage server; unset keeps a running grid's RTT, 0 removes the delay).
 */
import { defaultGridConfig, gridStatus, startGrid, startStorageNode, stopGrid, stopStorageNode } from './grid/local-grid.js';

const usage = 'usage: node --import tsx scripts/grid.ts start | stop | status [--json] | stop-node N | start-node N';

async function run(argv: string[]): Promise<number> {
  const config = defaultGridConfig();
  const [command, arg] = argv;
  switch (command) {
    case 'start': {
      const url = await startGrid(config);
      process.stdout.write(`${url}\n`);
      return 0;
    }
    case 'stop':
      await stopGrid(config);
      process.stderr.write('grid: stopped\n');
      return 0;
    case 'status': {
      const status = await gridStatus(config);
      if (argv.includes('--json')) {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      } else {
        process.stdout.write(`grid ${status.healthy ? 'running and healthy' : status.nodes.some((n) => n.running) ? 'NOT healthy' : 'stopped'} (${status.dir})\n`);
        for (const node of status.nodes) process.stdout.write(`  ${node.name.padEnd(10)} ${node.running ? `running (pid ${node.pid})` : 'stopped'}\n`);
        if (status.rttMs > 0) process.stdout.write(`  delay-proxy ${status.proxyRunning ? 'running' : 'stopped'}\n`);
        process.stdout.write(`  servers connected: ${status.connectedServers ?? 'client not answering'}\n`);
        process.stdout.write(`  RTT: ${status.rttMs > 0 ? `${status.rttMs} ms (latency mode, through the delay proxy)` : '0 ms (loopback, no delay)'}\n`);
        process.stdout.write(`${status.nodeUrl}\n`);
      }
      return status.healthy ? 0 : 1;
    }
    case 'stop-node':
    case 'start-node': {
      const index = Number(arg);
      if (command === 'stop-node') await stopStorageNode(config, index);
      else await startStorageNode(config, index);
      process.stderr.write(`grid: storage${index} ${command === 'stop-node' ? 'stopped' : 'started'}\n`);
      return 0;
    }
    default:
      process.stderr.write(`${usage}\n`);
      return 2;
  }
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`grid: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
