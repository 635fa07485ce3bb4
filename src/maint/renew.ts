/**
 * `timefs renew`: renews the leases on everything reachable from the repository root. Tahoe
 * leases last 31 days; data whose leases all expired may be deleted by servers that run garbage
 * collection.
 *
 * Two walks reach the same objects: `window` (the default) lists directories through the one
 * bounded, refilling, breadth-first window every timefs walk uses (store/listing-window.ts) and
 * adds a lease to each object with its own `t=check&add-lease=true`, many in flight; `deep-check`
 * asks the node for one streamed `t=stream-deep-check&add-lease=true`, which walks inside the node
 * one object after another. docs/maintenance.md has the measured figures that chose the default.
 */
import PQueue from 'p-queue';
import { isLiteralCap } from '../store/tahoe/caps.js';
import { ListingWindow } from '../store/listing-window.js';
import type { CallOptions, DeepCheckEvent, DirEntry, HealthReport, Store } from '../store/store.js';

/** Counts from one renewal pass. */
export interface RenewReport {
  /** Objects reached (directories and files, each once). */
  objects: number;
  directories: number;
  files: number;
  /** Readable but with fewer shares than wanted. */
  unhealthy: number;
  /** Not readable at all: no lease could be added. Paths below the root, `/`-joined. */
  unrecoverable: string[];
}

/** How {@link renewLeases} walks the tree. */
export type RenewWalk = 'window' | 'deep-check';

/** Options of {@link renewLeases}. */
export interface RenewOptions extends CallOptions {
  /** Called for every object reached. */
  onObject?: (report: RenewReport, event: DeepCheckEvent) => void;
  /** How to walk (default `window`). */
  walk?: RenewWalk;
  /** `window` walk: directory listings in flight (default 8). */
  listings?: number;
  /** `window` walk: lease requests in flight (default 16). */
  leases?: number;
}

/** Renews leases on every object reachable from `rootCap` and reports what it reached. */
export async function renewLeases(store: Store, rootCap: string, options: RenewOptions = {}): Promise<RenewReport> {
  const report: RenewReport = { objects: 0, directories: 0, files: 0, unhealthy: 0, unrecoverable: [] };
  const count = (event: DeepCheckEvent): void => {
    report.objects++;
    if (event.type === 'directory') report.directories++;
    else report.files++;
    if (event.recoverable === false) report.unrecoverable.push(`/${event.path.join('/')}`);
    else if (event.healthy === false) report.unhealthy++;
    options.onObject?.(report, event);
  };
  if (options.walk === 'deep-check') await renewByDeepCheck(store, rootCap, count, options);
  else await renewByWindow(store, rootCap, count, options);
  return report;
}

async function renewByDeepCheck(store: Store, rootCap: string, count: (event: DeepCheckEvent) => void, options: RenewOptions): Promise<void> {
  const call: CallOptions & { addLease: boolean } = { addLease: true };
  if (options.signal) call.signal = options.signal;
  await store.deepCheck(rootCap, (event) => {
    if (event.type !== 'stats') count(event);
  }, call);
}

interface DirItem {
  cap: string;
  path: string[];
}

/**
 * The window walk: each directory is listed and leased at the same time, each file leased once;
 * an object linked under several names (shared subtrees, packs) is reached once, like deep-check.
 */
async function renewByWindow(store: Store, rootCap: string, count: (event: DeepCheckEvent) => void, options: RenewOptions): Promise<void> {
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  const leases = new PQueue({ concurrency: options.leases ?? 16 });
  const reached = new Set<string>([rootCap]);
  let failure: unknown;
  const lease = (cap: string): Promise<HealthReport> => leases.add(() => store.check(cap, { ...call, addLease: true })) as Promise<HealthReport>;
  const leaseFile = (cap: string, path: string[]): void => {
    lease(cap).then((health) => count({ path, type: 'file', cap, healthy: health.healthy, recoverable: health.recoverable }), (err: unknown) => { failure ??= err; });
  };
  const window: ListingWindow<DirItem> = new ListingWindow(async ({ cap, path }) => {
    const [health, listing] = await Promise.all([lease(cap), store.list(cap, call).catch((err: unknown) => err as Error)]);
    count({ path, type: 'directory', cap, healthy: health.healthy, recoverable: health.recoverable });
    if (listing instanceof Error) {
      if (!health.recoverable) return; // reported above; nothing below it can be reached
      throw listing;
    }
    for (const [name, child] of listing) visitChild(child, [...path, name]);
  }, { concurrency: options.listings ?? 8, ...(options.signal ? { signal: options.signal } : {}) });
  const visitChild = (child: DirEntry, path: string[]): void => {
    if (!isLiteralCap(child.readCap)) {
      if (reached.has(child.readCap)) return;
      reached.add(child.readCap);
    }
    if (child.kind === 'dir') window.add({ cap: child.readCap, path }, child.readCap);
    else leaseFile(child.readCap, path);
  };
  window.add({ cap: rootCap, path: [] }, rootCap);
  await window.done();
  await leases.onIdle();
  if (failure !== undefined) throw failure;
}
