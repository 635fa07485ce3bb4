/**
 * Writing the one reply of a request. A success that hands the kernel a node or a handle changes
 * the session's state only here, right before its reply is written, and takes it back when the
 * reply cannot be encoded or written (as libfuse takes a lookup count back when the write fails
 * with ENOENT). A reply that fails to encode, or that the kernel refuses, becomes a bare EIO, so
 * the caller never sleeps forever.
 */
import { ERRNO } from '../errno.js';
import { encodeReply, type FuseRequest } from './fuse-abi.js';
import type { FuseChannel } from './fuse-channel.js';

/**
 * A handler's answer: an errno, a success with its payload, or a success that hands the kernel
 * a node or a handle: `commit` makes that state change right before the reply is written, then
 * `payload` encodes it, and `undo` takes the change back when encoding or writing fails.
 * Undefined: no reply at all (FORGET, BATCH_FORGET, INTERRUPT).
 */
export type Reply =
  | { errno: number; payload?: Uint8Array[] }
  | { errno: 0; commit: () => { payload: () => Uint8Array[]; undo: () => void } }
  | undefined;

/** Where failures to encode or write go (never a cap: opcodes and sizes only). */
export type ReplyErrorLog = (op: string, what: string, err: unknown) => void;

function tryWrite(channel: FuseChannel, bytes: Buffer): NodeJS.ErrnoException | undefined {
  try {
    channel.writeReply(bytes);
    return undefined;
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
}

function writeBareError(channel: FuseChannel, request: FuseRequest, log: ReplyErrorLog): void {
  const failure = tryWrite(channel, encodeReply(request.unique, ERRNO.EIO));
  if (failure && failure.code !== 'ENOENT') log('write reply', `(opcode ${request.opcode}, bare EIO)`, failure);
}

/**
 * Writes `reply` to `request` (nothing for an undefined one). Every failure but ENOENT (the
 * kernel no longer waits: the request was interrupted) is logged.
 */
export function writeReply(channel: FuseChannel, request: FuseRequest, reply: Reply, log: ReplyErrorLog): void {
  if (reply === undefined) return;
  let bytes: Buffer;
  let undo: (() => void) | undefined;
  try {
    if ('commit' in reply) {
      const committed = reply.commit();
      undo = committed.undo;
      bytes = encodeReply(request.unique, 0, committed.payload());
    } else {
      bytes = encodeReply(request.unique, reply.errno, reply.payload);
    }
  } catch (err) {
    undo?.();
    log('encode reply', `(opcode ${request.opcode})`, err);
    writeBareError(channel, request, log);
    return;
  }
  const failure = tryWrite(channel, bytes);
  if (failure === undefined) return;
  undo?.();
  if (failure.code === 'ENOENT') return;
  log('write reply', `(opcode ${request.opcode}, ${bytes.length} bytes)`, failure);
  if (reply.errno !== ERRNO.EIO) writeBareError(channel, request, log);
}
