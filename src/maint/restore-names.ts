/**
 * Safety of names taken from a repository when restoring: every name becomes exactly one path
 * component below the target, never `..`, never absolute, never with a `/` or NUL inside, and no
 * two children of one directory may land on the same name (the second would write through the
 * first, e.g. through a symlink). Anything else is a tampered repository. Pure.
 */
import { TimefsError } from '../model/errors.js';

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * Checks one on-disk name (exact bytes) of a child of `where` and returns it.
 * @throws TimefsError `repo.tampered`
 */
export function safeComponent(raw: Uint8Array, where: string): Buffer {
  const name = Buffer.from(raw);
  const shown = JSON.stringify(name.toString('utf8'));
  const refuse = (why: string): TimefsError =>
    new TimefsError('repo.tampered', `refusing to restore ${shown} in ${where}: ${why}`, {
      hint: 'the repository holds a name that would write outside the target; it was not written by timefs. Run `timefs check` and restore other paths individually',
    });
  if (name.length === 0) throw refuse('the name is empty');
  if (name.includes(SLASH)) throw refuse('the name contains "/"');
  if (name.includes(0)) throw refuse('the name contains a NUL byte');
  if (name.length === 1 && name[0] === DOT) throw refuse('"." is not a name');
  if (name.length === 2 && name[0] === DOT && name[1] === DOT) throw refuse('".." would leave its directory');
  return name;
}

/** Tracks the names used in one directory and refuses a second child with the same bytes. */
export class NameSet {
  private readonly seen = new Set<string>();

  constructor(private readonly where: string) {}

  /**
   * Records `name`.
   * @throws TimefsError `repo.tampered` on a duplicate
   */
  add(name: Buffer): void {
    const key = name.toString('base64');
    if (this.seen.has(key)) {
      throw new TimefsError('repo.tampered', `refusing to restore ${JSON.stringify(name.toString('utf8'))} in ${this.where}: two entries have this name`, {
        hint: 'the repository was not written by timefs; restore other paths individually',
      });
    }
    this.seen.add(key);
  }
}

/** `dir/name` as a Buffer path (names may not be valid UTF-8). */
export function joinBytes(dir: Buffer, name: Buffer): Buffer {
  return Buffer.concat([dir, Buffer.from('/'), name]);
}
