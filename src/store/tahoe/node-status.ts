/**
 * What a Tahoe client node says about its own connections (`GET /?t=json`, the welcome page):
 * the introducers it reaches and the storage servers it knows, connected or not.
 */
import { TimefsError } from '../../model/errors.js';
import { TahoeHttp } from './http.js';

/** One storage server the node knows about. */
export interface ServerSeen {
  nickname: string;
  connected: boolean;
  /** Tahoe's own words, e.g. `connected` or `Trying to connect`. */
  status: string;
}

/** The node's view of the grid. */
export interface NodeStatus {
  /** One line per introducer, e.g. `Connected to tcp:127.0.0.1:47000 via tcp`. */
  introducers: string[];
  servers: ServerSeen[];
}

/** Ask the node at `nodeUrl` what it is connected to. */
export async function readNodeStatus(nodeUrl: string, options: { timeoutMs?: number } = {}): Promise<NodeStatus> {
  const http = new TahoeHttp({ nodeUrl, timeoutMs: options.timeoutMs ?? 10_000, retries: 1, retryDelayMs: 250 });
  const res = await http.request({ method: 'GET', path: '', query: { t: 'json' }, what: 'the node status page', idempotent: true });
  return parseNodeStatus(res.body.toString('utf8'));
}

/** Parse the welcome page's JSON (exported for unit tests). */
export function parseNodeStatus(text: string): NodeStatus {
  let body: { introducers?: { statuses?: unknown }; servers?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new TimefsError('grid.bad-response', 'the node status page is not JSON');
  }
  const introducers = Array.isArray(body.introducers?.statuses) ? body.introducers.statuses.map(String) : [];
  const servers = (Array.isArray(body.servers) ? body.servers : []).map((raw) => {
    const server = raw as { nickname?: unknown; nodeid?: unknown; connection_status?: unknown };
    const status = String(server.connection_status ?? 'unknown');
    return {
      nickname: String(server.nickname ?? server.nodeid ?? '?'),
      connected: status === 'connected' || status.startsWith('Connected to'),
      status,
    };
  });
  return { introducers, servers };
}
