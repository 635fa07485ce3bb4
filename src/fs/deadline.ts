/**
 * A deadline for one file-system operation: the kernel must get an answer (EIO at worst) within
 * the mount's timeout, however slow or silent the grid is.
 */
import { setMaxListeners } from 'node:events';
import { TimefsError } from '../model/errors.js';

/**
 * Runs `work` with an abort signal that fires after `timeoutMs`; rejects with `grid.timeout`
 * (naming `op` and `path`) when the deadline passes first.
 */
export function withDeadline<T>(op: string, path: string, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  // one operation fans out into many grid requests, each listening for the abort
  setMaxListeners(256, controller.signal);
  const timer = setTimeout(() => controller.abort(new TimefsError('grid.timeout', `${op} ${path}: no answer within ${timeoutMs} ms`)), timeoutMs);
  const deadline = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  return Promise.race([work(controller.signal), deadline]).finally(() => clearTimeout(timer));
}
