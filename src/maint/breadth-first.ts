/**
 * A bounded breadth-first walk of directories: every directory discovered joins one window of
 * at most `window` listings in flight, refilled as listings come back, so a wide tree is listed
 * many at a time and nothing waits behind a deep branch. `visit` sees each listing once and
 * returns the subdirectories to list next. A failure stops the walk (listings in flight finish).
 */
import PQueue from 'p-queue';

/** Lists one directory and says what to walk below it. */
export interface WalkStep<D, E> {
  list(dir: D): Promise<E[]>;
  visit(dir: D, entries: E[]): Promise<D[]> | D[];
}

/** Walks from `roots` breadth first with at most `window` listings in flight. */
export async function walkBreadthFirst<D, E>(roots: readonly D[], step: WalkStep<D, E>, window: number): Promise<void> {
  const queue = new PQueue({ concurrency: Math.max(1, window) });
  let failure: unknown;
  const enqueue = (dir: D): void => {
    void queue.add(async () => {
      if (failure !== undefined) return;
      try {
        const below = await step.visit(dir, await step.list(dir));
        for (const child of below) enqueue(child);
      } catch (err) {
        failure ??= err;
        queue.clear();
      }
    });
  };
  for (const root of roots) enqueue(root);
  await queue.onIdle();
  if (failure !== undefined) throw failure;
}
