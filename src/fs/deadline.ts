/**
 * A deadline for one file-system operation: the kernel must get an answer (EIO at worst) within
 * the mount's timeout, however slow or silent the grid is.
 */
import { setMaxListeners } from 'node:events';
import { TimefsError } from '../model/errors.js';
import { ERRNO, errnoFor } from './errno.js';

/**
 * Runs `work` with an abort signal that fires after `timeoutMs`, or when `cancel` fires (the
 * kernel interrupted the request); rejects with `grid.timeout` (naming `op` and `path`) when the
 * deadline passes first, with `aborted` when cancelled. Either way the work's grid calls are
 * aborted, and whatever the work finishes later is ignored.
 */
export function withDeadline<T>(op: string, path: string, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>, cancel?: AbortSignal): Promise<T> {
  const controller = new AbortController();
  // one operation fans out into many grid requests, each listening for the abort
  setMaxListeners(256, controller.signal);
  const timer = setTimeout(() => controller.abort(new TimefsError('grid.timeout', `${op} ${path}: no answer within ${timeoutMs} ms`)), timeoutMs);
  const onCancel = (): void => controller.abort(new TimefsError('aborted', `${op} ${path}: interrupted`));
  if (cancel?.aborted) onCancel();
  else cancel?.addEventListener('abort', onCancel, { once: true });
  const deadline = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  const started = controller.signal.aborted ? deadline : Promise.resolve().then(() => work(controller.signal));
  return Promise.race([started, deadline]).finally(() => {
    clearTimeout(timer);
    cancel?.removeEventListener('abort', onCancel);
  });
}

/** How an operation ended: its value, or the positive errno the kernel gets. */
export type OperationResult<T> = { ok: true; value: T } | { ok: false; errno: number };

/**
 * Runs one file-system operation under the deadline and settles it for the kernel: failures
 * become errno values (through `errno.ts`), and the EIO ones, which mean data could not be
 * served, go to `onError` naming the operation and path.
 */
export function settleOperation<T>(
  op: string,
  path: string,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
  onError?: (op: string, path: string, err: unknown) => void,
  cancel?: AbortSignal,
): Promise<OperationResult<T>> {
  return withDeadline(op, path, timeoutMs, work, cancel).then(
    (value): OperationResult<T> => ({ ok: true, value }),
    (err: unknown): OperationResult<T> => {
      const errno = -errnoFor(err);
      if (errno === ERRNO.EIO) onError?.(op, path, err);
      return { ok: false, errno };
    },
  );
}
