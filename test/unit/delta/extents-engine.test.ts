import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { composeChain } from '../../../src/delta/extent-compose.js';
import { slicePieces, type ExtentList } from '../../../src/delta/extents.js';
import { deltaOf, patchBytes, signatureOf } from '../../../src/delta/index.js';
import { editedVersions } from '../../helpers/view-suite.js';

function materialise(list: ExtentList, base: Uint8Array, deltas: readonly Uint8Array[]): Buffer {
  return Buffer.concat(slicePieces(list, 0, list.size).map((p) => (p.source === 'base'
    ? base.subarray(p.position, p.position + p.length)
    : (deltas[p.delta] as Uint8Array).subarray(p.offset, p.offset + p.length))));
}

// Deltas made by the real engines (ours and the system rdiff), not by the test encoder.
describe('extent lists of real rdiff deltas', () => {
  for (const blockLength of [0, 64, 700, 4096]) {
    it(`a depth-20 chain with block length ${blockLength || 'default'} composes to the patched bytes`, async () => {
      const versions = editedVersions(100 + blockLength, 21, 120_000);
      const deltas: Uint8Array[] = [];
      let patched = versions[0] as Uint8Array;
      for (let i = 1; i < versions.length; i++) {
        const delta = await deltaOf(await signatureOf(versions[i - 1] as Uint8Array, { blockLength }), versions[i] as Uint8Array);
        deltas.push(delta);
        patched = await patchBytes(patched, delta);
      }
      const list = composeChain((versions[0] as Uint8Array).length, deltas);
      const last = versions[versions.length - 1] as Uint8Array;
      assert.equal(Buffer.compare(patched, last), 0, 'the engine patches back the reference');
      assert.equal(Buffer.compare(materialise(list, versions[0] as Uint8Array, deltas), last), 0);
    });
  }

  const dir = mkdtempSync(join(tmpdir(), 'timefs-extents-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  it('deltas written by the system rdiff compose to the same bytes', () => {
    const versions = editedVersions(7, 21, 60_000);
    const deltas: Uint8Array[] = [];
    for (let i = 1; i < versions.length; i++) {
      writeFileSync(join(dir, 'old'), versions[i - 1] as Uint8Array);
      writeFileSync(join(dir, 'new'), versions[i] as Uint8Array);
      for (const args of [['signature', '-b', '512', 'old', 'sig'], ['delta', 'sig', 'new', 'delta']]) {
        const r = spawnSync('rdiff', ['-f', ...args], { cwd: dir });
        assert.equal(r.status, 0, `rdiff ${args[0]} failed: ${r.stderr?.toString()}`);
      }
      deltas.push(new Uint8Array(readFileSync(join(dir, 'delta'))));
    }
    const list = composeChain((versions[0] as Uint8Array).length, deltas);
    assert.equal(Buffer.compare(materialise(list, versions[0] as Uint8Array, deltas), versions[versions.length - 1] as Uint8Array), 0);
  });
});
