/**
 * Small facts this machine remembers about a repository, beside the catalog in its state
 * directory (`notes.json`): when a recovery sheet was last printed (`timefs key`) and when the
 * leases were last renewed (`timefs renew`). `timefs doctor` reads them. Like the rest of the
 * local state they are private to the user (private-dir.ts: the directory 0700, the file 0600).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TimefsError } from '../model/errors.js';
import { makePrivateDir } from './private-dir.js';

/** What `notes.json` holds. Unknown fields are kept. */
export interface MachineNotes {
  /** ISO time `timefs key` last printed a recovery sheet for this repository on this machine. */
  keyPrintedAt?: string;
  /** ISO time `timefs key --write` last printed a sheet with the write cap. */
  writeKeyPrintedAt?: string;
  /** ISO time `timefs renew` last completed with every object reached. */
  leasesRenewedAt?: string;
  [key: string]: unknown;
}

const FILE = 'notes.json';

/** The notes of the repository whose state directory is `stateDir` (empty when none were written). */
export async function readMachineNotes(stateDir: string): Promise<MachineNotes> {
  const path = join(stateDir, FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new TimefsError('io', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as MachineNotes) : {};
  } catch {
    // Only a cache of facts: a damaged file is treated as no notes, and the next write replaces it.
    return {};
  }
}

/** Merge `changes` into the notes, written atomically (temporary file, then rename). */
export async function updateMachineNotes(stateDir: string, changes: Partial<MachineNotes>): Promise<MachineNotes> {
  const notes = { ...(await readMachineNotes(stateDir)), ...changes };
  const path = join(stateDir, FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await makePrivateDir(stateDir);
    await writeFile(temporary, `${JSON.stringify(notes, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, path);
  } catch (err) {
    throw new TimefsError('io', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
  return notes;
}
