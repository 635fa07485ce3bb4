/**
 * The one place where errors become HTTP statuses for `timefs serve`: a missing path is 404, a
 * grid that does not answer in time is 504, any other grid or data failure is 502 with a message.
 * Messages never hold a cap (they pass through `redactCaps`).
 */
import { redactCaps } from '../model/cap.js';
import { isTimefsError, type ErrorCode } from '../model/errors.js';
import { BadRequestPath } from './request-path.js';

/** A status and the one-line message the client sees. */
export interface HttpFailure {
  status: number;
  message: string;
}

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  'path.not-found': 404,
  'snapshot.not-found': 404,
  'fs.not-a-directory': 404,
  'fs.is-a-directory': 409,
  'fs.read-only': 403,
  usage: 400,
  'grid.timeout': 504,
  aborted: 504,
  'grid.unreachable': 502,
  'grid.not-found': 502,
  'grid.gone': 502,
  'grid.bad-response': 502,
  'grid.refused': 502,
  integrity: 502,
  'repo.bad-format': 502,
  'delta.bad-magic': 502,
  'delta.truncated': 502,
  'delta.corrupt': 502,
};

/** The status and message for `err`; anything unknown is a 500 that names no internals. */
export function httpFailure(err: unknown): HttpFailure {
  if (err instanceof BadRequestPath) return { status: err.status, message: err.message };
  if (isTimefsError(err)) {
    const status = BY_CODE[err.code] ?? 500;
    const hint = status === 504 ? ' (the grid did not answer in time; try again later)' : status === 502 ? ' (the grid or the data in it failed; see the server log)' : '';
    return { status, message: redactCaps(err.message) + hint };
  }
  return { status: 500, message: 'internal error in timefs serve; see the server log' };
}
