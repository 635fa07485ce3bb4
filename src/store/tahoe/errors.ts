/**
 * Turns Tahoe web-API answers and network failures into typed {@link TimefsError}s, and decides
 * which of them are worth retrying. Messages name the operation and object (caps redacted).
 */
import { redactCaps } from '../../model/cap.js';
import { TimefsError } from '../../model/errors.js';

/** The error for a non-success HTTP answer from the node. */
export function errorFromResponse(status: number, body: string, what: string): TimefsError {
  const detail = summarise(body);
  const said = detail ? `: ${detail}` : '';
  if (status === 404) return new TimefsError('grid.not-found', `${what}: not found${said}`);
  if (status === 410) {
    return new TimefsError('grid.gone', `${what}: the grid cannot retrieve this object${said}`, {
      hint: 'its shares are missing or too few storage servers are connected; check the grid (`npm run grid:status`) and retry',
    });
  }
  if (status === 409) return new TimefsError('grid.conflict', `${what}: a child by that name already exists`);
  if (body.includes('UploadUnhappinessError') || body.includes('NoServersError')) return new TimefsError('grid.unhappy', `${what}: not enough storage servers for the upload${said}`);
  if (body.includes('NotWriteableError') || body.includes('is_readonly()')) return new TimefsError('grid.not-writeable', `${what}: the object is read-only`);
  if (status === 413) return new TimefsError('grid.refused', `${what}: the file is too large for the grid`);
  return new TimefsError('grid.refused', `${what}: the node answered HTTP ${status}${said}`);
}

/** The error for a request that got no (complete) answer. */
export function errorFromNetwork(err: unknown, what: string, nodeUrl: string): TimefsError {
  const code = (err as { code?: string }).code;
  if (err instanceof TimefsError) return err;
  // Our own failure inside a request body (e.g. a stream shorter than announced) arrives wrapped.
  if ((err as { cause?: unknown }).cause instanceof TimefsError) return (err as { cause: TimefsError }).cause;
  if (code === 'ETIMEDOUT' || (err as Error).name === 'TimeoutError') {
    return new TimefsError('grid.timeout', `${what}: the Tahoe node at ${nodeUrl} did not answer in time`, { cause: err });
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return new TimefsError('grid.unreachable', `${what}: cannot connect to the Tahoe node at ${nodeUrl} (${code === 'ECONNREFUSED' ? 'connection refused' : code})`, { cause: err });
  }
  return new TimefsError('grid.unreachable', `${what}: the connection to the Tahoe node at ${nodeUrl} failed (${code ?? (err as Error).message})`, { cause: err });
}

/** Whether the node refused the connection: the request never reached it. */
export function wasRefused(err: TimefsError): boolean {
  return err.code === 'grid.unreachable' && (err.cause as { code?: string } | undefined)?.code === 'ECONNREFUSED';
}

/**
 * Whether a failed attempt may be repeated. A refused connection never reached the node, so it is
 * always safe; anything else (reset, timeout, 5xx) has an unknown outcome and is only repeated for
 * idempotent operations. `nodeRestarting` says an earlier attempt found the node down: a node that
 * has just started answers reads with "no shares" until it has connected to its storage servers, so
 * such an answer is repeated too.
 */
export function isRetryable(err: TimefsError, idempotent: boolean, nodeRestarting = false): boolean {
  if (wasRefused(err)) return true;
  if (!idempotent) return false;
  if (nodeRestarting && err.code === 'grid.gone') return true;
  if (err.code === 'grid.timeout' || err.code === 'grid.unreachable' || err.code === 'grid.unhappy') return true;
  return err.code === 'grid.refused' && / HTTP 5\d\d/.test(err.message);
}

/** The useful line of a Tahoe error body: plain text or a small HTML page, traceback reduced to its last line. */
function summarise(body: string): string {
  const paragraph = /<p>([\s\S]*?)<\/p>/i.exec(body);
  if (paragraph?.[1]) body = paragraph[1];
  let text = body.replace(/<[^>]*>/g, ' ').replace(/&[a-z]+;/g, ' ');
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const exception = lines.reverse().find((l) => /^[\w.]+(Error|Exception)\b/.test(l));
  text = exception ?? lines.reverse()[0] ?? '';
  text = text.replace(/\s+/g, ' ').trim();
  return redactCaps(text.length > 300 ? `${text.slice(0, 300)}…` : text);
}
