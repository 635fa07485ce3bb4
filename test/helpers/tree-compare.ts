// Test-only: walks two directory trees and lists every difference in type, mode, owner, size,
// mtime (to the nanosecond), symlink target and hard-link sharing.
import { lstat, readdir, readlink } from 'node:fs/promises';

interface Seen {
  kind: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeNs: bigint;
  target?: string;
  ino: number;
  nlink: number;
}

// Names are read and joined as bytes, so names that are not UTF-8 are compared exactly; a path
// key shows each name as UTF-8 when it is, else as `\x..` escapes of its bytes.
async function walk(root: string, rel = '', out = new Map<string, Seen>(), dir: Buffer = Buffer.from(root)): Promise<Map<string, Seen>> {
  for (const name of (await readdir(dir, { encoding: 'buffer' })).sort(Buffer.compare)) {
    const shown = Buffer.from(name.toString('utf8')).equals(name) ? name.toString('utf8') : [...name].map((b) => (b < 0x80 ? String.fromCharCode(b) : `\\x${b.toString(16)}`)).join('');
    const path = rel === '' ? shown : `${rel}/${shown}`;
    const full = Buffer.concat([dir, Buffer.from('/'), name]);
    const info = await lstat(full, { bigint: true });
    const kind = info.isDirectory() ? 'dir' : info.isSymbolicLink() ? 'symlink' : info.isFile() ? 'file' : info.isFIFO() ? 'fifo' : 'other';
    const seen: Seen = {
      kind, mode: Number(info.mode), uid: Number(info.uid), gid: Number(info.gid), size: kind === 'dir' ? 0 : Number(info.size),
      mtimeNs: info.mtimeNs, ino: Number(info.ino), nlink: Number(info.nlink),
    };
    if (kind === 'symlink') seen.target = (await readlink(full, { encoding: 'buffer' })).toString('base64');
    out.set(path, seen);
    if (kind === 'dir') await walk(root, path, out, full);
  }
  return out;
}

/** Differences between the trees below `expectedRoot` and `actualRoot` (empty when they match). */
export async function compareTrees(expectedRoot: string, actualRoot: string): Promise<string[]> {
  const [expected, actual] = await Promise.all([walk(expectedRoot), walk(actualRoot)]);
  const problems: string[] = [];
  for (const [path, want] of expected) {
    const got = actual.get(path);
    if (!got) { problems.push(`${path}: missing`); continue; }
    for (const key of ['kind', 'mode', 'uid', 'gid', 'size', 'mtimeNs', 'target'] as const) {
      if (want[key] !== got[key]) problems.push(`${path}: ${key} ${String(got[key])} != ${String(want[key])}`);
    }
  }
  for (const path of actual.keys()) if (!expected.has(path)) problems.push(`${path}: unexpected`);
  // Hard links: paths sharing an inode in the source must share one in the copy, and only those.
  const groups = (tree: Map<string, Seen>): string[] => {
    const byIno = new Map<number, string[]>();
    for (const [path, seen] of tree) if (seen.kind === 'file' && seen.nlink > 1) byIno.set(seen.ino, [...(byIno.get(seen.ino) ?? []), path]);
    return [...byIno.values()].filter((g) => g.length > 1).map((g) => g.sort().join(' = ')).sort();
  };
  const [wantLinks, gotLinks] = [groups(expected), groups(actual)];
  if (wantLinks.join('\n') !== gotLinks.join('\n')) problems.push(`hard links: ${gotLinks.join('; ')} != ${wantLinks.join('; ')}`);
  return problems;
}
