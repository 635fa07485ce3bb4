/**
 * Streaming patch: applies a delta (a stream of chunks) to a basis read through a random-access
 * reader, yielding the new file in order. Memory: one command header, one basis read and one
 * output batch; literal and copy lengths never size an allocation.
 */
import { TimefsError } from '../model/errors.js';
import { checkDeltaMagic, MAX_COMMAND_HEADER, readCommand } from './delta-format.js';

/** Random access to the basis file of a patch. */
export interface BasisReader {
  /** Size of the basis in bytes, if known: a COPY past it is rejected before reading. */
  size?: number;
  /** Reads up to `length` bytes at `offset`; fewer (or none) only at the end of the basis. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Largest basis read for one piece of a COPY. */
const BASIS_PIECE = 1 << 20;
/** Small outputs are batched up to this size before they are yielded. */
const BATCH = 256 << 10;

/** Options of {@link patchStream}. */
export interface PatchOptions {
  /**
   * Yield small outputs as views of reused buffers instead of fresh copies: no garbage per piece.
   * A yielded piece stays valid while the consumer pulls one more piece (so it may write piece
   * k while piece k+1 is produced), and is reused after that. The basis reader may likewise reuse
   * a buffer three reads later.
   */
  reuseOutput?: boolean;
}

/**
 * Applies `delta` to `basis` and yields the new file's bytes. Chunks of `delta` must not be
 * modified by the producer after they are handed over (literal data may be yielded as views).
 * Throws `delta.bad-magic`, `delta.truncated` (delta or basis ends early) or `delta.corrupt`.
 */
export async function* patchStream(
  delta: AsyncIterable<Uint8Array>,
  basis: BasisReader,
  options: PatchOptions = {},
): AsyncGenerator<Uint8Array> {
  const batch = new Batch(options.reuseOutput === true);
  let pending: Uint8Array = new Uint8Array(0); // unconsumed delta bytes
  let offset = 0; // consumed delta bytes before `pending`
  let magicChecked = false;
  let literalLeft = 0;
  let ended = false;

  for await (const chunk of delta) {
    pending = pending.length === 0 ? chunk : concat(pending, chunk);
    let p = 0;
    if (!magicChecked) {
      if (pending.length < 4) continue;
      checkDeltaMagic(pending);
      magicChecked = true;
      p = 4;
    }
    while (p < pending.length) {
      if (literalLeft > 0) {
        const take = Math.min(literalLeft, pending.length - p);
        for (const out of batch.add(pending.subarray(p, p + take))) yield out;
        literalLeft -= take;
        p += take;
        continue;
      }
      let decoded;
      try {
        decoded = readCommand(pending, p);
      } catch (err) {
        throw relocate(err, offset);
      }
      if (!decoded) break; // header continues in the next chunk
      const { command, next } = decoded;
      if (command.op === 'end') {
        ended = true;
        break;
      }
      if (command.op === 'literal') {
        literalLeft = command.length;
        p = next;
        continue;
      }
      p = next;
      for (const out of batch.flush()) yield out;
      yield* copyFromBasis(basis, command.position, command.length, batch);
    }
    if (ended) break;
    offset += p;
    pending = p >= pending.length ? new Uint8Array(0) : pending.subarray(p);
    if (pending.length > MAX_COMMAND_HEADER) throw new TimefsError('internal', 'patch: unconsumed delta bytes beyond one header');
  }
  if (!ended) {
    if (!magicChecked) checkDeltaMagic(pending);
    throw new TimefsError(
      'delta.truncated',
      literalLeft > 0
        ? `delta is truncated: it ends inside a LITERAL (${literalLeft} bytes missing)`
        : 'delta is truncated: it ends before its END command',
    );
  }
  for (const out of batch.flush()) yield out;
}

async function* copyFromBasis(basis: BasisReader, position: number, length: number, batch: Batch): AsyncGenerator<Uint8Array> {
  if (basis.size !== undefined && position + length > basis.size) {
    throw new TimefsError(
      'delta.corrupt',
      `delta does not fit its basis: COPY of ${length} bytes at offset ${position} reaches past the basis end (${basis.size} bytes)`,
      { hint: 'is this the basis the delta was made against?' },
    );
  }
  let done = 0;
  // Read the next piece while the consumer writes the current one.
  let next = readPiece(basis, position, length, done);
  while (done < length) {
    const want = Math.min(BASIS_PIECE, length - done);
    const got = await next;
    if (got.length === 0) {
      throw new TimefsError(
        'delta.truncated',
        `basis ended at offset ${position + done} during a COPY of ${length} bytes at ${position}`,
        { hint: 'is this the basis the delta was made against?' },
      );
    }
    const piece = got.length > want ? got.subarray(0, want) : got;
    done += piece.length;
    if (done < length) next = readPiece(basis, position, length, done);
    if (piece.length >= BATCH) {
      for (const out of batch.flush()) yield out;
      yield piece;
    } else {
      for (const out of batch.add(piece)) yield out;
    }
  }
}

function readPiece(basis: BasisReader, position: number, length: number, done: number): Promise<Uint8Array> {
  const promise = basis.read(position + done, Math.min(BASIS_PIECE, length - done));
  promise.catch(() => undefined); // awaited later; never an unhandled rejection if the consumer stops early
  return promise;
}

function relocate(err: unknown, offset: number): unknown {
  if (err instanceof TimefsError && offset > 0) {
    const fixed = err.message.replace(/offset (\d+)/, (_, n: string) => `offset ${Number(n) + offset}`);
    return new TimefsError(err.code, fixed, { cause: err.cause, hint: err.hint });
  }
  return err;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Collects small outputs and hands them out in batches. With `reuse`, batches alternate between
 * two buffers, so a consumer may still be writing the previous batch while the next one fills.
 */
class Batch {
  private readonly buffers: Uint8Array[];
  private buf: Uint8Array;
  private turn = 0;
  private length = 0;

  constructor(private readonly reuse: boolean) {
    this.buffers = reuse ? [new Uint8Array(BATCH), new Uint8Array(BATCH)] : [new Uint8Array(BATCH)];
    this.buf = this.buffers[0] as Uint8Array;
  }

  *add(bytes: Uint8Array): Generator<Uint8Array> {
    let p = 0;
    while (p < bytes.length) {
      const take = Math.min(BATCH - this.length, bytes.length - p);
      if (this.length === 0 && take === BATCH) {
        yield bytes.subarray(p, p + take);
      } else {
        this.buf.set(bytes.subarray(p, p + take), this.length);
        this.length += take;
        if (this.length === BATCH) yield* this.flush();
      }
      p += take;
    }
  }

  *flush(): Generator<Uint8Array> {
    if (this.length === 0) return;
    const out = this.reuse ? this.buf.subarray(0, this.length) : this.buf.slice(0, this.length);
    this.length = 0;
    if (this.reuse) {
      this.turn ^= 1;
      this.buf = this.buffers[this.turn] as Uint8Array;
    }
    yield out;
  }
}
