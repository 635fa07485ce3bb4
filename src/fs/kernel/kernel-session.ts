/**
 * Serves a {@link MountSource} over an open `/dev/fuse` connection, speaking the kernel protocol
 * directly (no libfuse): names cross as exact bytes, times keep nanoseconds, inode numbers keep
 * 53 bits, and the node table holds only what the kernel holds. Requests arrive from a reader
 * thread and are answered asynchronously, so slow grid reads never block other requests.
 */
import { write, writeSync } from 'node:fs';
import { TimefsError } from '../../model/errors.js';
import { nameForBytes } from '../../view/tree-cache.js';
import type { FileContent, MountNode, MountSource } from '../../view/mount-source.js';
import { settleOperation } from '../deadline.js';
import { ERRNO, errnoFor } from '../errno.js';
import { modeOf } from '../node-mode.js';
import {
  decodeBatchForget, decodeForget, decodeInit, decodeName, decodeOpenFlags, decodeRead, decodeReleaseHandle, decodeRequest,
  encodeAttrOut, encodeDirents, encodeEntry, encodeInitReply, encodeInvalidateEntry, encodeOpen, encodeReply, encodeStatfs,
  MODIFYING_OPCODES, OPCODE, OPEN_FLAG, UNKNOWN_INO, type DirentInput, type FuseAttr, type FuseRequest,
} from './fuse-abi.js';
import { NodeTable } from './node-table.js';
import { startRequestReader, type RequestReader } from './request-reader.js';

/** Options of {@link KernelSession}. */
export interface KernelSessionOptions {
  /** Longest any one operation may take before it fails with EIO (milliseconds). */
  timeoutMs: number;
  /** How long the kernel may cache names and attributes of immutable nodes (seconds). */
  cacheSeconds: number;
  /** Most nodes the kernel is allowed to keep before the oldest are dropped from its cache. */
  maxNodes: number;
  /** Called with a one-line description of a failed operation (paths only, no caps). */
  onError?: (op: string, path: string, err: unknown) => void;
  /** Receives one line per request and reply (`--debug`). */
  trace?: (line: string) => void;
}

/** Seconds the kernel may cache nodes that can change (the top level, `latest`, `history/`). */
const VOLATILE_SECONDS = 1;
const MAX_READ = 1 << 20;
const O_ACCMODE = 3;
const O_TRUNC = 0o1000;
const DT_DIR = 4;

type Reply = { errno: number; payload?: Uint8Array[] } | undefined;

/** One live FUSE connection. */
export class KernelSession {
  private readonly table = new NodeTable();
  private readonly files = new Map<number, { content: FileContent; shown: string }>();
  /** Open directories: their path, and their entries once the first READDIR listed them. */
  private readonly dirs = new Map<number, { path: string[]; entries?: DirentInput[] }>();
  private nextHandle = 1;
  private evicting = false;
  private closed = false;
  private reader: RequestReader | undefined;

  constructor(private readonly fd: number, private readonly source: MountSource, private readonly options: KernelSessionOptions) {}

  /**
   * Answers requests until the kernel ends the connection (unmount) or {@link stop}. Start it
   * before mounting: whatever mounts may itself touch the new mount point, and the kernel holds
   * every request until INIT is answered.
   */
  serve(): Promise<void> {
    this.reader = startRequestReader(this.fd, (bytes) => {
      if (this.closed) return;
      const request = decodeRequest(bytes);
      this.options.trace?.(`request #${request.unique}: opcode ${request.opcode}, node ${request.nodeId}`);
      if (request.opcode === OPCODE.DESTROY) {
        this.send(request.unique, { errno: 0 });
        this.closed = true;
        return;
      }
      this.dispatch(request);
    });
    return this.reader.ended.then((end) => {
      this.closed = true;
      for (const file of this.files.values()) file.content.close();
      this.files.clear();
      if (end.reason === 'error') throw new Error(`reading /dev/fuse failed: ${end.message}`);
    });
  }

  /** How many nodes the kernel holds (the size of the node table). */
  get nodeCount(): number {
    return this.table.size;
  }

  /** Stops serving a connection that was never attached (the mount failed). */
  stop(): void {
    this.reader?.stop();
  }

  /** Lets the process exit while the connection lingers (after a lazy unmount). */
  unref(): void {
    this.reader?.unref();
  }

  private dispatch(request: FuseRequest): void {
    let reply: Reply | Promise<Reply>;
    try {
      reply = this.handle(request);
    } catch (err) {
      reply = { errno: -errnoFor(err) };
    }
    if (reply instanceof Promise) {
      reply.then((value) => this.send(request.unique, value), (err: unknown) => this.send(request.unique, { errno: -errnoFor(err) }));
    } else {
      this.send(request.unique, reply);
    }
  }

  private send(unique: bigint, reply: Reply): void {
    if (reply !== undefined) this.options.trace?.(`reply #${unique}: ${reply.errno === 0 ? 'ok' : `errno ${reply.errno}`}`);
    if (reply === undefined || this.closed) return;
    try {
      writeSync(this.fd, encodeReply(unique, reply.errno, reply.payload));
    } catch {
      // ENOENT: the request was interrupted and the kernel no longer waits for it
    }
  }

  private handle(request: FuseRequest): Reply | Promise<Reply> {
    const { body, nodeId } = request;
    switch (request.opcode) {
      case OPCODE.INIT: return { errno: 0, payload: [encodeInitReply(decodeInit(body), MAX_READ, MAX_READ / 4096)] };
      case OPCODE.LOOKUP: return this.lookup(nodeId, decodeName(body));
      case OPCODE.FORGET:
        this.table.forget(nodeId, decodeForget(body));
        return undefined;
      case OPCODE.BATCH_FORGET:
        for (const { nodeId: id, count } of decodeBatchForget(body)) this.table.forget(id, count);
        return undefined;
      case OPCODE.INTERRUPT: return undefined;
      case OPCODE.GETATTR: return this.run('getattr', nodeId, async (path, signal) => {
        const node = await this.source.getattr(path, signal);
        return [encodeAttrOut(this.attrOf(node), this.validity(node))];
      });
      case OPCODE.READLINK: return this.run('readlink', nodeId, async (path, signal) => [await this.source.readlink(path, signal)]);
      case OPCODE.OPEN: return this.open(nodeId, decodeOpenFlags(body));
      case OPCODE.READ: return this.read(decodeRead(body));
      case OPCODE.RELEASE: {
        const handle = decodeReleaseHandle(body);
        this.files.get(handle)?.content.close();
        this.files.delete(handle);
        return { errno: 0 };
      }
      case OPCODE.OPENDIR: return this.opendir(nodeId);
      case OPCODE.READDIR: return this.readdir(decodeRead(body));
      case OPCODE.RELEASEDIR: {
        const handle = decodeReleaseHandle(body);
        this.dirs.delete(handle);
        return { errno: 0 };
      }
      case OPCODE.STATFS: return { errno: 0, payload: [encodeStatfs(128 * 1024, 255)] };
      default:
        return { errno: MODIFYING_OPCODES.has(request.opcode) ? ERRNO.EROFS : ERRNO.ENOSYS };
    }
  }

  /** Runs an operation on the node's path under the deadline. */
  private run(op: string, nodeId: number, work: (path: string[], signal: AbortSignal) => Promise<Uint8Array[]>): Promise<Reply> | Reply {
    const path = this.table.pathOf(nodeId);
    if (!path) return { errno: ERRNO.ENOENT };
    return this.guarded(op, `/${path.join('/')}`, (signal) => work(path, signal));
  }

  /** Runs `work` under the deadline and turns its outcome into a reply. */
  private async guarded(op: string, shown: string, work: (signal: AbortSignal) => Promise<Uint8Array[]>): Promise<Reply> {
    const result = await settleOperation(op, shown, this.options.timeoutMs, work, this.options.onError);
    return result.ok ? { errno: 0, payload: result.value } : { errno: result.errno };
  }

  private lookup(parent: number, raw: Buffer): Reply | Promise<Reply> {
    const name = nameForBytes(raw);
    const copy = new Uint8Array(raw);
    return this.run('lookup', parent, async (parentPath, signal) => {
      const node = await this.source.getattr([...parentPath, name], signal);
      const nodeId = this.table.remember(parent, name, copy);
      this.evictIfFull();
      return [encodeEntry(nodeId, this.attrOf(node), this.validity(node))];
    });
  }

  private open(nodeId: number, flags: number): Reply | Promise<Reply> {
    if ((flags & O_ACCMODE) !== 0 || (flags & O_TRUNC) !== 0) return { errno: ERRNO.EROFS };
    return this.run('open', nodeId, async (path, signal) => {
      const content = await this.source.open(path, signal);
      const handle = this.nextHandle++;
      this.files.set(handle, { content, shown: `/${path.join('/')}` });
      return [encodeOpen(handle, OPEN_FLAG.KEEP_CACHE | OPEN_FLAG.NOFLUSH)];
    });
  }

  private read(request: { fileHandle: number; offset: number; size: number }): Reply | Promise<Reply> {
    const file = this.files.get(request.fileHandle);
    if (!file) return { errno: ERRNO.EBADF };
    return this.guarded('read', file.shown, async (signal) => [await file.content.read(request.offset, request.size, signal)]);
  }

  private opendir(nodeId: number): Reply | Promise<Reply> {
    return this.run('opendir', nodeId, async (path, signal) => {
      const node = await this.source.getattr(path, signal);
      if (node.type !== 'dir') throw new TimefsError('fs.not-a-directory', `/${path.join('/')}: not a directory`);
      const handle = this.nextHandle++;
      this.dirs.set(handle, { path });
      return [encodeOpen(handle, node.stable ? OPEN_FLAG.KEEP_CACHE | OPEN_FLAG.CACHE_DIR : 0)];
    });
  }

  private readdir(request: { fileHandle: number; offset: number; size: number }): Reply | Promise<Reply> {
    const dir = this.dirs.get(request.fileHandle);
    if (!dir) return { errno: ERRNO.EBADF };
    if (dir.entries) return { errno: 0, payload: [encodeDirents(dir.entries, request.offset, request.size)] };
    const path = dir.path;
    return this.guarded('readdir', `/${path.join('/')}`, async (signal) => {
      const children = await this.source.readdir(path, signal);
      const entries: DirentInput[] = [
        { name: Buffer.from('.'), type: DT_DIR, ino: UNKNOWN_INO },
        { name: Buffer.from('..'), type: DT_DIR, ino: UNKNOWN_INO },
        ...children.map((child) => ({ name: child.raw, type: child.type ? modeOf(child.type, 0) >>> 12 : 0, ino: UNKNOWN_INO })),
      ];
      dir.entries = entries;
      return [encodeDirents(entries, request.offset, request.size)];
    });
  }

  private attrOf(node: MountNode): FuseAttr {
    return { ino: node.ino, size: node.size, mode: modeOf(node.type, node.perm), nlink: node.nlink, uid: node.uid, gid: node.gid, rdev: node.rdev, mtimeNs: node.mtimeNs, blksize: 128 * 1024 };
  }

  private validity(node: MountNode): number {
    return node.stable ? this.options.cacheSeconds : VOLATILE_SECONDS;
  }

  /**
   * Keeps the node table bounded: past `maxNodes`, asks the kernel to drop its oldest cached
   * names. The notices go out from a worker thread, because the kernel may wait on a directory
   * lock held by a lookup that this thread still has to answer.
   */
  private evictIfFull(): void {
    if (this.evicting || this.table.size <= this.options.maxNodes) return;
    this.evicting = true;
    const victims = this.table.oldest(Math.max(1, Math.floor(this.options.maxNodes / 10)));
    const sendAll = async (): Promise<void> => {
      for (const victim of victims) {
        if (this.closed) return;
        await new Promise<void>((done) => write(this.fd, encodeInvalidateEntry(victim.parent, victim.raw), () => done()));
      }
    };
    void sendAll().finally(() => {
      this.evicting = false;
    });
  }
}
