/**
 * Serves a {@link MountSource} over a FUSE connection, speaking the kernel protocol directly (no
 * libfuse): names cross as exact bytes, times keep nanoseconds, inode numbers keep 53 bits, and
 * the node table holds only what the kernel holds. Requests arrive from a reader thread and are
 * answered asynchronously, so slow grid reads never block other requests.
 *
 * Two rules keep the kernel and the table in step: every request but FORGET, BATCH_FORGET and
 * INTERRUPT gets exactly one reply, and a reply that hands the kernel a node or a handle changes
 * the table only when it is actually written (never after a timeout or an interrupt answered
 * first, and taken back when the kernel no longer waits for it).
 */
import { TimefsError } from '../../model/errors.js';
import { nameForBytes } from '../../view/tree-cache.js';
import type { FileContent, MountNode, MountSource } from '../../view/mount-source.js';
import { settleOperation } from '../deadline.js';
import { ERRNO, errnoFor } from '../errno.js';
import { modeOf } from '../node-mode.js';
import {
  decodeBatchForget, decodeForget, decodeInit, decodeInterrupt, decodeName, decodeOpenFlags, decodeRead, decodeReleaseHandle, decodeRequest,
  encodeAttrOut, encodeDirents, encodeEntry, encodeInitReply, encodeInvalidateEntry, encodeOpen, encodeStatfs,
  MODIFYING_OPCODES, OPCODE, OPEN_FLAG, UNKNOWN_INO, type DirentInput, type FuseAttr, type FuseRequest,
} from './fuse-abi.js';
import type { FuseChannel } from './fuse-channel.js';
import { NodeTable } from './node-table.js';
import { writeReply, type Reply } from './reply-writer.js';
import type { RequestReader } from './request-reader.js';

/** Options of {@link KernelSession}. */
export interface KernelSessionOptions {
  /** Longest any one operation may take before it fails with EIO (milliseconds). */
  timeoutMs: number;
  /** How long the kernel may cache names and attributes of immutable nodes (seconds). */
  cacheSeconds: number;
  /** Most nodes the kernel is allowed to keep before the least recently used are dropped from its cache. */
  maxNodes: number;
  /** The system's memory page size (INIT's `max_pages` counts pages); default 4096. */
  pageSize?: number;
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

/** The kernel's largest `max_pages` (FUSE_MAX_MAX_PAGES). */
const MAX_PAGES_LIMIT = 256;

/** One live FUSE connection. */
export class KernelSession {
  private readonly table = new NodeTable();
  private readonly files = new Map<number, { content: FileContent; shown: string }>();
  /** Open directories: their path, and their entries once the first READDIR listed them. */
  private readonly dirs = new Map<number, { path: string[]; entries?: DirentInput[] }>();
  /** Requests being worked on, by unique id: INTERRUPT cancels their work. */
  private readonly inFlight = new Map<bigint, AbortController>();
  private nextHandle = 1;
  private evicting = false;
  private closed = false;
  private reader: RequestReader | undefined;
  private markInitialized: () => void = () => {};
  /** Settles once the INIT reply is written (the kernel then sets the mount's readahead from it). */
  readonly initialized = new Promise<void>((done) => { this.markInitialized = done; });

  constructor(private readonly channel: FuseChannel, private readonly source: MountSource, private readonly options: KernelSessionOptions) {}

  /**
   * Answers requests until the kernel ends the connection (unmount) or {@link stop}. Start it
   * before mounting: whatever mounts may itself touch the new mount point, and the kernel holds
   * every request until INIT is answered.
   */
  serve(): Promise<void> {
    this.reader = this.channel.start((bytes) => {
      if (this.closed) return;
      let request: FuseRequest;
      try {
        request = decodeRequest(bytes);
      } catch (err) {
        this.options.onError?.('decode', '(request)', err);
        return;
      }
      this.options.trace?.(`request #${request.unique}: opcode ${request.opcode}, node ${request.nodeId}`);
      if (request.opcode === OPCODE.DESTROY) {
        this.send(request, { errno: 0 });
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

  /** Every node the kernel holds with its lookup count (for tests of the table's invariants). */
  lookupCounts(): Map<number, number> {
    return this.table.counts();
  }

  /** How many requests are being worked on. */
  get busy(): number {
    return this.inFlight.size;
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
    const controller = new AbortController();
    this.inFlight.set(request.unique, controller);
    let reply: Reply | Promise<Reply>;
    try {
      reply = this.handle(request, controller.signal);
    } catch (err) {
      reply = { errno: -errnoFor(err) };
    }
    if (reply instanceof Promise) {
      reply.then((value) => this.send(request, value), (err: unknown) => this.send(request, { errno: -errnoFor(err) }));
    } else {
      this.send(request, reply);
    }
  }

  /** Writes the one reply of `request`: a success's state change happens only there (see reply-writer.ts). */
  private send(request: FuseRequest, reply: Reply): void {
    this.inFlight.delete(request.unique);
    if (reply === undefined || this.closed) return;
    this.options.trace?.(`reply #${request.unique}: ${reply.errno === 0 ? 'ok' : `errno ${reply.errno}`}`);
    writeReply(this.channel, request, reply, (op, what, err) => this.options.onError?.(op, what, err));
    if (request.opcode === OPCODE.INIT) this.markInitialized();
  }

  private handle(request: FuseRequest, signal: AbortSignal): Reply | Promise<Reply> {
    const { body, nodeId } = request;
    switch (request.opcode) {
      case OPCODE.INIT: {
        const maxPages = Math.min(MAX_PAGES_LIMIT, Math.max(1, Math.floor(MAX_READ / (this.options.pageSize ?? 4096))));
        return { errno: 0, payload: [encodeInitReply(decodeInit(body), MAX_READ, maxPages)] };
      }
      case OPCODE.LOOKUP: return this.lookup(nodeId, decodeName(body), signal);
      case OPCODE.FORGET:
        this.table.forget(nodeId, decodeForget(body));
        return undefined;
      case OPCODE.BATCH_FORGET:
        for (const { nodeId: id, count } of decodeBatchForget(body)) this.table.forget(id, count);
        return undefined;
      case OPCODE.INTERRUPT:
        // a request already answered has nothing left to cancel
        this.inFlight.get(decodeInterrupt(body))?.abort();
        return undefined;
      case OPCODE.GETATTR: return this.run('getattr', nodeId, signal, async (path, s) => {
        const node = await this.source.getattr(path, s);
        return [encodeAttrOut(this.attrOf(node), this.validity(node))];
      });
      case OPCODE.READLINK: return this.run('readlink', nodeId, signal, async (path, s) => [await this.source.readlink(path, s)]);
      case OPCODE.OPEN: return this.open(nodeId, decodeOpenFlags(body), signal);
      case OPCODE.READ: return this.read(decodeRead(body), signal);
      case OPCODE.RELEASE: {
        const handle = decodeReleaseHandle(body);
        this.files.get(handle)?.content.close();
        this.files.delete(handle);
        return { errno: 0 };
      }
      case OPCODE.OPENDIR: return this.opendir(nodeId, signal);
      case OPCODE.READDIR: return this.readdir(decodeRead(body), signal);
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

  /** Runs an operation on the node's path under the deadline; `signal` is the request's interrupt. */
  private run(op: string, nodeId: number, signal: AbortSignal, work: (path: string[], signal: AbortSignal) => Promise<Uint8Array[]>): Promise<Reply> | Reply {
    const path = this.table.pathOf(nodeId);
    if (!path) return { errno: ERRNO.ENOENT };
    return this.guarded(op, `/${path.join('/')}`, signal, (s) => work(path, s));
  }

  /** Runs `work` under the deadline (cancelled by an interrupt) and turns its outcome into a reply. */
  private async guarded(op: string, shown: string, signal: AbortSignal, work: (signal: AbortSignal) => Promise<Uint8Array[]>): Promise<Reply> {
    const result = await settleOperation(op, shown, this.options.timeoutMs, work, this.options.onError, signal);
    return result.ok ? { errno: 0, payload: result.value } : { errno: result.errno };
  }

  /** Like {@link guarded}, for work whose success hands the kernel state: `toReply` builds the committing reply. */
  private async settled<T>(op: string, path: string[], signal: AbortSignal, work: (s: AbortSignal) => Promise<T>, toReply: (value: T) => Reply): Promise<Reply> {
    const result = await settleOperation(op, `/${path.join('/')}`, this.options.timeoutMs, work, this.options.onError, signal);
    return result.ok ? toReply(result.value) : { errno: result.errno };
  }

  private lookup(parent: number, raw: Buffer, signal: AbortSignal): Reply | Promise<Reply> {
    const name = nameForBytes(raw);
    const copy = new Uint8Array(raw);
    const parentPath = this.table.pathOf(parent);
    if (!parentPath) return { errno: ERRNO.ENOENT };
    return this.settled('lookup', [...parentPath, name], signal, (s) => this.source.getattr([...parentPath, name], s), (node) => ({
      errno: 0,
      commit: () => {
        const nodeId = this.table.remember(parent, name, copy);
        this.evictIfFull();
        return { payload: () => [encodeEntry(nodeId, this.attrOf(node), this.validity(node))], undo: () => this.table.forget(nodeId, 1) };
      },
    }));
  }

  private open(nodeId: number, flags: number, signal: AbortSignal): Reply | Promise<Reply> {
    if ((flags & O_ACCMODE) !== 0 || (flags & O_TRUNC) !== 0) return { errno: ERRNO.EROFS };
    const path = this.table.pathOf(nodeId);
    if (!path) return { errno: ERRNO.ENOENT };
    return this.settled('open', path, signal, (s) => this.source.open(path, s), (content) => ({
      errno: 0,
      commit: () => {
        const handle = this.nextHandle++;
        this.files.set(handle, { content, shown: `/${path.join('/')}` });
        return {
          payload: () => [encodeOpen(handle, OPEN_FLAG.KEEP_CACHE | OPEN_FLAG.NOFLUSH)],
          undo: () => {
            this.files.delete(handle);
            content.close();
          },
        };
      },
    }));
  }

  private read(request: { fileHandle: number; offset: number; size: number }, signal: AbortSignal): Reply | Promise<Reply> {
    const file = this.files.get(request.fileHandle);
    if (!file) return { errno: ERRNO.EBADF };
    return this.guarded('read', file.shown, signal, async (s) => [await file.content.read(request.offset, request.size, s)]);
  }

  private opendir(nodeId: number, signal: AbortSignal): Reply | Promise<Reply> {
    const path = this.table.pathOf(nodeId);
    if (!path) return { errno: ERRNO.ENOENT };
    return this.settled('opendir', path, signal, (s) => this.source.getattr(path, s), (node) => {
      if (node.type !== 'dir') return { errno: ERRNO.ENOTDIR };
      return {
        errno: 0,
        commit: () => {
          const handle = this.nextHandle++;
          this.dirs.set(handle, { path });
          return { payload: () => [encodeOpen(handle, node.stable ? OPEN_FLAG.KEEP_CACHE | OPEN_FLAG.CACHE_DIR : 0)], undo: () => this.dirs.delete(handle) };
        },
      };
    });
  }

  private readdir(request: { fileHandle: number; offset: number; size: number }, signal: AbortSignal): Reply | Promise<Reply> {
    const dir = this.dirs.get(request.fileHandle);
    if (!dir) return { errno: ERRNO.EBADF };
    if (dir.entries) return { errno: 0, payload: [encodeDirents(dir.entries, request.offset, request.size)] };
    const path = dir.path;
    return this.guarded('readdir', `/${path.join('/')}`, signal, async (s) => {
      const children = await this.source.readdir(path, s);
      const entries: DirentInput[] = [
        { name: Buffer.from('.'), type: DT_DIR, ino: UNKNOWN_INO },
        { name: Buffer.from('..'), type: DT_DIR, ino: UNKNOWN_INO },
        ...children.map((child) => ({ name: child.raw, type: child.type ? modeOf(child.type, 0) >>> 12 : 0, ino: child.ino ?? UNKNOWN_INO })),
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
   * Keeps the node table bounded: past `maxNodes`, asks the kernel to drop its least recently
   * used names. The notices go out without blocking this thread, because the kernel may wait on
   * a directory lock held by a lookup that this thread still has to answer.
   */
  private evictIfFull(): void {
    if (this.evicting || this.table.size <= this.options.maxNodes) return;
    this.evicting = true;
    const victims = this.table.evictionCandidates(Math.max(1, Math.floor(this.options.maxNodes / 10)));
    const sendAll = async (): Promise<void> => {
      for (const victim of victims) {
        if (this.closed) return;
        await this.channel.notify(encodeInvalidateEntry(victim.parent, victim.raw));
      }
    };
    void sendAll().finally(() => {
      this.evicting = false;
    });
  }
}
