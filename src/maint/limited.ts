/** Bounded parallel loops over grid work (p-queue), stopping at the first failure. */
import PQueue from 'p-queue';

/**
 * Runs `task` for every item with at most `concurrency` running at once. After the first
 * failure no new task starts; the running ones finish, then that failure is thrown.
 */
export async function forEachLimited<T>(items: Iterable<T>, concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  const queue = new PQueue({ concurrency });
  let failure: { error: unknown } | undefined;
  for (const item of items) {
    if (failure) break;
    queue.add(() => task(item)).catch((error: unknown) => {
      failure ??= { error };
      queue.clear();
    });
  }
  await queue.onIdle();
  if (failure) throw failure.error;
}
