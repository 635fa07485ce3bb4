/**
 * A user-space TCP delay proxy that makes the loopback grid behave like a remote one: every chunk
 * is forwarded half an RTT after it arrived, in order, in both directions, with no bandwidth cap.
 * A new connection pays one extra RTT before its first byte moves (the TCP handshake it would cost
 * on a real link). Run as a process by `local-grid.ts`:
 *   node --import tsx scripts/grid/delay-proxy.ts --rtt-ms 50 --link 47207:47201 [--link ...] [--tag DIR]
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** One listening port that forwards to one target port on 127.0.0.1. */
export interface DelayLink {
  listenPort: number;
  targetPort: number;
}

/**
 * Writes chunks to `out` exactly `delayMs` after they were pushed, preserving their order; `end`
 * is forwarded the same way. One timer at a time, armed for the head of the queue.
 */
class DelayedPipe {
  private readonly queue: { due: number; chunk: Buffer | null }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly out: Socket, private readonly delayMs: number) {}

  push(chunk: Buffer | null): void {
    this.queue.push({ due: Date.now() + this.delayMs, chunk });
    this.arm();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
  }

  private arm(): void {
    if (this.timer || this.queue.length === 0) return;
    const wait = Math.max(0, (this.queue[0] as { due: number }).due - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const now = Date.now();
    while (this.queue.length > 0 && (this.queue[0] as { due: number }).due <= now) {
      const { chunk } = this.queue.shift() as { chunk: Buffer | null };
      if (this.out.destroyed) return this.cancel();
      if (chunk === null) this.out.end();
      else this.out.write(chunk);
    }
    this.arm();
  }
}

/** Join an accepted client socket to the target, delaying both directions by half of `rttMs`. */
function relay(client: Socket, targetPort: number, rttMs: number): void {
  const oneWay = rttMs / 2;
  client.setNoDelay(true);
  client.pause();
  const upstream = connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
  upstream.setNoDelay(true);
  upstream.pause();
  const toServer = new DelayedPipe(upstream, oneWay);
  const toClient = new DelayedPipe(client, oneWay);
  const abort = (): void => {
    toServer.cancel();
    toClient.cancel();
    client.destroy();
    upstream.destroy();
  };
  // A reset travels like data: the other side learns of it half an RTT later.
  client.on('error', () => setTimeout(abort, oneWay));
  upstream.on('error', () => setTimeout(abort, oneWay));
  client.on('data', (chunk: Buffer) => toServer.push(chunk));
  client.on('end', () => toServer.push(null));
  upstream.on('data', (chunk: Buffer) => toClient.push(chunk));
  upstream.on('end', () => toClient.push(null));
  // The handshake of a real link: nothing moves for one RTT after the connection opened.
  setTimeout(() => {
    client.resume();
    upstream.resume();
  }, rttMs);
}

/** Listen on every link's port; resolves once all are listening. */
export async function startDelayProxy(links: DelayLink[], rttMs: number): Promise<Server[]> {
  return Promise.all(links.map((link) => new Promise<Server>((resolveListen, reject) => {
    const server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => relay(client, link.targetPort, rttMs));
    server.once('error', reject);
    server.listen(link.listenPort, '127.0.0.1', () => resolveListen(server));
  })));
}

function parseArgs(argv: string[]): { rttMs: number; links: DelayLink[] } {
  let rttMs = NaN;
  const links: DelayLink[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1] ?? '';
    if (arg === '--rtt-ms') { rttMs = Number(value); i++; }
    else if (arg === '--link') {
      const [listen, target] = value.split(':').map(Number);
      if (!Number.isInteger(listen) || !Number.isInteger(target)) throw new Error(`--link wants LISTEN:TARGET ports, got ${value}`);
      links.push({ listenPort: listen as number, targetPort: target as number });
      i++;
    } else if (arg === '--tag') i++;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!(rttMs >= 0)) throw new Error('--rtt-ms wants a number of milliseconds');
  if (links.length === 0) throw new Error('give at least one --link LISTEN:TARGET');
  return { rttMs, links };
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  try {
    const { rttMs, links } = parseArgs(process.argv.slice(2));
    await startDelayProxy(links, rttMs);
    process.stderr.write(`delay-proxy: RTT ${rttMs} ms on ${links.map((l) => `${l.listenPort}->${l.targetPort}`).join(', ')}\n`);
  } catch (err) {
    process.stderr.write(`delay-proxy: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
