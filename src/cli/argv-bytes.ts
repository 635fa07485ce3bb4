/**
 * The exact bytes of command-line arguments. Node decodes `argv` as UTF-8 and replaces bytes that
 * are not UTF-8 with U+FFFD, so `timefs cat latest "$(printf '/data/caf\xe9')"` would look up a
 * name that does not exist. On Linux `/proc/self/cmdline` still has the bytes the shell passed;
 * an argument whose text holds U+FFFD gets its bytes from there.
 */
import { readFileSync } from 'node:fs';
import { TimefsError } from '../model/errors.js';
import type { TreePath } from '../view/tree-reader.js';
import { quotePath } from './quote-name.js';

const REPLACEMENT = '\uFFFD';
const SLASH = 0x2f;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

let cmdline: Buffer[] | undefined;

/** The process's arguments as exact bytes (empty where `/proc` is missing). */
function cmdlineArgs(): Buffer[] {
  if (cmdline === undefined) {
    try {
      const bytes = readFileSync('/proc/self/cmdline');
      cmdline = [];
      let start = 0;
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] !== 0) continue;
        cmdline.push(bytes.subarray(start, i));
        start = i + 1;
      }
      if (start < bytes.length) cmdline.push(bytes.subarray(start));
    } catch {
      cmdline = [];
    }
  }
  return cmdline;
}

/**
 * The exact bytes of an argument as Node decoded it: the argument itself when it is exact (no
 * U+FFFD), else the process argument that decodes to this same text (the first, when two
 * arguments differ only in bytes that are not UTF-8).
 */
export function argBytes(arg: string): Buffer {
  if (!arg.includes(REPLACEMENT)) return Buffer.from(arg, 'utf8');
  for (const candidate of cmdlineArgs()) {
    if (candidate.toString('utf8') === arg) return candidate;
  }
  return Buffer.from(arg, 'utf8');
}

/**
 * The exact bytes of the part of `arg` after its first `prefix.length` characters (for
 * `SNAPSHOT:PATH`, where `prefix` is `SNAPSHOT:` and holds no replaced bytes).
 */
export function argSuffixBytes(arg: string, prefix: string): Buffer {
  return argBytes(arg).subarray(Buffer.byteLength(prefix, 'utf8'));
}

/**
 * A local path argument (a push source, a restore target, a mount point) as text. Names that are
 * not UTF-8 are kept exactly inside snapshots, but local paths are handled as text, so such an
 * argument is refused with a clear message instead of being read as some other path.
 */
export function localPathArg(arg: string, what: string): string {
  if (!arg.includes(REPLACEMENT)) return arg;
  const bytes = argBytes(arg);
  if (bytes.toString('utf8') === arg && !bytes.equals(Buffer.from(arg, 'utf8'))) {
    throw new TimefsError('usage', `the ${what} ${quotePath(bytes)} is not valid UTF-8, which timefs does not take in a local path`, {
      hint: 'give a parent directory (names below it are kept exactly) or a symlink whose name is UTF-8',
    });
  }
  return arg;
}

/**
 * A path inside a snapshot from the exact bytes of an argument: segments that are UTF-8 stay
 * text (so NFC-equivalent names are still found), the others are looked up by their exact bytes.
 */
export function snapshotPathOfBytes(bytes: Uint8Array): TreePath {
  const segments: Array<string | Uint8Array> = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== SLASH) continue;
    const part = bytes.subarray(start, i);
    start = i + 1;
    if (part.length === 0) continue;
    try {
      segments.push(strictUtf8.decode(part));
    } catch {
      segments.push(Buffer.from(part));
    }
  }
  return segments;
}

/** A path inside a snapshot from an argument, with the exact bytes the user gave. */
export function snapshotPathArg(arg: string): TreePath {
  return arg.includes(REPLACEMENT) ? snapshotPathOfBytes(argBytes(arg)) : arg;
}
