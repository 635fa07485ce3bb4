/**
 * The Linux FUSE kernel protocol (`<linux/fuse.h>`, protocol 7.35), as far as a read-only file
 * system needs it: request headers in, replies out. Pure encoding and decoding, no I/O.
 * All integers are little-endian (the protocol uses the host's order; Linux on x86-64/arm64).
 */

/** Request opcodes timefs handles or answers. */
export const OPCODE = {
  LOOKUP: 1, FORGET: 2, GETATTR: 3, SETATTR: 4, READLINK: 5, SYMLINK: 6, MKNOD: 8, MKDIR: 9,
  UNLINK: 10, RMDIR: 11, RENAME: 12, LINK: 13, OPEN: 14, READ: 15, WRITE: 16, STATFS: 17,
  RELEASE: 18, FSYNC: 20, SETXATTR: 21, GETXATTR: 22, LISTXATTR: 23, REMOVEXATTR: 24, FLUSH: 25,
  INIT: 26, OPENDIR: 27, READDIR: 28, RELEASEDIR: 29, FSYNCDIR: 30, ACCESS: 34, CREATE: 35,
  INTERRUPT: 36, DESTROY: 38, BATCH_FORGET: 42, FALLOCATE: 43, RENAME2: 45, COPY_FILE_RANGE: 47,
  TMPFILE: 51,
} as const;

/** Opcodes that would change the file system: answered with EROFS. */
export const MODIFYING_OPCODES: ReadonlySet<number> = new Set([
  OPCODE.SETATTR, OPCODE.SYMLINK, OPCODE.MKNOD, OPCODE.MKDIR, OPCODE.UNLINK, OPCODE.RMDIR,
  OPCODE.RENAME, OPCODE.LINK, OPCODE.WRITE, OPCODE.SETXATTR, OPCODE.REMOVEXATTR, OPCODE.CREATE,
  OPCODE.FALLOCATE, OPCODE.RENAME2, OPCODE.COPY_FILE_RANGE, OPCODE.TMPFILE,
]);

/** The protocol version timefs speaks. */
export const PROTOCOL = { major: 7, minor: 35 } as const;

/** Flags of the INIT exchange. */
export const INIT_FLAG = {
  ASYNC_READ: 1 << 0,
  PARALLEL_DIROPS: 1 << 18,
  MAX_PAGES: 1 << 22,
} as const;

/**
 * Flags of an OPEN/OPENDIR reply. NOFLUSH matters beyond speed: without it, every close of a
 * file on the mount waits for our FLUSH answer, and a child process that this process spawns
 * closes its inherited descriptors at exec while this process waits for that exec: a deadlock.
 */
export const OPEN_FLAG = { KEEP_CACHE: 1 << 1, CACHE_DIR: 1 << 3, NOFLUSH: 1 << 5 } as const;

/** The root directory's node id. */
export const ROOT_NODE_ID = 1;
/** `d_ino` for a directory entry whose inode number is not known without a lookup. */
export const UNKNOWN_INO = 0xffffffff;

const IN_HEADER = 40;
const OUT_HEADER = 16;
const ATTR_SIZE = 88;

/** A decoded request: its header fields and the bytes after the header. */
export interface FuseRequest {
  opcode: number;
  unique: bigint;
  nodeId: number;
  uid: number;
  gid: number;
  pid: number;
  body: Buffer;
}

/** Decodes one request as read from `/dev/fuse` (the kernel delivers exactly one per read). */
export function decodeRequest(bytes: Buffer): FuseRequest {
  if (bytes.length < IN_HEADER) throw new Error(`short FUSE request (${bytes.length} bytes)`);
  const length = bytes.readUInt32LE(0);
  return {
    opcode: bytes.readUInt32LE(4),
    unique: bytes.readBigUInt64LE(8),
    nodeId: Number(bytes.readBigUInt64LE(16)),
    uid: bytes.readUInt32LE(24),
    gid: bytes.readUInt32LE(28),
    pid: bytes.readUInt32LE(32),
    body: bytes.subarray(IN_HEADER, Math.min(length, bytes.length)),
  };
}

/** A reply: the header, then `payload` (one buffer or several, written in one call). */
export function encodeReply(unique: bigint, errno: number, payload: readonly Uint8Array[] = []): Buffer {
  const length = OUT_HEADER + payload.reduce((sum, part) => sum + part.length, 0);
  const out = Buffer.allocUnsafe(length);
  out.writeUInt32LE(length, 0);
  out.writeInt32LE(errno === 0 ? 0 : -Math.abs(errno), 4);
  out.writeBigUInt64LE(unique, 8);
  let at = OUT_HEADER;
  for (const part of payload) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Attributes as the kernel wants them. */
export interface FuseAttr {
  ino: number;
  size: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  mtimeNs: bigint;
  blksize: number;
}

function writeAttr(out: Buffer, at: number, attr: FuseAttr): void {
  const seconds = attr.mtimeNs >= 0n ? attr.mtimeNs / 1_000_000_000n : (attr.mtimeNs - 999_999_999n) / 1_000_000_000n;
  const nanos = Number(attr.mtimeNs - seconds * 1_000_000_000n);
  out.writeBigUInt64LE(BigInt(attr.ino), at);
  out.writeBigUInt64LE(BigInt(attr.size), at + 8);
  out.writeBigUInt64LE(BigInt(Math.ceil(attr.size / 512)), at + 16);
  for (const field of [24, 32, 40]) out.writeBigInt64LE(seconds, at + field);
  for (const field of [48, 52, 56]) out.writeUInt32LE(nanos, at + field);
  out.writeUInt32LE(attr.mode, at + 60);
  out.writeUInt32LE(attr.nlink, at + 64);
  out.writeUInt32LE(attr.uid, at + 68);
  out.writeUInt32LE(attr.gid, at + 72);
  out.writeUInt32LE(attr.rdev, at + 76);
  out.writeUInt32LE(attr.blksize, at + 80);
  out.writeUInt32LE(0, at + 84);
}

function writeValidity(out: Buffer, at: number, seconds: number): void {
  out.writeBigUInt64LE(BigInt(Math.floor(seconds)), at);
}

/** `fuse_entry_out`: the answer to LOOKUP. */
export function encodeEntry(nodeId: number, attr: FuseAttr, validSeconds: number): Buffer {
  const out = Buffer.alloc(40 + ATTR_SIZE);
  out.writeBigUInt64LE(BigInt(nodeId), 0);
  writeValidity(out, 16, validSeconds);
  writeValidity(out, 24, validSeconds);
  writeAttr(out, 40, attr);
  return out;
}

/** `fuse_attr_out`: the answer to GETATTR. */
export function encodeAttrOut(attr: FuseAttr, validSeconds: number): Buffer {
  const out = Buffer.alloc(16 + ATTR_SIZE);
  writeValidity(out, 0, validSeconds);
  writeAttr(out, 16, attr);
  return out;
}

/** `fuse_open_out`: the answer to OPEN and OPENDIR. */
export function encodeOpen(fileHandle: number, openFlags: number): Buffer {
  const out = Buffer.alloc(16);
  out.writeBigUInt64LE(BigInt(fileHandle), 0);
  out.writeUInt32LE(openFlags, 8);
  return out;
}

/** What INIT asked for. */
export interface InitRequest {
  major: number;
  minor: number;
  maxReadahead: number;
  flags: number;
}

/** Decodes `fuse_init_in`. */
export function decodeInit(body: Buffer): InitRequest {
  return { major: body.readUInt32LE(0), minor: body.readUInt32LE(4), maxReadahead: body.readUInt32LE(8), flags: body.readUInt32LE(12) };
}

/** `fuse_init_out` for a read-only file system. */
export function encodeInitReply(request: InitRequest, maxReadahead: number, maxPages: number): Buffer {
  const out = Buffer.alloc(64);
  out.writeUInt32LE(PROTOCOL.major, 0);
  out.writeUInt32LE(Math.min(request.minor, PROTOCOL.minor), 4);
  out.writeUInt32LE(Math.min(request.maxReadahead, maxReadahead), 8);
  // no CACHE_SYMLINKS: `latest` and the day names change target as snapshots arrive
  const wanted = INIT_FLAG.ASYNC_READ | INIT_FLAG.PARALLEL_DIROPS | INIT_FLAG.MAX_PAGES;
  out.writeUInt32LE(request.flags & wanted, 12);
  out.writeUInt16LE(64, 16); // max_background
  out.writeUInt16LE(48, 18); // congestion_threshold
  out.writeUInt32LE(4096, 20); // max_write: nothing is ever written
  out.writeUInt32LE(1, 24); // time_gran: nanoseconds
  out.writeUInt16LE(maxPages, 28);
  return out;
}

/** `fuse_read_in`: which handle, where, how much. */
export function decodeRead(body: Buffer): { fileHandle: number; offset: number; size: number } {
  return { fileHandle: Number(body.readBigUInt64LE(0)), offset: Number(body.readBigUInt64LE(8)), size: body.readUInt32LE(16) };
}

/** The file handle of RELEASE/RELEASEDIR (`fuse_release_in`). */
export function decodeReleaseHandle(body: Buffer): number {
  return Number(body.readBigUInt64LE(0));
}

/** The open flags of OPEN (`fuse_open_in`). */
export function decodeOpenFlags(body: Buffer): number {
  return body.readUInt32LE(0);
}

/** The NUL-terminated name of LOOKUP, as exact bytes. */
export function decodeName(body: Buffer): Buffer {
  const end = body.indexOf(0);
  return body.subarray(0, end < 0 ? body.length : end);
}

/** The `nlookup` of FORGET. */
export function decodeForget(body: Buffer): number {
  return Number(body.readBigUInt64LE(0));
}

/** The `unique` of the request an INTERRUPT cancels (`fuse_interrupt_in`). */
export function decodeInterrupt(body: Buffer): bigint {
  return body.readBigUInt64LE(0);
}

/** The `(nodeId, nlookup)` pairs of BATCH_FORGET. */
export function decodeBatchForget(body: Buffer): Array<{ nodeId: number; count: number }> {
  const count = body.readUInt32LE(0);
  const out: Array<{ nodeId: number; count: number }> = [];
  for (let i = 0; i < count && 8 + i * 16 + 16 <= body.length; i++) {
    out.push({ nodeId: Number(body.readBigUInt64LE(8 + i * 16)), count: Number(body.readBigUInt64LE(16 + i * 16)) });
  }
  return out;
}

/** One directory entry for a READDIR reply. */
export interface DirentInput {
  name: Uint8Array;
  /** `(mode & S_IFMT) >> 12`, i.e. the `DT_*` value; 0 when unknown. */
  type: number;
  ino: number;
}

/**
 * Encodes entries `[from, …)` of `entries` into at most `maxBytes` bytes of `fuse_dirent`
 * records; each record's `off` is the index of the entry after it, so the kernel resumes there.
 */
export function encodeDirents(entries: readonly DirentInput[], from: number, maxBytes: number): Buffer {
  const parts: Buffer[] = [];
  let used = 0;
  for (let i = from; i < entries.length; i++) {
    const entry = entries[i] as DirentInput;
    const size = (24 + entry.name.length + 7) & ~7;
    if (used + size > maxBytes) break;
    const record = Buffer.alloc(size);
    record.writeBigUInt64LE(BigInt(entry.ino), 0);
    record.writeBigUInt64LE(BigInt(i + 1), 8);
    record.writeUInt32LE(entry.name.length, 16);
    record.writeUInt32LE(entry.type, 20);
    record.set(entry.name, 24);
    parts.push(record);
    used += size;
  }
  return Buffer.concat(parts, used);
}

/** `fuse_kstatfs` inside `fuse_statfs_out`. */
export function encodeStatfs(blockSize: number, nameMax: number): Buffer {
  const out = Buffer.alloc(80);
  out.writeUInt32LE(blockSize, 40);
  out.writeUInt32LE(nameMax, 44);
  out.writeUInt32LE(blockSize, 48);
  return out;
}

/** A FUSE_NOTIFY_INVAL_ENTRY message: asks the kernel to drop its cached `name` under `parent`. */
export function encodeInvalidateEntry(parent: number, name: Uint8Array): Buffer {
  const NOTIFY_INVAL_ENTRY = 3;
  const body = Buffer.alloc(16 + name.length + 1);
  body.writeBigUInt64LE(BigInt(parent), 0);
  body.writeUInt32LE(name.length, 8);
  body.set(name, 16);
  const out = encodeReply(0n, 0, [body]);
  out.writeInt32LE(NOTIFY_INVAL_ENTRY, 4);
  return out;
}
