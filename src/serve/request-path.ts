/**
 * URLs of `timefs serve` and the view paths they name. One rule both ways: a view name (the
 * `name` of a {@link DirChild}, already an escaped form when the on-disk bytes are not UTF-8) is
 * percent-encoded as UTF-8 in every href, and a request path is decoded back to exactly that name.
 * Anything that could step outside the view is refused here, before the view sees it.
 */
import { TimefsError } from '../model/errors.js';

/** Longest request target accepted (path and query), in characters. */
export const MAX_URL_LENGTH = 8192;
/** Longest single decoded name, in UTF-8 bytes (escaped names are longer than NAME_MAX). */
export const MAX_NAME_BYTES = 1024;

/** A parsed request target. */
export interface RequestTarget {
  /** Names below the root, decoded. */
  segments: string[];
  /** True when the path ended in `/` (or is the root). */
  trailingSlash: boolean;
  /** The query parameters. */
  query: URLSearchParams;
}

/** Thrown for a request path that is refused; `status` is 400 or 414. */
export class BadRequestPath extends TimefsError {
  constructor(readonly status: 400 | 414, message: string) {
    super('usage', message);
  }
}

/**
 * Parses the raw request target (`req.url`). Refuses `.` and `..`, encoded slashes and
 * backslash-free NUL bytes, malformed escapes and over-long targets.
 */
export function parseRequestTarget(rawUrl: string): RequestTarget {
  if (rawUrl.length > MAX_URL_LENGTH) throw new BadRequestPath(414, `the request path is longer than ${MAX_URL_LENGTH} characters`);
  let target = rawUrl;
  // An absolute-form target (`http://host/path`) is allowed by HTTP/1.1; keep its path only.
  if (/^https?:\/\//i.test(target)) target = target.replace(/^https?:\/\/[^/]*/i, '') || '/';
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
  if (!rawPath.startsWith('/')) throw new BadRequestPath(400, 'the request path must start with /');
  if (/%2f|%00|%5c/i.test(rawPath)) throw new BadRequestPath(400, 'encoded slashes, backslashes and NUL bytes are not allowed in paths');
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue;
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      throw new BadRequestPath(400, 'the request path has a malformed %-escape');
    }
    if (name === '.' || name === '..') throw new BadRequestPath(400, '`.` and `..` are not allowed in paths');
    if (name.includes('\0') || name.includes('/')) throw new BadRequestPath(400, 'NUL bytes and slashes are not allowed in names');
    if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) throw new BadRequestPath(414, `a name in the path is longer than ${MAX_NAME_BYTES} bytes`);
    segments.push(name);
  }
  return { segments, trailingSlash: rawPath.endsWith('/'), query };
}

/** One name as it appears in a URL path: UTF-8, percent-encoded (also `'()*!` for safety in XML and HTML). */
export function encodeName(name: string): string {
  return encodeURIComponent(name).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The URL path of a view path; directories end in `/`. */
export function hrefFor(segments: readonly string[], isDir: boolean): string {
  const path = `/${segments.map(encodeName).join('/')}`;
  return isDir && segments.length > 0 ? `${path}/` : path;
}
