/**
 * Could this machine's backups be restored without its own disk? The judgement `timefs doctor`
 * prints, made from facts the CLI gathers (local notes, the node's view of the grid, the oldest
 * snapshot). Pure: no I/O here.
 */
import type { MachineNotes } from '../catalog/machine-notes.js';
import type { EncodingParameters } from '../store/tahoe/node-directory.js';
import type { NodeStatus } from '../store/tahoe/node-status.js';

/** Tahoe's lease duration (storage/server.py DEFAULT_RENEWAL_TIME). */
export const LEASE_DAYS = 31;
/** Tahoe's advice for small grids: renew weekly. */
export const RENEW_EVERY_DAYS = 7;

/** How one check came out: `fail` means a restore or a push would not work now. */
export type FindingStatus = 'ok' | 'warn' | 'fail';

/** One line of the doctor's report. */
export interface Finding {
  check: 'repository' | 'recovery-sheet' | 'introducer' | 'node' | 'servers' | 'leases';
  status: FindingStatus;
  message: string;
  /** What to do about it. */
  hint?: string;
}

/** What the doctor looked at. */
export interface ReadinessFacts {
  now: Date;
  nodeUrl: string;
  nodeDirectory: string;
  /** The node's answer, or why it gave none. */
  node: NodeStatus | { error: string };
  introducer?: string;
  encoding?: EncodingParameters;
  /** Undefined when the repository could not be opened. */
  repository?: { repoId: string; notes: MachineNotes; snapshots: number; oldestSnapshot?: string };
  /** Why the repository could not be opened (caps already redacted). */
  repositoryError?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Every finding, in the order they are printed. */
export function assessReadiness(facts: ReadinessFacts): Finding[] {
  const findings: Finding[] = [];
  if (facts.repository) {
    findings.push({ check: 'repository', status: 'ok', message: `repository ${facts.repository.repoId} opened: ${facts.repository.snapshots} snapshot(s)` });
    findings.push(sheetFinding(facts.repository.notes));
  } else {
    findings.push({ check: 'repository', status: 'fail', message: `the repository could not be opened: ${facts.repositoryError ?? 'unknown reason'}` });
  }
  findings.push(
    facts.introducer
      ? { check: 'introducer', status: 'ok', message: `the grid's introducer fURL is in ${facts.nodeDirectory}` }
      : {
          check: 'introducer',
          status: 'warn',
          message: `no introducer fURL in ${facts.nodeDirectory}: a new machine needs it to find the grid`,
          hint: 'pass --node-directory for the client node, or note the fURL from the grid\'s operator on your recovery sheet',
        },
  );
  findings.push(...nodeFindings(facts));
  if (facts.repository) findings.push(leaseFinding(facts.now, facts.repository.notes, facts.repository.oldestSnapshot));
  return findings;
}

/** The worst status among the findings. */
export function worstStatus(findings: readonly Finding[]): FindingStatus {
  if (findings.some((f) => f.status === 'fail')) return 'fail';
  return findings.some((f) => f.status === 'warn') ? 'warn' : 'ok';
}

function sheetFinding(notes: MachineNotes): Finding {
  if (!notes.keyPrintedAt) {
    return {
      check: 'recovery-sheet',
      status: 'warn',
      message: 'no recovery sheet is known to have been printed: if this machine is lost, its backups cannot be found again',
      hint: 'run `timefs key` (add --qr for a paper copy) and keep the sheet off this machine',
    };
  }
  const write = notes.writeKeyPrintedAt ? `; one with the write cap on ${notes.writeKeyPrintedAt}` : '';
  return { check: 'recovery-sheet', status: 'ok', message: `a recovery sheet was printed on ${notes.keyPrintedAt}${write}` };
}

function nodeFindings(facts: ReadinessFacts): Finding[] {
  if ('error' in facts.node) {
    return [{
      check: 'node',
      status: 'fail',
      message: `the Tahoe client node at ${facts.nodeUrl} does not answer: ${facts.node.error}`,
      hint: 'start it with `tahoe run` (or `npm run grid:start` for the local grid), or pass --node-url',
    }];
  }
  const { introducers, servers } = facts.node;
  const reached = introducers.filter((s) => s.startsWith('Connected')).length;
  const node: Finding = reached > 0
    ? { check: 'node', status: 'ok', message: `the node at ${facts.nodeUrl} answers and is connected to ${reached} of ${introducers.length} introducer(s)` }
    : {
        check: 'node',
        status: 'warn',
        message: `the node at ${facts.nodeUrl} answers but reaches no introducer${introducers.length > 0 ? ` (${introducers.join('; ')})` : ''}`,
        hint: 'it keeps the servers it already knows; check the introducer fURL and the network',
      };
  const connected = servers.filter((s) => s.connected);
  const down = servers.filter((s) => !s.connected).map((s) => s.nickname);
  const seen = `${connected.length} of ${servers.length} known storage server(s) connected${down.length > 0 ? ` (not: ${down.join(', ')})` : ''}`;
  const encoding = facts.encoding;
  let status: FindingStatus;
  let hint: string | undefined;
  if (connected.length === 0 || (encoding && connected.length < encoding.needed)) {
    status = 'fail';
    hint = 'nothing can be read or written: wait for the storage servers, or check the node\'s connections';
  } else if (encoding && connected.length < encoding.happy) {
    status = 'fail';
    hint = `pushes need ${encoding.happy} servers (shares.happy) and will fail until more connect; reads still work`;
  } else if (encoding && connected.length < encoding.total) {
    status = 'warn';
    hint = `fewer than ${encoding.total} servers (shares.total): uploads still succeed, with less redundancy`;
  } else {
    status = 'ok';
  }
  return [node, { check: 'servers', status, message: seen, ...(hint ? { hint } : {}) }];
}

function leaseFinding(now: Date, notes: MachineNotes, oldestSnapshot: string | undefined): Finding {
  const renewed = notes.leasesRenewedAt;
  const basis = renewed ?? oldestSnapshot;
  if (!basis || Number.isNaN(Date.parse(basis))) return { check: 'leases', status: 'ok', message: 'no snapshots yet: no leases to renew' };
  const days = Math.floor((now.getTime() - Date.parse(basis)) / DAY_MS);
  const since = renewed
    ? `leases last renewed from this machine on ${renewed} (${days} day(s) ago)`
    : `no lease renewal recorded on this machine; the oldest snapshot's leases date from ${oldestSnapshot} (${days} day(s) ago)`;
  const hint = 'run `timefs renew` (weekly, e.g. with mount-examples/timefs-renew.timer)';
  if (days >= LEASE_DAYS) {
    return {
      check: 'leases',
      status: 'fail',
      message: `${since}: leases last ${LEASE_DAYS} days, so storage servers that collect garbage may already have deleted shares`,
      hint: 'run `timefs renew` now, then `timefs check` to see whether anything was lost',
    };
  }
  if (days >= RENEW_EVERY_DAYS) return { check: 'leases', status: 'warn', message: `${since}: due for renewal`, hint };
  const due = new Date(Date.parse(basis) + RENEW_EVERY_DAYS * DAY_MS).toISOString().slice(0, 10);
  return { check: 'leases', status: 'ok', message: `${since}; next renewal due by ${due}` };
}
