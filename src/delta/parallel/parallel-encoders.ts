/**
 * Signature and delta split over worker threads, byte-identical to the sequential engine.
 *
 * Signature: the file is cut into jobs of whole blocks; each job's entries come back in order.
 * Delta: the file is cut into segments (segment-stitch.ts); each worker scans its segment
 * speculatively, and the main thread stitches the scans in order and writes the commands.
 * Both keep at most two jobs per worker in flight, so memory stays a few segments.
 */
import { ByteSink } from '../byte-sink.js';
import { DeltaCommandWriter } from '../command-writer.js';
import { segmentDataLength, segmentLength, stitchSegment } from '../segment-stitch.js';
import { encodeSignatureHeader, type SignatureParams } from '../signature-format.js';
import type { ScanContext } from '../window-scan.js';
import { concatBytes } from '../whole.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

/** A streaming encoder whose work may run elsewhere: feed chunks, write what comes back. */
export interface AsyncEncoder {
  /** Consumes the next chunk (copied; the caller may reuse it); returns the output bytes that are final so far. */
  update(chunk: Uint8Array): Promise<Uint8Array>;
  /** Ends the input; returns the rest of the output. */
  finish(): Promise<Uint8Array>;
  /** Releases worker threads (also after a failure). Safe to call more than once. */
  close(): Promise<void>;
  /** Worker threads doing the work (0: all on the calling thread). */
  readonly threads: number;
}

/** Where jobs run: a {@link WorkerPool}, or in-process for tests. */
export interface JobRunner {
  readonly size: number;
  run(job: WorkerRequest, transfer?: ArrayBuffer[]): Promise<WorkerReply>;
  close(): Promise<void>;
}

/** Bytes per signature job (rounded down to whole blocks). */
const SIGNATURE_JOB = 4 << 20;

/** Results of jobs in submission order, with a bound on how many are outstanding. */
class OrderedJobs<T> {
  private readonly queue: { promise: Promise<WorkerReply>; settled: boolean; meta: T }[] = [];

  constructor(private readonly limit: number) {}

  add(promise: Promise<WorkerReply>, meta: T): void {
    const entry = { promise, settled: false, meta };
    promise.then(
      () => (entry.settled = true),
      () => (entry.settled = true),
    );
    this.queue.push(entry);
  }

  /** Takes finished jobs from the head; waits for the head while more than `limit` are outstanding (all of them with `all`). */
  async *drain(all: boolean): AsyncGenerator<{ reply: WorkerReply; meta: T }> {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (!head.settled && !all && this.queue.length <= this.limit) return;
      const reply = await head.promise;
      this.queue.shift();
      yield { reply, meta: head.meta };
    }
  }

  /** Marks every outstanding job as handled (their failures are reported elsewhere). */
  abandon(): void {
    for (const entry of this.queue) entry.promise.catch(() => undefined);
    this.queue.length = 0;
  }
}

/**
 * Cuts a stream of chunks into jobs of `jobLength` bytes, each starting with the last `overlap`
 * bytes of the one before (buffers come back through `recycle` and are reused).
 */
class JobFiller {
  private readonly spare: Uint8Array[] = [];
  private buffer: Uint8Array;
  private fill = 0;

  constructor(
    private readonly jobLength: number,
    private readonly overlap: number,
  ) {
    this.buffer = new Uint8Array(jobLength);
  }

  /** Copies `chunk` in; calls `full` with each job buffer it completes (its ownership passes on). */
  push(chunk: Uint8Array, full: (data: Uint8Array) => void): void {
    const { jobLength, overlap } = this;
    for (let offset = 0; offset < chunk.length; ) {
      const take = Math.min(jobLength - this.fill, chunk.length - offset);
      this.buffer.set(chunk.subarray(offset, offset + take), this.fill);
      this.fill += take;
      offset += take;
      if (this.fill === jobLength) {
        const next = this.spare.pop() ?? new Uint8Array(jobLength);
        if (overlap > 0) next.set(this.buffer.subarray(jobLength - overlap));
        full(this.buffer);
        this.buffer = next;
        this.fill = overlap;
      }
    }
  }

  /** The bytes held back (a copy): the last, short job. */
  rest(): Uint8Array {
    return this.buffer.slice(0, this.fill);
  }

  /** Bytes held back. */
  get pending(): number {
    return this.fill;
  }

  /** Takes a job buffer back for reuse (ignored unless it is a whole one). */
  recycle(data: Uint8Array): void {
    if (data.length === this.jobLength) this.spare.push(data);
  }
}

/** A signature computed by `runner`'s workers (which were set up with `params`). */
export function parallelSignature(params: SignatureParams, runner: JobRunner): AsyncEncoder {
  const jobBytes = Math.max(1, Math.floor(SIGNATURE_JOB / params.blockLength)) * params.blockLength;
  const jobs = new OrderedJobs<void>(2 * runner.size);
  const filler = new JobFiller(jobBytes, 0);
  let header: Uint8Array | undefined = encodeSignatureHeader(params);

  const dispatch = (data: Uint8Array) => jobs.add(runner.run({ kind: 'signature', data }, [data.buffer as ArrayBuffer]), undefined);
  const collect = async (all: boolean) => {
    const out: Uint8Array[] = header ? [header] : [];
    header = undefined;
    for await (const { reply } of jobs.drain(all)) {
      if (reply.kind !== 'signature') throw new Error(`unexpected ${reply.kind} reply`);
      out.push(reply.entries);
      filler.recycle(reply.data);
    }
    return concatBytes(out);
  };
  return {
    async update(chunk) {
      filler.push(chunk, dispatch);
      return collect(false);
    },
    async finish() {
      if (filler.pending > 0) dispatch(filler.rest());
      return collect(true);
    },
    async close() {
      jobs.abandon();
      await runner.close();
    },
    threads: runner.size,
  };
}

interface SegmentMeta {
  start: number;
  length: number;
  atEnd: boolean;
}

/** Options of {@link parallelDelta}. */
export interface ParallelDeltaOptions {
  /** Return views of one internal buffer (valid until the next call) instead of copies. */
  reuseOutput?: boolean;
  /** Segment length (default `segmentLength(blockLength)`); small values are for tests. */
  segmentLength?: number;
}

/**
 * A delta whose scan runs on `runner`'s workers (set up with the same signature that `ctx`
 * describes); `ctx` serves the main thread's short re-scans at segment boundaries.
 */
export function parallelDelta(ctx: ScanContext, runner: JobRunner, options: ParallelDeltaOptions = {}): AsyncEncoder {
  const B = ctx.blockLength;
  const length = Math.max(1, options.segmentLength ?? segmentLength(B));
  const dataLength = segmentDataLength(length, B);
  const sink = new ByteSink(options.reuseOutput === true);
  const writer = new DeltaCommandWriter(sink);
  const jobs = new OrderedJobs<SegmentMeta>(2 * runner.size);
  // A full segment's windows are all whole; its last B - 1 bytes start the next one.
  const filler = new JobFiller(dataLength, dataLength - length);
  let segmentStart = 0;
  let entry = 0; // where the true scan enters the next segment to stitch
  let literalFrom = 0; // file offset of the first byte not yet written as literal or covered by a match

  const dispatch = (meta: SegmentMeta, data: Uint8Array) => {
    jobs.add(runner.run({ kind: 'scan', data, limit: meta.length, atEnd: meta.atEnd }, [data.buffer as ArrayBuffer]), meta);
  };
  const dispatchFull = (data: Uint8Array) => {
    dispatch({ start: segmentStart, length, atEnd: false }, data);
    segmentStart += length;
  };
  const stitch = (reply: WorkerReply, meta: SegmentMeta) => {
    if (reply.kind !== 'scan') throw new Error(`unexpected ${reply.kind} reply`);
    const { start } = meta;
    const segment = { ...meta, data: reply.data, spec: reply, specNext: reply.next };
    const { matches, next } = stitchSegment(segment, entry, ctx);
    literalFrom = start + writer.scanned(reply.data, literalFrom - start, meta.length, matches, B);
    entry = next;
    filler.recycle(reply.data);
  };
  const collect = async (all: boolean) => {
    for await (const { reply, meta } of jobs.drain(all)) stitch(reply, meta);
  };
  return {
    async update(chunk) {
      filler.push(chunk, dispatchFull);
      await collect(false);
      return sink.take();
    },
    async finish() {
      dispatch({ start: segmentStart, length: filler.pending, atEnd: true }, filler.rest());
      await collect(true);
      writer.finish();
      return sink.take();
    },
    async close() {
      jobs.abandon();
      await runner.close();
    },
    threads: runner.size,
  };
}
