// The parallel rdiff engine on real worker threads, byte for byte against the system `rdiff`:
// small segments with edge block lengths and matches straddling every segment boundary (in
// process), the CLI on a file large enough to split by default, clean fallback, coded errors.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { concatBytes, loadSignature } from '../../../src/delta/index.js';
import { openDeltaEncoder, openSignatureEncoder, PARALLEL_MIN_BYTES, type AsyncEncoder } from '../../../src/delta/parallel/index.js';
import { WorkerPool } from '../../../src/delta/parallel/worker-pool.js';
import { assertCapsQuiet } from '../../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'timefs-rdiff-parallel-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);

function noise(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

function rdiff(args: string[]): Buffer {
  const out = file('rdiff.out');
  rmSync(out, { force: true });
  execFileSync('rdiff', [...args, out], { stdio: 'ignore' });
  return readFileSync(out);
}

async function run(encoder: AsyncEncoder, data: Uint8Array, chunk: number, expectThreads?: number) {
  assert.equal(encoder.threads, expectThreads ?? encoder.threads);
  try {
    const parts: Uint8Array[] = [];
    for (let p = 0; p < data.length; p += chunk) parts.push(Uint8Array.from(await encoder.update(data.subarray(p, p + chunk))));
    parts.push(Uint8Array.from(await encoder.finish()));
    return Buffer.from(concatBytes(parts));
  } finally {
    await encoder.close();
  }
}

const threads = { threads: 2, minParallelBytes: 0 };

test('worker threads give rdiff’s bytes with small segments, edge block lengths and every kind', async () => {
  const basis = Buffer.concat([noise(150_000, 1), Buffer.alloc(20_000), noise(30_000, 2)]);
  // One inserted byte up front shifts every later match across the 8 KiB segment boundaries.
  const next = Buffer.concat([Buffer.of(42), basis.subarray(0, 90_000), noise(40_000, 3), basis.subarray(95_000), Buffer.from('end')]);
  writeFileSync(file('basis.bin'), basis);
  writeFileSync(file('next.bin'), next);
  for (const flags of [['-b', '1'], ['-b', '64', '-S', '4'], ['-b', '8193', '-R', 'rollsum', '-H', 'md4'], ['-b', '100000'], []]) {
    const tag = flags.join(' ') || 'default';
    const expectedSig = rdiff([...flags, 'signature', file('basis.bin')]);
    writeFileSync(file('basis.sig'), expectedSig);
    const blockLength = Number(flags[flags.indexOf('-b') + 1] ?? 0);
    const signer = await openSignatureEncoder(
      {
        fileSize: basis.length,
        blockLength: flags.includes('-b') ? blockLength : 0,
        strongLength: flags.includes('-S') ? 4 : 0,
        rollsum: flags.includes('rollsum') ? 'rollsum' : 'rabinkarp',
        hash: flags.includes('md4') ? 'md4' : 'blake2',
      },
      { ...threads, sizeHint: basis.length },
    );
    assert.deepEqual(await run(signer, basis, 50_000, 2), expectedSig, `signature ${tag}`);

    const expectedDelta = rdiff(['delta', file('basis.sig'), file('next.bin')]);
    const encoder = await openDeltaEncoder(expectedSig, loadSignature(expectedSig), { ...threads, sizeHint: next.length, segmentLength: 8192 });
    assert.deepEqual(await run(encoder, next, 30_000, 2), expectedDelta, `delta ${tag}`);
  }
});

test('the CLI splits a large file over worker threads, gives rdiff’s bytes and exits promptly', () => {
  const size = PARALLEL_MIN_BYTES + (3 << 20);
  const basis = noise(size, 9);
  writeFileSync(file('big.bin'), basis);
  writeFileSync(file('big-new.bin'), Buffer.concat([Buffer.of(1), basis.subarray(0, 10 << 20), noise(300_000, 10), basis.subarray(11 << 20)]));
  const env = { ...process.env, TIMEFS_RDIFF_THREADS: '2' };
  const timefs = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/run.ts'), 'rdiff', ...args], { cwd: ROOT, env, timeout: 120_000 });
    assertCapsQuiet(['rdiff'], r.stdout, r.stderr);
    return r;
  };
  let r = timefs(['signature', '--json', file('big.bin'), file('big.sig')]);
  assert.equal(r.status, 0, r.stderr?.toString());
  assert.equal(JSON.parse(r.stdout.toString()).threads, 2);
  assert.deepEqual(readFileSync(file('big.sig')), rdiff(['signature', file('big.bin')]));
  r = timefs(['delta', '--json', file('big.sig'), file('big-new.bin'), file('big.delta')]);
  assert.equal(r.status, 0, r.stderr?.toString());
  assert.equal(JSON.parse(r.stdout.toString()).threads, 2);
  assert.deepEqual(readFileSync(file('big.delta')), rdiff(['delta', file('big.sig'), file('big-new.bin')]));
});

test('no threads or a small input stays on this thread with the same bytes', async () => {
  const basis = noise(100_000, 4);
  const sig = await run(await openSignatureEncoder({ blockLength: 512 }, { threads: 0, sizeHint: basis.length, minParallelBytes: 0 }), basis, 4096, 0);
  writeFileSync(file('small.bin'), basis);
  assert.deepEqual(sig, rdiff(['-b', '512', 'signature', file('small.bin')]));
  const small = await run(await openSignatureEncoder({ blockLength: 512 }, { threads: 2, sizeHint: basis.length }), basis, 4096, 0);
  assert.deepEqual(small, sig);
});

test('a worker that fails to set up reports the engine’s error code, and the pool ends its threads', async () => {
  const sig = Buffer.from(rdiff(['-b', '64', 'signature', file('small.bin')]));
  await assert.rejects(WorkerPool.start(2, { mode: 'delta', signature: sig.subarray(0, sig.length - 3) }), { code: 'delta.truncated' });
  // Launched pools boot while the caller works: not accepting jobs until every worker is up.
  const failing = WorkerPool.launch(1, { mode: 'delta', signature: sig.subarray(0, sig.length - 3) });
  assert.equal(failing.accepting, false);
  await assert.rejects(failing.ready, { code: 'delta.truncated' });
  assert.equal(failing.accepting, false);
  const booting = WorkerPool.launch(2, { mode: 'delta', signature: sig });
  assert.equal(booting.accepting, false);
  await booting.ready;
  assert.equal(booting.accepting, true);
  assert.equal(booting.shortestQueue, 0);
  await booting.close();
  assert.equal(booting.accepting, false);
  const pool = await WorkerPool.start(2, { mode: 'delta', signature: sig });
  const reply = await pool.run({ kind: 'scan', data: new Uint8Array(noise(1000, 4)), limit: 900, atEnd: false });
  assert.equal(reply.kind, 'scan');
  await pool.close();
  await assert.rejects(pool.run({ kind: 'scan', data: new Uint8Array(10), limit: 1, atEnd: true }), { code: 'internal' });
});

test('push’s engine shares the threads between a pass’s signature and delta, with rdiff’s bytes', async () => {
  const saved = process.env.TIMEFS_RDIFF_THREADS;
  process.env.TIMEFS_RDIFF_THREADS = '2';
  try {
    const { rdiffEngine } = await import('../../../src/backup/delta-engine.js');
    const next = readFileSync(file('big-new.bin'));
    const oldSig = readFileSync(file('big.sig'));
    const params = loadSignature(rdiff(['signature', file('big-new.bin')])).params;
    const sig = await rdiffEngine.signature(next.length, params.blockLength, params.strongLength, true);
    const delta = await rdiffEngine.delta(oldSig, next.length, true);
    assert.equal(sig.threads, 1);
    assert.equal(delta.threads, 1);
    const sigParts: Uint8Array[] = [];
    const deltaParts: Uint8Array[] = [];
    try {
      for (let p = 0; p < next.length; p += 1 << 20) {
        const chunk = next.subarray(p, p + (1 << 20));
        sigParts.push(await sig.update(chunk));
        deltaParts.push(Uint8Array.from(await delta.update(chunk)));
      }
      sigParts.push(await sig.finish());
      deltaParts.push(Uint8Array.from(await delta.finish()));
    } finally {
      await sig.close();
      await delta.close();
    }
    assert.deepEqual(Buffer.from(concatBytes(sigParts)), rdiff(['signature', file('big-new.bin')]));
    assert.deepEqual(Buffer.from(concatBytes(deltaParts)), readFileSync(file('big.delta')));
    const alone = await rdiffEngine.signature(next.length, params.blockLength, params.strongLength, false);
    assert.equal(alone.threads, 2);
    await alone.close();
  } finally {
    if (saved === undefined) delete process.env.TIMEFS_RDIFF_THREADS;
    else process.env.TIMEFS_RDIFF_THREADS = saved;
  }
});
