// Test-only: FUSE requests as the kernel writes them, replies as it reads them, and a recording
// channel that drives a KernelSession without /dev/fuse.
import type { FuseChannel } from '../../src/fs/kernel/fuse-channel.js';
import { OPCODE } from '../../src/fs/kernel/fuse-abi.js';
import type { RequestReader, ReaderEnd } from '../../src/fs/kernel/request-reader.js';

/** A request: the 40-byte `fuse_in_header`, then `body`. */
export function encodeRequest(opcode: number, unique: bigint, nodeId: number, body: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(40 + body.length);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt32LE(opcode, 4);
  out.writeBigUInt64LE(unique, 8);
  out.writeBigUInt64LE(BigInt(nodeId), 16);
  out.set(body, 40);
  return out;
}

export const lookupBody = (name: Uint8Array): Buffer => Buffer.concat([Buffer.from(name), Buffer.from([0])]);
export const forgetBody = (count: number): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(count)); return b; };
export const interruptBody = (unique: bigint): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64LE(unique); return b; };
export const openBody = (flags = 0): Buffer => { const b = Buffer.alloc(8); b.writeUInt32LE(flags); return b; };
export function readBody(fileHandle: number, offset: number, size: number): Buffer {
  const b = Buffer.alloc(40);
  b.writeBigUInt64LE(BigInt(fileHandle), 0);
  b.writeBigUInt64LE(BigInt(offset), 8);
  b.writeUInt32LE(size, 16);
  return b;
}
export function batchForgetBody(items: Array<{ nodeId: number; count: number }>): Buffer {
  const b = Buffer.alloc(8 + 16 * items.length);
  b.writeUInt32LE(items.length, 0);
  items.forEach((item, i) => {
    b.writeBigUInt64LE(BigInt(item.nodeId), 8 + i * 16);
    b.writeBigUInt64LE(BigInt(item.count), 16 + i * 16);
  });
  return b;
}
export function initBody(): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(7, 0);
  b.writeUInt32LE(38, 4);
  b.writeUInt32LE(1 << 20, 8);
  b.writeUInt32LE(0xffffffff, 12);
  return b;
}

/** A reply as the kernel reads it. */
export interface Reply {
  unique: bigint;
  errno: number;
  body: Buffer;
}

export function decodeReply(bytes: Buffer): Reply {
  return { unique: bytes.readBigUInt64LE(8), errno: -bytes.readInt32LE(4), body: bytes.subarray(16) };
}

/** Decodes READDIR's `fuse_dirent` records. */
export function decodeDirents(body: Buffer): Array<{ ino: number; name: Buffer; type: number }> {
  const out: Array<{ ino: number; name: Buffer; type: number }> = [];
  for (let at = 0; at + 24 <= body.length;) {
    const length = body.readUInt32LE(at + 16);
    out.push({ ino: Number(body.readBigUInt64LE(at)), name: body.subarray(at + 24, at + 24 + length), type: body.readUInt32LE(at + 20) });
    at += (24 + length + 7) & ~7;
  }
  return out;
}

/** A channel that records every reply and notice, and can refuse chosen replies. */
export class RecordingChannel implements FuseChannel {
  readonly replies: Reply[] = [];
  readonly notices: Buffer[] = [];
  /** Replies the kernel no longer waits for (their write fails with ENOENT). */
  readonly gone = new Set<bigint>();
  /** Replies the kernel refuses (EINVAL), e.g. a malformed one; a bare error reply is then accepted. */
  refuse: (reply: Reply) => boolean = () => false;
  private deliver: ((bytes: Buffer) => void) | undefined;
  private finish: ((end: ReaderEnd) => void) | undefined;

  start(onRequest: (bytes: Buffer) => void): RequestReader {
    this.deliver = onRequest;
    const ended = new Promise<ReaderEnd>((done) => { this.finish = done; });
    return { ended, stop: () => this.finish?.({ reason: 'stopped' }), unref: () => {} };
  }

  /** The kernel sends a request. */
  send(opcode: number, unique: bigint, nodeId: number, body?: Uint8Array): void {
    if (!this.deliver) throw new Error('session not started');
    this.deliver(encodeRequest(opcode, unique, nodeId, body));
  }

  /** The kernel ends the connection (unmount). */
  end(): void {
    this.finish?.({ reason: 'unmounted' });
  }

  writeReply(bytes: Buffer): void {
    const reply = decodeReply(bytes);
    if (this.gone.has(reply.unique)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    if (this.refuse(reply)) throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' });
    this.replies.push(reply);
  }

  async notify(bytes: Buffer): Promise<void> {
    this.notices.push(bytes);
  }

  /** The replies to `unique`. */
  repliesTo(unique: bigint): Reply[] {
    return this.replies.filter((r) => r.unique === unique);
  }
}

export { OPCODE };
