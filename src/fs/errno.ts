/**
 * The one place where errors become errno values for the kernel. Every failure of an operation
 * ends here; anything not listed (including bugs and grid trouble) is `EIO`, never a silent
 * `ENOENT`.
 */
import { isTimefsError, type ErrorCode } from '../model/errors.js';

/** errno values (positive) as Linux defines them. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  EBADF: 9,
  EACCES: 13,
  EBUSY: 16,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EROFS: 30,
  ENOSYS: 38,
  ENODATA: 61,
  ETIMEDOUT: 110,
} as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  'path.not-found': ERRNO.ENOENT,
  'snapshot.not-found': ERRNO.ENOENT,
  'fs.not-a-directory': ERRNO.ENOTDIR,
  'fs.is-a-directory': ERRNO.EISDIR,
  'fs.read-only': ERRNO.EROFS,
  'fs.mount-busy': ERRNO.EBUSY,
  usage: ERRNO.EINVAL,
  aborted: ERRNO.EINTR, // the kernel interrupted the request (Ctrl-C)
};

/**
 * The negative errno fuse-native expects for `err`. Grid failures, timeouts, integrity errors,
 * bad formats and unexpected errors all give `-EIO`: the data cannot be served correctly.
 */
export function errnoFor(err: unknown): number {
  if (isTimefsError(err)) return -(BY_CODE[err.code] ?? ERRNO.EIO);
  return -ERRNO.EIO;
}
