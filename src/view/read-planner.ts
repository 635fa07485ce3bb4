/**
 * The read planner: given a sequence of reads of one immutable file, which byte ranges to fetch
 * from the grid. Each Tahoe request has a fixed cost of several round trips and opens about 20
 * storage connections, so fetching is planned in large runs even where caches keep 1 MiB blocks:
 * - a sequential reader (or a large file read from offset 0) keeps a window of `runsAhead` runs
 *   of `runBytes` (8 MiB) ahead of it, each run one request, aligned so runs never fragment;
 * - a random read fetches the blocks it touches plus a little read-around, at most
 *   `randomBytes` (2 MiB) for a small read.
 * Pure: the caller says which blocks are cached or in flight and performs the fetches.
 */

/** One range to fetch, in bytes: [start, end). Always block-aligned at the start. */
export interface FetchRange {
  start: number;
  end: number;
}

/** Options of {@link ReadPlanner}. */
export interface ReadPlannerOptions {
  /** Cache granularity (default 1 MiB): fetches start on a block boundary. */
  blockSize?: number;
  /** Size of one sequential fetch (default 8 MiB), a multiple of the block size. */
  runBytes?: number;
  /** Runs kept ahead of a sequential reader, the one being read included (default 3). */
  runsAhead?: number;
  /** Most a small random read fetches (default 2 MiB). */
  randomBytes?: number;
  /**
   * Bytes read back to back after which a reader counts as sequential (default 4 MiB). The kernel's
   * readahead (1 MiB on our mounts) turns one random 1 MiB read into about 3 MiB of back-to-back
   * requests, which must not open an 8 MiB window.
   */
  sequentialAfter?: number;
  /** Files at least this large that are read from offset 0 count as sequential at once (default 4 MiB). */
  sequentialFromStart?: number;
  /** Largest gap between reads that still continues a run (default 256 KiB). */
  slack?: number;
}

/** Default size of one sequential fetch: the 8–16 MiB class that Tahoe serves fastest. */
export const RUN_BYTES = 8 << 20;

/** Plans the fetches of one file's reads; one instance per (file, reader). */
export class ReadPlanner {
  private readonly blockSize: number;
  private readonly runBytes: number;
  private readonly runsAhead: number;
  private readonly randomBytes: number;
  private readonly sequentialAfter: number;
  private readonly sequentialFromStart: number;
  private readonly slack: number;
  private runStart = -1;
  private runEnd = -1;

  constructor(readonly size: number, options: ReadPlannerOptions = {}) {
    this.blockSize = options.blockSize ?? 1 << 20;
    this.runBytes = Math.max(this.blockSize, Math.ceil((options.runBytes ?? RUN_BYTES) / this.blockSize) * this.blockSize);
    this.runsAhead = Math.max(1, options.runsAhead ?? 3);
    this.randomBytes = Math.max(this.blockSize, options.randomBytes ?? 2 << 20);
    this.sequentialAfter = options.sequentialAfter ?? 4 << 20;
    this.sequentialFromStart = options.sequentialFromStart ?? 4 << 20;
    this.slack = options.slack ?? 256 << 10;
  }

  /** Whether the reads so far make a sequential reader (the prefetch window is open). */
  get sequential(): boolean {
    return this.runStart >= 0 && (this.runEnd - this.runStart >= this.sequentialAfter || (this.runStart === 0 && this.size >= this.sequentialFromStart));
  }

  /**
   * The fetches to start for a read of `[offset, offset + length)`. `present(block)` says whether
   * a block is cached or already being fetched; blocks that are present are not fetched again
   * except where skipping them would split a run into smaller requests.
   */
  plan(offset: number, length: number, present: (block: number) => boolean): FetchRange[] {
    const end = Math.min(this.size, offset + Math.max(0, length));
    if (offset >= this.size || end <= offset) return [];
    const continues = this.runStart >= 0 && offset >= this.runStart && Math.abs(offset - this.runEnd) <= this.slack;
    if (!continues) this.runStart = offset;
    this.runEnd = Math.max(end, continues ? this.runEnd : 0);
    return this.sequential ? this.planWindow(offset, present) : this.planRandom(offset, end, present);
  }

  /** Opens the window at offset 0 before any read (a file that will be read whole). */
  planStart(present: (block: number) => boolean): FetchRange[] {
    if (this.size < this.sequentialFromStart) return [];
    this.runStart = 0;
    this.runEnd = 0;
    return this.planWindow(0, present);
  }

  private planWindow(offset: number, present: (block: number) => boolean): FetchRange[] {
    const fetches: FetchRange[] = [];
    const firstRun = Math.floor(offset / this.runBytes);
    for (let run = firstRun; run < firstRun + this.runsAhead; run++) {
      const runStart = run * this.runBytes;
      if (runStart >= this.size) break;
      const runEnd = Math.min(this.size, runStart + this.runBytes);
      // From the first missing block to the run's end: one request, never a hole-punched run.
      let block = Math.floor(runStart / this.blockSize);
      const lastBlock = Math.ceil(runEnd / this.blockSize);
      while (block < lastBlock && present(block)) block++;
      if (block < lastBlock) fetches.push({ start: block * this.blockSize, end: runEnd });
    }
    return fetches;
  }

  private planRandom(offset: number, end: number, present: (block: number) => boolean): FetchRange[] {
    // A small read gets read-around up to randomBytes; a large one fetches exactly its blocks.
    const wantEnd = Math.min(this.size, Math.max(end, offset + this.randomBytes - this.blockSize));
    let first = Math.floor(offset / this.blockSize);
    let last = Math.floor((wantEnd - 1) / this.blockSize);
    const lastNeeded = Math.floor((end - 1) / this.blockSize);
    while (first <= last && present(first)) first++;
    while (last >= first && present(last)) last--;
    if (first > last) return [];
    // Read-around past the read itself is only worth it when the read needs a fetch anyway.
    if (first > lastNeeded) return [];
    return [{ start: first * this.blockSize, end: Math.min(this.size, (last + 1) * this.blockSize) }];
  }
}

/** How a whole, in-order read fetches its base: one streamed GET, or ranges with some in flight. */
export type WholeReadPlan = { kind: 'stream' } | { kind: 'ranges'; rangeBytes: number; inFlight: number };

/**
 * Grid latency (the grid's part of the quickest answer, ms; store/answer-times.ts) below which it
 * is too small to be worth hiding: one streamed GET then costs the client node least (no ~20 new
 * storage connections per range) and timefs least (no buffering of whole ranges). An answer costs
 * about 2 round trips, so this is an RTT of about 10 ms.
 */
export const LOW_LATENCY_MS = 20;

/**
 * How to fetch `bytes` of a file read whole and in order, given the grid latency measured so far
 * (undefined when nothing was measured yet: ranges, which never lose much). At low latency
 * one stream; otherwise `rangeBytes` ranges (16 MiB), `inFlight` (3) at a time, which hide the
 * latency (on loopback they match one GET; at 50 ms RTT they beat it by about 2×, docs/wan.md).
 */
export function planWholeRead(bytes: number, latencyMs: number | undefined, rangeBytes = 16 << 20, inFlight = 3): WholeReadPlan {
  if (bytes <= rangeBytes) return { kind: 'stream' };
  if (latencyMs !== undefined && latencyMs < LOW_LATENCY_MS) return { kind: 'stream' };
  return { kind: 'ranges', rangeBytes, inFlight };
}
