/**
 * GET and HEAD of one file: validators (ETag from the content hash, Last-Modified from the stored
 * mtime), conditional requests, and single or multiple byte ranges. Bytes come from the view's
 * open file in bounded chunks, so a slow client only pauses the reads; a whole read is
 * hash-checked by the view, and a mismatch cuts the response short instead of ending it cleanly.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import parseRange from 'range-parser';
import type { MountNode } from '../view/mount-source.js';
import { contentTypeFor } from './content-type.js';
import type { ServedNode, ServedView } from './served-view.js';

/** Bytes asked of the view per read. */
export const READ_CHUNK = 1 << 20;
/** More ranges than this in one request are answered with the whole file. */
const MAX_RANGES = 64;

/** The strong validator of a file: its content hash, else its inode, size and mtime (never a cap). */
export function etagOf(node: MountNode): string {
  if (node.contentHash) return `"${node.contentHash.slice(0, 32)}"`;
  return `"${node.ino.toString(36)}-${node.size.toString(36)}-${node.mtimeNs.toString(36)}"`;
}

/** The HTTP date of a node's mtime (whole seconds). */
export function lastModifiedOf(node: MountNode): string {
  return new Date(Number(node.mtimeNs / 1_000_000n)).toUTCString();
}

function notModified(req: FastifyRequest, etag: string, node: MountNode): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) return inm.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*' || tag.trim() === `W/${etag}`);
  const ims = req.headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && Math.floor(Number(node.mtimeNs / 1_000_000n) / 1000) * 1000 <= since;
}

/** Answers GET or HEAD of the file `file` (a regular file), honouring conditionals and ranges. */
export async function sendFile(req: FastifyRequest, reply: FastifyReply, view: ServedView, file: ServedNode, download: boolean): Promise<void> {
  const { node } = file;
  const etag = etagOf(node);
  const name = file.shown[file.shown.length - 1] ?? 'file';
  reply.header('ETag', etag).header('Last-Modified', lastModifiedOf(node)).header('Accept-Ranges', 'bytes');
  // Backed-up content never runs in this origin (an .svg or a page served by name).
  reply.header('Content-Security-Policy', "sandbox; default-src 'none'; img-src 'self'; media-src 'self'").header('X-Content-Type-Options', 'nosniff');
  reply.header('Cache-Control', node.stable ? 'private, max-age=86400' : 'private, no-cache');
  if (download) reply.header('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`);
  if (notModified(req, etag, node)) {
    reply.code(304).send();
    return;
  }
  const type = contentTypeFor(name);
  let ranges = rangesOf(req, node.size, etag);
  if (ranges === 'unsatisfiable') {
    reply.code(416).header('Content-Range', `bytes */${node.size}`).type('text/plain; charset=utf-8').send(`range not satisfiable: the file is ${node.size} bytes\n`);
    return;
  }
  if (ranges && ranges.length > MAX_RANGES) ranges = undefined;
  const head = req.method === 'HEAD';
  if (!ranges) {
    reply.code(200).type(type).header('Content-Length', String(node.size));
    if (head) return void reply.send();
    return void reply.send(streamSpans(view, file, [{ start: 0, end: node.size - 1 }]));
  }
  if (ranges.length === 1) {
    const r = ranges[0] as { start: number; end: number };
    reply.code(206).type(type).header('Content-Range', `bytes ${r.start}-${r.end}/${node.size}`).header('Content-Length', String(r.end - r.start + 1));
    if (head) return void reply.send();
    return void reply.send(streamSpans(view, file, [r]));
  }
  const boundary = `timefs-${randomBytes(12).toString('hex')}`;
  const parts = ranges.map((r) => ({ ...r, head: Buffer.from(`\r\n--${boundary}\r\nContent-Type: ${type}\r\nContent-Range: bytes ${r.start}-${r.end}/${node.size}\r\n\r\n`) }));
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = parts.reduce((sum, p) => sum + p.head.length + (p.end - p.start + 1), tail.length);
  reply.code(206).type(`multipart/byteranges; boundary=${boundary}`).header('Content-Length', String(length));
  if (head) return void reply.send();
  return void reply.send(streamSpans(view, file, parts, tail));
}

type Span = { start: number; end: number; head?: Buffer };

/** Parses `Range` (and `If-Range`); undefined means "send the whole file". */
function rangesOf(req: FastifyRequest, size: number, etag: string): Span[] | undefined | 'unsatisfiable' {
  const header = req.headers.range;
  if (header === undefined) return undefined;
  const ifRange = req.headers['if-range'];
  if (typeof ifRange === 'string' && ifRange.trim() !== etag) return undefined;
  const parsed = parseRange(size, header, { combine: true });
  if (parsed === -2 || (parsed !== -1 && parsed.type !== 'bytes')) return undefined;
  if (parsed === -1) return 'unsatisfiable';
  return parsed.map((r) => ({ start: r.start, end: r.end }));
}

/** A stream of the spans' bytes (each preceded by its part header), then `tail`; closes the file at the end. */
function streamSpans(view: ServedView, file: ServedNode, spans: readonly Span[], tail?: Buffer): Readable {
  async function* generate(): AsyncGenerator<Uint8Array> {
    const content = await view.open(file);
    try {
      for (const span of spans) {
        if (span.head) yield span.head;
        for (let at = span.start; at <= span.end; at += READ_CHUNK) {
          const length = Math.min(READ_CHUNK, span.end + 1 - at);
          const bytes = await view.read(content, file.shown, at, length);
          if (bytes.length === 0) break;
          yield bytes;
        }
      }
      if (tail) yield tail;
    } finally {
      content.close();
    }
  }
  return Readable.from(generate(), { objectMode: false, highWaterMark: READ_CHUNK });
}
