/**
 * How quickly the grid answers, as this process has seen it: the shortest time to the first byte
 * of a web-API read that touched the storage servers (about two round trips plus the node's own
 * work). Whole reads use it to choose between one stream and ranges in flight (read-planner.ts).
 */
let quickestMs = Number.POSITIVE_INFINITY;

/** Records one answer time in ms (the HTTP layer calls this). */
export function noteGridAnswer(ms: number): void {
  if (Number.isFinite(ms) && ms >= 0) quickestMs = Math.min(quickestMs, ms);
}

/** The quickest answer seen so far in ms, or undefined before the first. */
export function quickestGridAnswer(): number | undefined {
  return Number.isFinite(quickestMs) ? quickestMs : undefined;
}
