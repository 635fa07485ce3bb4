/**
 * How far away the grid is, as this process has seen it: the shortest time to the first byte of a
 * web-API read that touched the storage servers (about two round trips plus the node's own work),
 * less the shortest answer the node gave from its own memory (its work alone, which a loaded
 * machine stretches as well). Whole reads use it to choose between one stream and ranges in
 * flight (read-planner.ts).
 */
let quickestGridMs = Number.POSITIVE_INFINITY;
let quickestLocalMs = Number.POSITIVE_INFINITY;

/** Records one answer time in ms (the HTTP layer calls this); `local` when the node answered without the grid. */
export function noteAnswer(ms: number, local: boolean): void {
  if (!Number.isFinite(ms) || ms < 0) return;
  if (local) quickestLocalMs = Math.min(quickestLocalMs, ms);
  else quickestGridMs = Math.min(quickestGridMs, ms);
}

/** The grid's part of the quickest answer in ms, or undefined before the first grid read. */
export function gridLatency(): number | undefined {
  if (!Number.isFinite(quickestGridMs)) return undefined;
  return Number.isFinite(quickestLocalMs) ? Math.max(0, quickestGridMs - quickestLocalMs) : quickestGridMs;
}
