/**
 * How `timefs push` talks to its user: a one-line progress display on a terminal (files, bytes,
 * rate, ETA), JSON lines with `--json`, warnings on stderr, and the closing summary.
 */
import type { PushEvents, PushStats, PushWarning } from '../backup/events.js';
import type { PushResult } from '../backup/push.js';
import { requestTally } from '../store/tahoe/http.js';
import { formatBytes } from './format-bytes.js';

/** Output mode chosen from the flags and whether stderr is a terminal. */
export type PushOutput = 'tty' | 'plain' | 'json';

/** The progress line for `stats` after `elapsedMs`. */
export function progressLine(phase: string, stats: PushStats, elapsedMs: number): string {
  const done = stats.newFiles + stats.changedFiles;
  const rate = elapsedMs > 0 ? (stats.bytesRead * 1000) / elapsedMs : 0;
  const left = Math.max(0, stats.bytesToRead - stats.bytesRead);
  const eta = rate > 0 && left > 0 ? ` ETA ${Math.ceil(left / rate)}s` : '';
  return `${phase}: ${stats.files} files scanned, ${done} to store, ${formatBytes(stats.bytesRead)}/${formatBytes(stats.bytesToRead)} read, ${stats.uploads} objects, ${stats.dirsCreated} dirs, ${formatBytes(rate)}/s${eta}`;
}

/** Event handlers writing to the given streams in the chosen mode. */
export function pushReporter(mode: PushOutput, out: NodeJS.WritableStream, err: NodeJS.WritableStream): PushEvents & { end(): void } {
  const started = Date.now();
  let lastDraw = 0;
  let drawn = false;
  const clear = () => {
    if (drawn) err.write('\r\x1b[K');
    drawn = false;
  };
  return {
    onWarning(w: PushWarning) {
      if (mode === 'json') out.write(`${JSON.stringify({ event: 'warning', path: w.path, reason: w.reason })}\n`);
      else {
        clear();
        err.write(`timefs: warning: ${w.path}: ${w.reason}\n`);
      }
    },
    onProgress(phase, stats) {
      const now = Date.now();
      if (mode === 'json') {
        if (now - lastDraw < 1000 && phase === 'upload') return;
        lastDraw = now;
        out.write(`${JSON.stringify({ event: 'progress', phase, ...stats })}\n`);
      } else if (mode === 'tty') {
        if (now - lastDraw < 200 && phase === 'upload') return;
        lastDraw = now;
        err.write(`\r\x1b[K${progressLine(phase, stats, now - started)}`);
        drawn = true;
      }
    },
    end: clear,
  };
}

/** The closing summary in the chosen mode. */
export function writeSummary(mode: PushOutput, result: PushResult, out: NodeJS.WritableStream, elapsedMs: number): void {
  const s = result.stats;
  if (mode === 'json') {
    out.write(`${JSON.stringify({ event: 'summary', snapshot: result.snapshot ?? null, resumed: result.resumed ?? null, rebuilt: result.rebuilt ?? null, parent: result.parent ?? null, elapsedMs, ...s, requests: { ...requestTally } })}\n`);
    return;
  }
  const lines: string[] = [];
  if (result.resumed) lines.push(`finished the interrupted snapshot ${result.resumed}`);
  if (result.rebuilt !== undefined) lines.push(`rebuilt the local catalog from the grid (${result.rebuilt} entries)`);
  lines.push(result.snapshot ? `snapshot ${result.snapshot}${result.parent ? ` (continues ${result.parent})` : ''}` : 'dry run: nothing uploaded');
  lines.push(`files: ${s.newFiles} new, ${s.changedFiles} changed, ${s.unchangedFiles} unchanged (${s.files} total, ${s.dirs} directories)`);
  lines.push(`read ${formatBytes(s.bytesRead)}, uploaded ${formatBytes(s.bytesUploaded)} in ${s.uploads} objects (${s.deltas} deltas, ${s.wholeFiles} whole)`);
  lines.push(`directories: ${s.dirsCreated} created, ${s.dirsReused} reused; ${s.warnings} warnings; ${(elapsedMs / 1000).toFixed(1)} s`);
  out.write(`${lines.join('\n')}\n`);
}
