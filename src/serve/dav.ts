/**
 * The WebDAV side of `timefs serve` (class 1, read-only): OPTIONS, PROPFIND with depth 0 or 1
 * (infinity refused with 403 as RFC 4918 allows), and the refusals of every write method.
 * Only directories and regular files are WebDAV resources; symlinks, devices and fifos inside
 * snapshots have no WebDAV form and are left out of listings (the pages and tar downloads show them).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { BadPropfindBody, davResponse, MULTISTATUS_HEAD, MULTISTATUS_TAIL, parsePropfind } from './propfind.js';
import { hrefFor } from './request-path.js';
import type { ServedView } from './served-view.js';

/** Methods this server answers. */
export const ALLOWED_METHODS = 'OPTIONS, GET, HEAD, PROPFIND';
/** Methods that would change the tree: refused with 403 and a message. */
export const WRITE_METHODS = new Set(['PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPPATCH', 'POST', 'PATCH']);

/** The OPTIONS answer: DAV class 1, no locking, read-only methods. */
export function answerOptions(reply: FastifyReply): void {
  reply.code(200).header('DAV', '1').header('Allow', ALLOWED_METHODS).header('MS-Author-Via', 'DAV').header('Content-Length', '0').send();
}

/** The refusal of a write method, or of LOCK/UNLOCK (no locking in a read-only class 1 server). */
export function refuseMethod(method: string, reply: FastifyReply): void {
  const write = WRITE_METHODS.has(method);
  reply.code(write ? 403 : 405).header('Allow', ALLOWED_METHODS).type('text/plain; charset=utf-8')
    .send(write
      ? `${method} refused: timefs serve shows the backup history read-only; nothing can be written, moved or deleted here.\n`
      : `${method} is not supported: timefs serve is a read-only WebDAV server (class 1, no locks).\n`);
}

function isDavResource(type: string): boolean {
  return type === 'dir' || type === 'file';
}

/**
 * Multistatus bodies of directories that can never change (inside a snapshot), by request: a file
 * manager re-lists the same large directory often, and building 10,000 responses costs far more
 * than keeping the text. Bounded by total length.
 */
export function propfindCache(maxBytes = 32 << 20): LRUCache<string, string> {
  return new LRUCache<string, string>({ maxSize: maxBytes, sizeCalculation: (body) => Math.max(1, body.length) });
}

/** PROPFIND of `segments`. */
export async function answerPropfind(req: FastifyRequest, reply: FastifyReply, view: ServedView, segments: string[], cache?: LRUCache<string, string>): Promise<void> {
  const depth = (req.headers.depth ?? 'infinity').toString().trim().toLowerCase();
  if (depth !== '0' && depth !== '1') {
    reply.code(403).type('application/xml; charset=utf-8')
      .send('<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>\n');
    return;
  }
  let request;
  try {
    request = parsePropfind(typeof req.body === 'string' ? req.body : '');
  } catch (err) {
    if (!(err instanceof BadPropfindBody)) throw err;
    reply.code(400).type('text/plain; charset=utf-8').send(`${err.message}\n`);
    return;
  }
  const target = await view.resolve(segments);
  if (!isDavResource(target.node.type)) {
    reply.code(404).type('text/plain; charset=utf-8').send(`/${segments.join('/')} is a ${target.node.type}, which WebDAV cannot show; download the directory as .tar to get it\n`);
    return;
  }
  const isDir = target.node.type === 'dir';
  const key = isDir && target.node.stable ? `${depth}\0${typeof req.body === 'string' ? req.body : ''}\0${segments.join('/')}\0${target.viewPath.join('/')}` : undefined;
  const cached = key === undefined ? undefined : cache?.get(key);
  if (cached !== undefined) {
    reply.code(207).type('application/xml; charset=utf-8').send(cached);
    return;
  }
  const name = segments[segments.length - 1] ?? '/';
  const parts = [MULTISTATUS_HEAD, davResponse({ href: hrefFor(segments, isDir), name, node: target.node }, request)];
  if (depth === '1' && isDir) {
    for (const { child, node } of await view.children(target)) {
      if (!isDavResource(node.type)) continue;
      parts.push(davResponse({ href: hrefFor([...segments, child.name], node.type === 'dir'), name: child.name, node }, request));
    }
  }
  parts.push(MULTISTATUS_TAIL);
  const body = parts.join('');
  if (key !== undefined) cache?.set(key, body);
  reply.code(207).type('application/xml; charset=utf-8').send(body);
}
