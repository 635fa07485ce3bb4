/**
 * `timefs renew`: renews the leases on everything reachable from the repository root, with one
 * streamed deep-check (`t=stream-deep-check&add-lease=true`). Tahoe leases last 31 days; data
 * whose leases all expired may be deleted by servers that run garbage collection.
 */
import type { CallOptions, DeepCheckEvent, Store } from '../store/store.js';

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

/** Options of {@link renewLeases}. */
export interface RenewOptions extends CallOptions {
  /** Called for every object reached. */
  onObject?: (report: RenewReport, event: DeepCheckEvent) => void;
}

/** Renews leases on every object reachable from `rootCap` and reports what it reached. */
export async function renewLeases(store: Store, rootCap: string, options: RenewOptions = {}): Promise<RenewReport> {
  const report: RenewReport = { objects: 0, directories: 0, files: 0, unhealthy: 0, unrecoverable: [] };
  const call: CallOptions & { addLease: boolean } = { addLease: true };
  if (options.signal) call.signal = options.signal;
  await store.deepCheck(rootCap, (event) => {
    if (event.type === 'stats') return;
    report.objects++;
    if (event.type === 'directory') report.directories++;
    else report.files++;
    if (event.recoverable === false) report.unrecoverable.push(`/${event.path.join('/')}`);
    else if (event.healthy === false) report.unhealthy++;
    options.onObject?.(report, event);
  }, call);
  return report;
}
