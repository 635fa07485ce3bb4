/**
 * Parsing of the node's JSON answers (`t=json` listings, `t=check` results, deep-check lines)
 * into the Store types, rejecting shapes we do not understand.
 */
import { TimefsError } from '../../model/errors.js';
import type { DeepCheckEvent, DirEntry, HealthReport } from '../store.js';

type Json = Record<string, unknown>;

function bad(what: string, why: string): TimefsError {
  return new TimefsError('grid.bad-response', `${what}: unexpected answer from the node (${why})`);
}

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw bad(what, 'not JSON');
  }
}

/** Children of a directory from `GET …?t=json`. */
export function parseListing(text: string, what: string): Map<string, DirEntry> {
  const node = parse(text, what);
  if (!Array.isArray(node) || typeof node[1] !== 'object' || node[1] === null) throw bad(what, 'not a node description');
  if (node[0] === 'unknown') {
    throw new TimefsError('grid.gone', `${what}: the grid cannot retrieve this directory`, { hint: 'check the cap, or the grid with `npm run grid:status`' });
  }
  if (node[0] !== 'dirnode') throw new TimefsError('grid.refused', `${what}: not a directory`);
  const children = (node[1] as Json).children;
  if (typeof children !== 'object' || children === null) throw bad(what, 'no children');
  const out = new Map<string, DirEntry>();
  for (const [name, value] of Object.entries(children as Json)) {
    if (!Array.isArray(value)) throw bad(what, `child ${JSON.stringify(name)}`);
    const [type, info] = value as [string, Json];
    const readCap = typeof info.ro_uri === 'string' ? info.ro_uri : undefined;
    const writeCap = typeof info.rw_uri === 'string' ? info.rw_uri : undefined;
    const cap = writeCap ?? readCap;
    if (cap === undefined) throw bad(what, `child ${JSON.stringify(name)} has no cap`);
    const entry: DirEntry = {
      name: name.normalize('NFC'),
      kind: type === 'dirnode' ? 'dir' : 'file',
      cap,
      readCap: readCap ?? cap,
      mutable: info.mutable === true,
      metadata: typeof info.metadata === 'object' && info.metadata !== null ? (info.metadata as Record<string, unknown>) : {},
    };
    if (typeof info.size === 'number') entry.size = info.size;
    out.set(entry.name, entry);
  }
  return out;
}

/** Health from `POST …?t=check&output=JSON`. */
export function parseCheck(text: string, what: string, literal: boolean): HealthReport {
  const body = parse(text, what) as Json;
  const results = body?.results as Json | undefined;
  if (typeof results !== 'object' || results === null) throw bad(what, 'no check results');
  return healthOf(results, literal);
}

function healthOf(results: Json, literal: boolean): HealthReport {
  const num = (key: string) => (typeof results[key] === 'number' ? (results[key] as number) : 0);
  const healthy = results.healthy === true;
  const sharesGood = num('count-shares-good');
  const sharesNeeded = num('count-shares-needed');
  const recoverable = typeof results.recoverable === 'boolean' ? results.recoverable : literal || healthy || (sharesNeeded > 0 && sharesGood >= sharesNeeded);
  return { healthy, recoverable, sharesGood, sharesNeeded, sharesTotal: num('count-shares-expected'), literal };
}

/** One NDJSON line of `t=stream-deep-check`; throws on the `ERROR:` line that ends a failed traversal. */
export function parseDeepCheckLine(line: string, what: string): DeepCheckEvent | undefined {
  if (line.trim() === '') return undefined;
  if (line.startsWith('ERROR:')) {
    throw new TimefsError('grid.gone', `${what}: the deep-check stopped: ${line.slice(6).trim().slice(0, 200)}`, {
      hint: 'part of the tree cannot be read; check the grid and run the check again',
    });
  }
  const obj = parse(line, what) as Json;
  const event: DeepCheckEvent = { path: Array.isArray(obj.path) ? (obj.path as string[]) : [], type: String(obj.type ?? 'unknown') };
  if (typeof obj.cap === 'string') event.cap = obj.cap;
  const check = (obj['check-results'] ?? (obj['check-and-repair-results'] as Json | undefined)?.['post-repair-results']) as Json | undefined;
  const results = check?.results as Json | undefined;
  if (results) {
    const health = healthOf(results, typeof event.cap === 'string' && event.cap.startsWith('URI:LIT:'));
    event.healthy = health.healthy;
    event.recoverable = health.recoverable;
  } else if (event.type !== 'stats' && typeof event.cap === 'string' && /^URI:(DIR2-)?LIT:/.test(event.cap)) {
    event.healthy = true;
    event.recoverable = true;
  }
  return event;
}
