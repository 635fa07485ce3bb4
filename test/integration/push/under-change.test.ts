import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileContent, freshRepo, pushOnce, snapshotList, walkSnapshot } from './push-fixture.js';

// Rewrites the second half of `rewrite` in place with one byte value per version (never atomic
// for a reader), and appends numbered lines to `append`, until killed.
const WRITER = `
const fs = require('node:fs');
const [rewrite, append] = process.argv.slice(1);
const half = 1 << 20;
let v = 0;
const fd = fs.openSync(rewrite, 'r+');
setInterval(() => {
  v = (v + 1) % 200;
  fs.writeSync(fd, Buffer.alloc(half, v + 1), 0, half, half);
  fs.appendFileSync(append, 'line ' + v + '\\n'.repeat(1) + 'x'.repeat(2000) + '\\n');
}, 60);
`;

test('push (grid): files rewritten or appended while being read are stored as content that existed; chains stay readable; the next push catches up', async () => {
  const { store, snapshotsCap, base, src, state } = await freshRepo();
  await mkdir(src);
  const rewrite = join(src, 'rewrite.bin');
  const append = join(src, 'append.log');
  await writeFile(rewrite, Buffer.concat([Buffer.alloc(1 << 20, 0xee), Buffer.alloc(1 << 20, 0)]));
  await writeFile(append, 'start\n');
  const writer = spawn(process.execPath, ['-e', WRITER, rewrite, append], { stdio: 'ignore' });
  const warnings: string[] = [];
  try {
    for (let i = 0; i < 4; i++) await pushOnce(store, snapshotsCap, state, { paths: [src] }, { onWarning: (w) => warnings.push(`${w.path}: ${w.reason}`) });
  } finally {
    writer.kill('SIGKILL');
    await new Promise((r) => writer.once('exit', r));
  }
  try {
    const final = await pushOnce(store, snapshotsCap, state, { paths: [src] });
    assert.equal(final.stats.warnings, 0);
    const snaps = await snapshotList(store, snapshotsCap);
    assert.equal(snaps.length, 5);
    const appendFinal = await readFile(append);
    for (const snap of snaps) {
      const tree = await walkSnapshot(store, snap.cap);
      const r = await fileContent(store, tree.get(rewrite)!);
      assert.equal(r.length, 2 << 20);
      assert.ok(r.subarray(0, 1 << 20).every((b) => b === 0xee), 'first half intact');
      const second = r.subarray(1 << 20);
      assert.ok(second.every((b) => b === second[0]), `snapshot ${snap.name}: the rewritten half mixes two versions`);
      const a = await fileContent(store, tree.get(append)!);
      assert.deepEqual(a, appendFinal.subarray(0, a.length), 'the appended file is a prefix of what was written');
      const { createBLAKE2b } = await import('hash-wasm');
      const h = await createBLAKE2b(256);
      h.init();
      h.update(r);
      assert.equal(tree.get(rewrite)!.meta.hash, h.digest('hex'), 'the recorded hash is that of the stored content');
    }
    const last = await walkSnapshot(store, snaps.at(-1)!.cap);
    assert.deepEqual(await fileContent(store, last.get(rewrite)!), await readFile(rewrite), 'the last push has the final content');
    assert.deepEqual(await fileContent(store, last.get(append)!), appendFinal);
    assert.ok(warnings.length <= 4, warnings.join('\n'));
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
