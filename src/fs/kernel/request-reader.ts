/**
 * Reads requests from `/dev/fuse` on a thread of its own. A read there blocks until the kernel has
 * a request; on libuv's shared pool such reads could wait behind file-system calls that are
 * themselves waiting for this mount (a process reading its own mount), so they get a dedicated
 * worker thread that hands each request to the main thread as a transferred buffer.
 */
import { Worker } from 'node:worker_threads';

/** The worker's code (plain JavaScript, so it runs the same from sources and from `dist/`). */
const READER_SOURCE = `
const { readSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const { fd, stop } = workerData;
const flags = new Int32Array(stop);
const buffer = Buffer.allocUnsafe(${(1 << 20) + 4096});
for (;;) {
  if (Atomics.load(flags, 0) !== 0) { parentPort.postMessage({ end: 'stopped' }); break; }
  let length;
  try {
    length = readSync(fd, buffer, 0, buffer.length, null);
  } catch (err) {
    if (err.code === 'EINTR' || err.code === 'EAGAIN' || err.code === 'ENOENT') continue;
    if (err.code === 'EPERM') { Atomics.wait(flags, 0, 0, 2); continue; } // not mounted yet
    parentPort.postMessage({ end: err.code === 'ENODEV' ? 'unmounted' : 'error', message: String(err.message) });
    break;
  }
  if (length === 0) { parentPort.postMessage({ end: 'unmounted' }); break; }
  const request = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + length);
  parentPort.postMessage({ request }, [request]);
}
`;

/** Why reading ended: unmounted (the normal end), stopped (never mounted) or an error. */
export type ReaderEnd = { reason: 'unmounted' | 'stopped' } | { reason: 'error'; message: string };

/** A running reader thread. */
export interface RequestReader {
  /** Settles when the thread ends. */
  readonly ended: Promise<ReaderEnd>;
  /** Ends a reader whose connection was never mounted (reads there fail at once). */
  stop(): void;
  /** Lets the process exit even while the thread waits (after a lazy unmount). */
  unref(): void;
}

/** Starts reading `fd`; each request goes to `onRequest` on the main thread. */
export function startRequestReader(fd: number, onRequest: (request: Buffer) => void): RequestReader {
  const stop = new SharedArrayBuffer(4);
  const worker = new Worker(READER_SOURCE, { eval: true, workerData: { fd, stop } });
  const ended = new Promise<ReaderEnd>((done) => {
    worker.on('message', (message: { request?: ArrayBuffer; end?: string; message?: string }) => {
      if (message.request) return onRequest(Buffer.from(message.request));
      if (message.end === 'error') done({ reason: 'error', message: message.message ?? 'unknown error' });
      else done({ reason: message.end === 'stopped' ? 'stopped' : 'unmounted' });
    });
    worker.on('error', (err) => done({ reason: 'error', message: err.message }));
    worker.on('exit', () => done({ reason: 'unmounted' }));
  });
  return {
    ended,
    stop: () => Atomics.store(new Int32Array(stop), 0, 1),
    unref: () => worker.unref(),
  };
}
