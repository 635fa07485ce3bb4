/**
 * Output helpers of the maintenance commands: a throttled one-line progress display on stderr
 * when it is a terminal (nothing otherwise), and JSON printing for `--json`.
 */

/** A progress line redrawn in place on a terminal, at most every 100 ms; silent elsewhere. */
export class ProgressLine {
  private last = 0;
  private drawn = false;
  private readonly enabled: boolean;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, enabled?: boolean) {
    this.enabled = enabled ?? stream.isTTY === true;
  }

  /** Shows `text` (throttled unless `force`). */
  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const width = this.stream.columns ?? 100;
    this.stream.write(`\r\x1b[K${text.length >= width ? `${text.slice(0, width - 2)}…` : text}`);
    this.drawn = true;
  }

  /** Removes the line, before the summary is printed. */
  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** Writes one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes a line on stdout. */
export function println(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Parses `--read-data-subset` values like `10%` or `2.5%` into a percentage in (0, 100]. */
export function parsePercent(text: string): number {
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const value = match ? Number(match[1]) : Number.NaN;
  if (!(value > 0 && value <= 100)) throw new RangeError(`"${text}" is not a percentage between 0 and 100, e.g. 10%`);
  return value;
}
