/**
 * Applying one index delta in memory, in one pass and without copying twice, while keeping note
 * of which output ranges were copied from the old text and from where: the lines that a copy
 * carries over whole are unchanged lines, so what changed between two indexes can be found
 * without comparing the texts line by line (see index-changes.ts). Pure.
 */
import { TimefsError } from '../model/errors.js';
import { checkDeltaMagic, readCommand } from '../delta/delta-format.js';

/** One COPY of the delta: `length` bytes of the old text at `from` went to `to` in the new one. */
export interface CopiedRange {
  to: number;
  from: number;
  length: number;
}

/** A patched text and the copies that made it. */
export interface PatchedText {
  bytes: Buffer;
  copies: CopiedRange[];
}

/**
 * Applies the rdiff `delta` to `old`. `expectedSize`, when known, sizes the output at once (a
 * delta producing another length is refused).
 * @throws TimefsError `delta.corrupt` / `delta.truncated` / `delta.bad-magic`
 */
export function patchIndexText(old: Uint8Array, delta: Uint8Array, expectedSize?: number): PatchedText {
  checkDeltaMagic(delta);
  const copies: CopiedRange[] = [];
  let out = Buffer.allocUnsafe(expectedSize ?? Math.max(old.length, 1024));
  let size = 0;
  const room = (more: number): void => {
    if (size + more <= out.length) return;
    if (expectedSize !== undefined) throw new TimefsError('delta.corrupt', `the delta makes more than the ${expectedSize} bytes expected`);
    const grown = Buffer.allocUnsafe(Math.max(out.length * 2, size + more));
    out.copy(grown, 0, 0, size);
    out = grown;
  };
  let p = 4;
  for (;;) {
    const decoded = readCommand(delta, p);
    if (!decoded) throw new TimefsError('delta.truncated', 'the delta ends before its END command');
    const { command, next } = decoded;
    if (command.op === 'end') break;
    if (command.op === 'literal') {
      const end = command.dataOffset + command.length;
      if (end > delta.length) throw new TimefsError('delta.truncated', 'the delta ends inside a literal');
      room(command.length);
      out.set(delta.subarray(command.dataOffset, end), size);
      size += command.length;
      p = end;
      continue;
    }
    if (command.position + command.length > old.length) throw new TimefsError('delta.truncated', 'a COPY reaches past the end of the old index');
    room(command.length);
    out.set(old.subarray(command.position, command.position + command.length), size);
    const last = copies.at(-1);
    if (last && last.to + last.length === size && last.from + last.length === command.position) last.length += command.length;
    else copies.push({ to: size, from: command.position, length: command.length });
    size += command.length;
    p = next;
  }
  if (expectedSize !== undefined && size !== expectedSize) throw new TimefsError('delta.corrupt', `the delta makes ${size} bytes, not the ${expectedSize} expected`);
  return { bytes: out.subarray(0, size), copies };
}
