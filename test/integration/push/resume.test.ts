import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TimefsError } from '../../../src/model/errors.js';
import type { Store } from '../../../src/store/store.js';
import { fileContent, freshRepo, nodeUrl, pushOnce, snapshotList, walkSnapshot } from './push-fixture.js';

const child = join(import.meta.dirname, 'push-child.ts');

function randomBytesSeeded(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i * 32 < size; i++) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, i * 32);
  return out;
}

async function makeTree(src: string, seed = randomUUID()): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  await mkdir(join(src, 'a', 'b'), { recursive: true });
  await mkdir(join(src, 'c'), { recursive: true });
  for (let i = 0; i < 24; i++) {
    const dir = ['', 'a', 'a/b', 'c'][i % 4]!;
    const size = i % 3 === 0 ? 300_000 + i * 1000 : 200 + i * 50;
    const path = join(src, dir, `f${i}`);
    files.set(path, randomBytesSeeded(`${seed}-f${i}`, size));
    await writeFile(path, files.get(path)!);
    await utimes(path, 1_600_000_000, 1_600_000_000);
  }
  return files;
}

async function assertSnapshotMatches(store: Store, cap: string, files: Map<string, Buffer>): Promise<void> {
  const tree = await walkSnapshot(store, cap);
  for (const [path, content] of files) {
    const entry = tree.get(path);
    assert.ok(entry, `snapshot lacks ${path}`);
    assert.deepEqual(await fileContent(store, entry), content, `content of ${path}`);
  }
}

/** Runs the child; when `killAt` is given, SIGKILLs it `delayMs` after it prints that phase marker for the `nth` time. */
function runChild(args: string[], killAt?: { phase: string; nth: number; delayMs: number }): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let seen = 0;
    let buffered = '';
    proc.stderr.on('data', (d) => { stderr += d; });
    proc.stdout.on('data', (d) => {
      buffered += d;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (killAt && line === killAt.phase && ++seen === killAt.nth) setTimeout(() => proc.kill('SIGKILL'), killAt.delayMs);
      }
    });
    proc.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

test('push (grid): SIGKILL at random moments never leaves a half snapshot; the next push resumes without re-uploading', async () => {
  const { store, snapshotsCap, base, src, state } = await freshRepo();
  const log = join(base, 'uploads.log');
  await writeFile(log, '');
  const files = await makeTree(src);
  const args = [nodeUrl(), snapshotsCap, state, log, src];
  // Every snapshot must hold exactly the files of one batch boundary: never a partial tree.
  const batches: Array<Map<string, Buffer>> = [new Map(files)];
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const plan = [
    { phase: 'start', nth: 1, delayMs: 300 }, // during start-up or the scan
    { phase: 'scan', nth: 1, delayMs: 0 }, // right after the scan
    { phase: 'upload', nth: 1, delayMs: 0 }, // after the first job
    { phase: 'upload', nth: 3, delayMs: 20 },
    { phase: 'upload', nth: 2, delayMs: 5 },
    { phase: 'commit', nth: 1, delayMs: 0 }, // tree built, snapshot not yet linked (or just linked)
    { phase: 'start', nth: 1, delayMs: 600 },
  ];
  let kills = 0;
  let unhappy = 0;
  // Fresh content every test run, so that the retries, not an earlier run's objects, get past a blocked upload.
  const runId = randomUUID();
  try {
    for (const [i, killAt] of plan.entries()) {
      // New files every round, so every run has uploads to interrupt.
      const next = new Map(batches.at(-1)!);
      for (let j = 0; j < 4; j++) {
        const path = join(src, 'c', `round${i}-${j}`);
        const data = randomBytesSeeded(`${runId}-r${i}-${j}`, j === 0 ? 120_000 : 300 + Math.floor(random() * 5000));
        await writeFile(path, data);
        await utimes(path, 1_600_000_000, 1_600_000_000);
        next.set(path, data);
      }
      batches.push(next);
      const result = await runChild(args, killAt);
      // No pause after a kill: the next push starts at once, while the client node may still be
      // placing (or have given up half done) the upload the kill cut off. The storage servers then
      // refuse that object "in progress" (for up to 30 minutes when the node gave it up); push
      // retries it, and every upload here (packs, new files with their signature, directories)
      // may be padded to a new storage index, so no run may fail.
      if (result.signal === 'SIGKILL') kills++;
      else if (result.code !== 0) {
        assert.match(result.stderr, /not enough storage servers/, result.stderr);
        unhappy++;
      }
      for (const snap of await snapshotList(store, snapshotsCap)) await assertSnapshotIsABatch(store, snap.cap, batches, src);
    }
    const final = await runChild(args);
    assert.equal(final.code, 0, final.stderr);
    const snaps = await snapshotList(store, snapshotsCap);
    for (const snap of snaps) await assertSnapshotIsABatch(store, snap.cap, batches, src);
    await assertSnapshotMatches(store, snaps.at(-1)!.cap, batches.at(-1)!);
    assert.equal(unhappy, 0, `${unhappy} runs refused by the grid`);
    assert.ok(kills >= 4, `only ${kills} of ${plan.length} runs were killed`);
    // Count repeated uploads: only work in flight at a kill may be repeated (2 jobs × a few objects each).
    const caps = (await readFile(log, 'utf8')).split('\n').filter((c) => c && !c.startsWith('URI:LIT:') && !c.startsWith('URI:DIR2-LIT:'));
    const seen = new Map<string, number>();
    for (const cap of caps) seen.set(cap, (seen.get(cap) ?? 0) + 1);
    const repeats = [...seen.values()].reduce((n, c) => n + c - 1, 0);
    assert.ok(repeats <= kills * 2 * 4, `${repeats} repeated uploads after ${kills} kills`);
    assert.deepEqual(await readdir(join(state, 'spool')).catch(() => []), [], 'the spool is empty after a finished push');
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

async function assertSnapshotIsABatch(store: Store, cap: string, batches: Array<Map<string, Buffer>>, src: string): Promise<void> {
  const tree = await walkSnapshot(store, cap);
  const present = [...tree.entries()].filter(([p, e]) => p.startsWith(`${src}/`) && e.meta.type === 'file').map(([p]) => p).sort();
  const batch = batches.find((b) => b.size === present.length && present.every((p) => b.has(p)));
  assert.ok(batch, `a snapshot holds ${present.length} files, matching no complete state of the tree`);
  await assertSnapshotMatches(store, cap, batch);
}

test('push (grid): the grid failing mid-push is a clear error; the next push finishes without uploading twice', async () => {
  const { store, snapshotsCap, base, src, state } = await freshRepo();
  const files = await makeTree(src);
  const done = new Set<string>();
  let allowed = 6;
  const failing: Store = Object.assign(Object.create(store) as Store, {
    async putImmutable(body: Parameters<Store['putImmutable']>[0]) {
      if (allowed-- <= 0) throw new TimefsError('grid.unreachable', 'the Tahoe node at http://127.0.0.1:1/ does not answer');
      const cap = await store.putImmutable(body);
      done.add(cap);
      return cap;
    },
  });
  try {
    await assert.rejects(pushOnce(failing, snapshotsCap, state, { paths: [src], concurrency: 1 }), (err) => err instanceof TimefsError && err.code === 'grid.unreachable');
    assert.equal((await snapshotList(store, snapshotsCap)).length, 0, 'no snapshot from a failed push');
    let repeated = 0;
    const counting: Store = Object.assign(Object.create(store) as Store, {
      async putImmutable(body: Parameters<Store['putImmutable']>[0]) {
        const cap = await store.putImmutable(body);
        if (done.has(cap) && !cap.startsWith('URI:LIT:')) repeated++;
        return cap;
      },
    });
    const result = await pushOnce(counting, snapshotsCap, state, { paths: [src], concurrency: 1 });
    assert.ok(result.resumed, 'the interrupted snapshot was finished first');
    assert.ok(repeated <= 2, `only the job in flight is repeated (got ${repeated})`);
    for (const snap of await snapshotList(store, snapshotsCap)) await assertSnapshotMatches(store, snap.cap, files);
    await sleep(0);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
