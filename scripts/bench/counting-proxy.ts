/**
 * A proxy in front of a Tahoe client node's web API that counts what passes: requests (the web
 * requests per operation the benchmarks report) and response body bytes (what the grid sent).
 */
import { createServer, request, type Server } from 'node:http';

/** A running counting proxy. */
export interface CountingProxy {
  server: Server;
  /** The proxy's URL, to use as a node URL. */
  url: string;
  /** Requests since the last reset. */
  requests(): number;
  /** Response body bytes since the last reset. */
  bytes(): number;
  reset(): void;
  close(): Promise<void>;
}

/** Starts a counting proxy in front of the node URL `target`. */
export function countingProxy(target: string): Promise<CountingProxy> {
  let bytes = 0;
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    done({
      server,
      url: `http://127.0.0.1:${port}/`,
      requests: () => requests,
      bytes: () => bytes,
      reset: () => { bytes = 0; requests = 0; },
      close: () => new Promise((closed) => { server.closeAllConnections(); server.close(() => closed()); }),
    });
  }));
}
