/**
 * Unified diffs of two versions of a text file for `timefs diff --content`, made by the system's
 * `diff -u` (GNU diffutils) on temporary copies. Binary or large content gets a one-line note.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TimefsError } from '../model/errors.js';

/** Content larger than this is not shown as a text diff. */
export const MAX_TEXT_DIFF_BYTES = 4 * 1024 * 1024;

/** True when `data` looks like text: no NUL byte in its first 8 KiB. */
export function looksLikeText(data: Uint8Array): boolean {
  return !data.subarray(0, 8192).includes(0);
}

/** The unified diff of `before` and `after` labelled `a/PATH` and `b/PATH` (empty when equal). */
export async function unifiedDiff(before: Uint8Array, after: Uint8Array, labelBefore: string, labelAfter: string): Promise<string> {
  if (!looksLikeText(before) || !looksLikeText(after)) return `Binary files ${labelBefore} and ${labelAfter} differ\n`;
  const dir = await mkdtemp(join(tmpdir(), 'timefs-diff-'));
  try {
    await Promise.all([writeFile(join(dir, 'a'), before), writeFile(join(dir, 'b'), after)]);
    return await new Promise<string>((resolve, reject) => {
      const child = spawn('diff', ['-u', '--label', labelBefore, '--label', labelAfter, join(dir, 'a'), join(dir, 'b')], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.on('error', (err) => reject(new TimefsError('io', `cannot run diff: ${err.message}`, { cause: err, hint: 'install GNU diffutils' })));
      child.on('close', (code) => (code === 0 || code === 1 ? resolve(Buffer.concat(out).toString('utf8')) : reject(new TimefsError('io', `diff exited with ${code}`))));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
