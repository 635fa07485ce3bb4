/**
 * A few worker threads running rdiff-worker.ts, one job at a time each, results in the order
 * they are asked for. Workers are referenced only while a job is in flight, so a pool that is
 * never closed cannot keep the process alive; `close` ends them at once.
 */
import { Worker } from 'node:worker_threads';
import { TimefsError } from '../../model/errors.js';
import type { WorkerJob, WorkerReply, WorkerRequest, WorkerSetup } from './worker-protocol.js';

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(err: unknown): void;
}

interface Lane {
  worker: Worker;
  inFlight: number;
}

/** Runs jobs on worker threads. */
export class WorkerPool {
  /** Settles when every worker is set up; rejects (after ending them) when one cannot start. */
  readonly ready: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: TimefsError | undefined;
  private closed = false;
  private isReady = false;

  private constructor(private readonly lanes: Lane[]) {
    for (const lane of lanes) {
      lane.worker.on('message', (reply: WorkerReply) => this.settle(lane, reply));
      lane.worker.on('error', (err) => this.fail(new TimefsError('delta.worker', `rdiff worker thread failed: ${err.message}`, { cause: err })));
      lane.worker.on('exit', (code) => {
        if (!this.closed) this.fail(new TimefsError('delta.worker', `rdiff worker thread exited unexpectedly (code ${code})`));
      });
    }
    this.ready = Promise.all(lanes.map((lane) => ready(lane.worker))).then(
      () => {
        this.isReady = true;
        for (const lane of lanes) if (lane.inFlight === 0) lane.worker.unref();
      },
      async (err: unknown) => {
        await this.close();
        throw err;
      },
    );
    this.ready.catch(() => undefined); // a pool nobody waits for must not fail the process
  }

  /**
   * Starts `count` workers set up with `setup` and returns at once: they boot while the caller
   * goes on (see {@link accepting} and {@link ready}).
   */
  static launch(count: number, setup: WorkerSetup): WorkerPool {
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < count; i++) workers.push(spawnWorker(setup));
    } catch (err) {
      for (const worker of workers) void worker.terminate();
      throw new TimefsError('delta.worker', `rdiff worker thread could not start: ${(err as Error).message}`, { cause: err });
    }
    return new WorkerPool(workers.map((worker) => ({ worker, inFlight: 0 })));
  }

  /** Starts `count` workers set up with `setup`; resolves when all are ready. Throws `delta.worker` or the engine's error. */
  static async start(count: number, setup: WorkerSetup): Promise<WorkerPool> {
    const pool = WorkerPool.launch(count, setup);
    await pool.ready;
    return pool;
  }

  /** True once every worker is set up, while none has failed and the pool is open. */
  get accepting(): boolean {
    return this.isReady && !this.failure && !this.closed;
  }

  /** Jobs in flight on the least busy worker. */
  get shortestQueue(): number {
    return Math.min(...this.lanes.map((lane) => lane.inFlight));
  }

  /** Number of worker threads. */
  get size(): number {
    return this.lanes.length;
  }

  /** Runs `job` on the least busy worker; `transfer` lists buffers moved (not copied) to it. */
  run(job: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new TimefsError('internal', 'rdiff worker pool used after close'));
    const lane = this.lanes.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.nextId++;
    if (lane.inFlight++ === 0) lane.worker.ref();
    return new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      lane.worker.postMessage({ ...job, id } as WorkerJob, transfer);
    });
  }

  /** Ends every worker. Jobs still in flight are rejected. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rejectAll(new TimefsError('internal', 'rdiff worker pool closed with jobs in flight'));
    await Promise.all(this.lanes.map((lane) => lane.worker.terminate()));
  }

  private settle(lane: Lane, reply: WorkerReply): void {
    if (reply.kind === 'ready') return; // see ready()
    if (--lane.inFlight === 0) lane.worker.unref();
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (reply.kind === 'error') pending.reject(new TimefsError(reply.code, reply.message));
    else pending.resolve(reply);
  }

  private fail(err: TimefsError): void {
    this.failure ??= err;
    this.rejectAll(err);
  }

  private rejectAll(err: unknown): void {
    for (const { reject } of this.pending.values()) reject(err);
    this.pending.clear();
  }
}

/** A worker running rdiff-worker (compiled; or the TypeScript source through tsx, as in tests). */
function spawnWorker(setup: WorkerSetup): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./rdiff-worker.js', import.meta.url), { workerData: setup });
  // Node 20 does not apply the parent's `--import tsx` hooks to a worker's entry: register them first.
  const entry = new URL('./rdiff-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => tsx.register()).then(() => import(${JSON.stringify(entry)}))`;
  return new Worker(boot, { eval: true, workerData: setup });
}

function ready(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(new TimefsError('delta.worker', `rdiff worker thread could not start: ${err.message}`, { cause: err }));
    worker.once('error', onError);
    worker.once('message', (message: WorkerReply) => {
      worker.off('error', onError);
      if (message.kind === 'error') reject(new TimefsError(message.code, message.message));
      else resolve();
    });
  });
}
