/**
 * Store benchmark: 64 MiB upload and download through TahoeStore vs `tahoe put` / `tahoe get`
 * on the same local grid in the same run, plus the latency of 64 KiB ranged reads.
 *   npm run bench:store        (env BENCH_MIB=64, BENCH_REPS=3, BENCH_RANGES=30)
 * Ratios are reference time / our time: ≥ 1.0 means timefs is at least as fast.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultGridConfig, nodeDir, startGrid, tahoeCommand } from './grid/local-grid.js';
import { TahoeStore } from '../src/store/tahoe/tahoe-store.js';

const MiB = 1024 * 1024;
const size = Number(process.env.BENCH_MIB ?? 64) * MiB;
const reps = Number(process.env.BENCH_REPS ?? 3);
const rangeCount = Number(process.env.BENCH_RANGES ?? 30);

const config = defaultGridConfig();
const nodeUrl = await startGrid(config);
const clientDir = nodeDir(config, 'client');
const store = new TahoeStore({ nodeUrl });
const work = mkdtempSync(join(tmpdir(), 'timefs-bench-'));

function tahoe(args: string[]): string {
  const r = spawnSync(tahoeCommand(), ['--node-directory', clientDir, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`tahoe ${args[0]} failed: ${r.stderr.slice(-300)}`);
  return r.stdout.trim();
}

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** A fresh random file each time, so no upload is shortened by convergence ("already have it"). */
function freshFile(name: string): string {
  const path = join(work, name);
  writeFileSync(path, randomBytes(size));
  return path;
}

const mbps = (seconds: number) => `${(size / MiB / seconds).toFixed(1)} MiB/s`;
const best = (xs: number[]) => Math.min(...xs);

try {
  process.stderr.write(`bench:store: ${size / MiB} MiB, ${reps} repetitions, grid at ${nodeUrl}\n`);
  const ours: number[] = [];
  const theirs: number[] = [];
  let cap = '';
  for (let i = 0; i < reps; i++) {
    const a = freshFile(`ours-${i}.bin`);
    ours.push(await time(async () => {
      cap = await store.putImmutable({ stream: createReadStream(a), size });
    }));
    const b = freshFile(`tahoe-${i}.bin`);
    theirs.push(await time(() => tahoe(['put', b])));
    rmSync(a);
    rmSync(b);
  }
  const downOurs: number[] = [];
  const downTheirs: number[] = [];
  for (let i = 0; i < reps; i++) {
    // Alternate the order so neither tool always runs on a warmer (or busier) machine.
    const runOurs = async () => downOurs.push(await time(async () => {
      let n = 0;
      for await (const chunk of store.getStream(cap)) n += chunk.length;
      if (n !== size) throw new Error(`downloaded ${n} bytes`);
    }));
    const runTheirs = async () => downTheirs.push(await time(() => tahoe(['get', cap, join(work, 'out.bin')])));
    if (i % 2 === 0) {
      await runOurs();
      await runTheirs();
    } else {
      await runTheirs();
      await runOurs();
    }
  }
  const latencies: number[] = [];
  for (let i = 0; i < rangeCount; i++) {
    const start = randomInt(0, size - 64 * 1024);
    latencies.push(await time(() => store.getRange(cap, start, 64 * 1024)));
  }
  latencies.sort((x, y) => x - y);
  const pct = (p: number) => ((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] as number) * 1000).toFixed(1);

  const up = best(theirs) / best(ours);
  const down = best(downTheirs) / best(downOurs);
  console.log(`upload   ${size / MiB} MiB: timefs ${best(ours).toFixed(2)} s (${mbps(best(ours))})  tahoe put ${best(theirs).toFixed(2)} s (${mbps(best(theirs))})  ratio ${up.toFixed(2)} (target >= 1.0)`);
  console.log(`download ${size / MiB} MiB: timefs ${best(downOurs).toFixed(2)} s (${mbps(best(downOurs))})  tahoe get ${best(downTheirs).toFixed(2)} s (${mbps(best(downTheirs))})  ratio ${down.toFixed(2)} (target >= 1.0)`);
  console.log(`(best of ${reps}; the tahoe CLI times include its Python start-up, about 1 s)`);
  console.log(`ranged read 64 KiB (${rangeCount} random offsets, uncached): median ${pct(0.5)} ms, p90 ${pct(0.9)} ms`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
