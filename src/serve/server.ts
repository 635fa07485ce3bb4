/**
 * `timefs serve`'s HTTP server (fastify): one catch-all route per method, since every path is a
 * view path. Before any handler runs, requests are checked in this order: concurrency bound (503),
 * access secret (401), write methods (403/405), path safety (400/414). Failures become statuses in
 * `http-status.ts`; a grid that does not answer gives 504 within the timeout, never a hung request.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { redactCaps } from '../model/cap.js';
import type { MountSource } from '../view/mount-source.js';
import type { SnapshotCatalogue } from '../view/snapshot-catalogue.js';
import type { DayZone } from '../view/time-tree.js';
import { authorized, type AccessSecret } from './access.js';
import { answerGet } from './browse.js';
import { answerOptions, answerPropfind, propfindCache, refuseMethod, WRITE_METHODS } from './dav.js';
import { httpFailure } from './http-status.js';
import { esc } from './pages/layout.js';
import { parseRequestTarget } from './request-path.js';
import type { SearchNames } from './search.js';
import { ServedView } from './served-view.js';

/** Options of {@link createServer}. */
export interface ServerOptions {
  source: MountSource;
  catalogue: SnapshotCatalogue;
  zone: DayZone;
  /** Deadline of one grid operation (a listing, a chunk of content), in ms. */
  timeoutMs: number;
  /** Requests handled at once; more get 503 (default 64). */
  maxRequests?: number;
  /** A client that sends or reads nothing for this long is disconnected (default 120 s). */
  idleTimeoutMs?: number;
  /** The search box's name search (absent: no search box). */
  search?: SearchNames;
  /** When set, every request must carry this secret. */
  secret?: AccessSecret;
  /** One line per request when true. */
  accessLog?: boolean;
  /** Where notices go; lines are passed through `redactCaps` first. */
  log: (line: string) => void;
}

const METHODS = ['GET', 'HEAD', 'OPTIONS', 'PROPFIND', 'PROPPATCH', 'PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'POST', 'PATCH'];

/** Builds the server (not yet listening). */
export function createServer(options: ServerOptions): FastifyInstance {
  const log = (line: string): void => options.log(redactCaps(line));
  const view = new ServedView(options.source, options.timeoutMs);
  const maxRequests = options.maxRequests ?? 64;
  const listings = propfindCache();
  const app = Fastify({
    logger: false,
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: 16_384 },
    bodyLimit: 64 * 1024,
    connectionTimeout: options.idleTimeoutMs ?? 120_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
  });
  for (const method of ['PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK']) {
    app.addHttpMethod(method, { hasBody: method !== 'COPY' && method !== 'MOVE' && method !== 'UNLOCK' });
  }
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  let active = 0;
  app.addHook('onRequest', async (req, reply) => {
    const started = performance.now();
    if (active >= maxRequests) {
      return reply.code(503).header('Retry-After', '2').type('text/plain; charset=utf-8').send('timefs serve is busy; retry in a moment\n');
    }
    active++;
    let counted = true;
    reply.raw.once('close', () => {
      if (counted) active--;
      counted = false;
      if (options.accessLog) log(`${req.method} ${(req.raw.url ?? '').slice(0, 300)} ${reply.statusCode} ${Math.round(performance.now() - started)} ms`);
    });
    if (options.secret && !authorized(req.headers.authorization, options.secret)) {
      return reply.code(401).header('WWW-Authenticate', 'Basic realm="timefs", charset="UTF-8"').type('text/plain; charset=utf-8').send('authentication required\n');
    }
    if (WRITE_METHODS.has(req.method) || req.method === 'LOCK' || req.method === 'UNLOCK') return refuseMethod(req.method, reply);
    return undefined;
  });

  // Returns the reply: an async fastify handler that resolves to undefined while a stream is still
  // starting would be answered a second time, empty.
  const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const target = parseRequestTarget(req.raw.url ?? '/');
      if (req.method === 'OPTIONS') answerOptions(reply);
      else if (req.method === 'PROPFIND') await answerPropfind(req, reply, view, target.segments, listings);
      else await answerGet(req, reply, { view, catalogue: options.catalogue, zone: options.zone, log, ...(options.search ? { search: options.search } : {}) }, target);
    } catch (err) {
      const failure = httpFailure(err);
      if (failure.status >= 500) log(`timefs serve: ${req.method} ${(req.raw.url ?? '').slice(0, 300)}: ${failure.message}`);
      if (reply.sent || reply.raw.headersSent) return reply;
      const html = (req.headers.accept ?? '').includes('text/html');
      reply.code(failure.status).header('Cache-Control', 'no-store');
      if (html) reply.type('text/html; charset=utf-8').send(`<!doctype html><html lang="en"><meta charset="utf-8"><title>${failure.status}</title><main><h1>${failure.status}</h1><p>${esc(failure.message)}</p><p><a href="/">Back to the timeline</a></p></main></html>\n`);
      else reply.type('text/plain; charset=utf-8').send(`${failure.message}\n`);
    }
    return reply;
  };
  app.route({ method: METHODS, url: '/*', handler: handle });
  app.route({ method: METHODS, url: '/', handler: handle });
  app.setNotFoundHandler((req, reply) => {
    reply.code(405).header('Allow', 'OPTIONS, GET, HEAD, PROPFIND').type('text/plain; charset=utf-8').send(`${req.method} is not supported by timefs serve\n`);
  });
  return app;
}
