/**
 * Error codes used across timefs. Every error that can reach a user is a {@link TimefsError}
 * with one of these codes; `cli/report-error.ts` turns them into messages and exit codes and
 * `fs/errno.ts` into errno values, each in one place.
 *
 * Append new codes here (one per line, grouped by layer); never reuse or rename one.
 */
export const ERROR_CODES = [
  // generic
  'usage', // bad command-line input
  'internal', // a bug: should never happen
  'io', // local file system error (the cause holds the node error)
  'aborted', // cancelled by signal or user
  // delta (rdiff engine)
  'delta.bad-magic',
  'delta.truncated',
  'delta.corrupt',
  'delta.param',
  'delta.worker', // a worker thread of the parallel rdiff engine failed or could not start
  // grid (Tahoe web API)
  'grid.not-found', // 404: no such child or path
  'grid.gone', // 410: the object's shares are missing or unrecoverable
  'grid.unhappy', // 500 UploadUnhappinessError: not enough servers for an upload
  'grid.not-writeable',
  'grid.conflict', // a child already exists (replace=false)
  'grid.unreachable', // the client node does not answer
  'grid.timeout',
  'grid.bad-response', // an answer we do not understand (short body, bad JSON, ...)
  'grid.refused', // any other 4xx/5xx
  // repository and configuration
  'repo.not-initialised',
  'repo.not-empty',
  'repo.bad-name', // an alias or cap we can't resolve
  'repo.bad-format', // objects in the grid that do not match the timefs/1 format
  'repo.tampered', // names or paths that would escape a target
  'config',
  // catalog (local state)
  'catalog.corrupt',
  'catalog.locked',
  // data
  'integrity', // content does not match its recorded hash
  'snapshot.not-found',
  'path.not-found',
  // mount (FUSE view)
  'fs.not-a-directory', // a path component below a file
  'fs.is-a-directory', // file operation on a directory
  'fs.read-only', // any write to the mount
  'fs.mount-busy', // the mount point is in use (mounted, or files open at unmount)
  'fs.mount-failed', // FUSE could not mount (no /dev/fuse, no libfuse2, bad mount point)
  // push
  'push.no-sources', // none of the paths given to push exists: no snapshot is made
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Options accepted by {@link TimefsError}. */
export interface TimefsErrorOptions {
  /** The lower-level error that caused this one. */
  cause?: unknown;
  /** What the user can do next, printed after the message. */
  hint?: string;
}

/** The one error type of timefs: a stable code, a message naming the object, an optional hint. */
export class TimefsError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: TimefsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TimefsError';
    this.code = code;
    this.hint = options.hint;
  }
}

/** True when `err` is a {@link TimefsError}, optionally with one of the given codes. */
export function isTimefsError(err: unknown, ...codes: ErrorCode[]): err is TimefsError {
  return err instanceof TimefsError && (codes.length === 0 || codes.includes(err.code));
}
