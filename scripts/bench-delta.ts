/**
 * `npm run bench:delta`: timefs's rdiff engine against the system `rdiff` (librsync 2.3.2) on the
 * same files in the same run. Inputs (deterministic, in bench-out/delta/): a 256 MiB random basis,
 * a copy with 1 % of its 4 KiB blocks rewritten plus 5 insertions and 2 deletions, an identical
 * copy and an unrelated file. Each operation runs RUNS times per tool; medians are printed.
 *
 * Two timefs figures are shown: "cli" runs `timefs rdiff …` as a child process (wall time and
 * peak RSS from /usr/bin/time, like rdiff's, so Node's start-up is included) and "engine" runs the
 * same command in this process (start-up excluded). Outputs are checked byte-identical to rdiff's.
 *
 * Signature and delta split over threads (src/delta/parallel) when the machine has more than one
 * core and is not already busy. The CLI runs twice per operation, with TIMEFS_RDIFF_THREADS=1
 * (the sequential engine: rdiff always uses one core) and =2 (a worker thread beside the calling
 * thread); "engine" uses the default. The load average is printed before and after: on a busy
 * machine a second thread cannot win wall time (see docs/rdiff.md).
 *
 * Env: BENCH_MIB (default 256), BENCH_RUNS (default 3), BENCH_DIR.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { rdiffThreads } from '../src/delta/parallel/index.js';

const MIB = 1 << 20;
const SIZE = Number(process.env.BENCH_MIB ?? 256) * MIB;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DIR = resolve(process.env.BENCH_DIR ?? 'bench-out/delta');
const ROOT = resolve('.');

/** Deterministic pseudo-random bytes (AES-128-CTR keystream of a label). */
function randomBytes(label: string, length: number): Buffer {
  const key = Buffer.alloc(16);
  key.write(label.padEnd(16, '.').slice(0, 16));
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

/** A small seeded PRNG for edit positions. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

function makeInputs(): void {
  mkdirSync(DIR, { recursive: true });
  const marker = join(DIR, `inputs-${SIZE}.done`);
  // Another size's run leaves its own files behind: the marker counts only with a basis of this size.
  if (existsSync(marker) && statSync(join(DIR, 'basis.bin')).size === SIZE) return;
  for (const name of readdirSync(DIR)) if (name.startsWith('inputs-')) rmSync(join(DIR, name));
  process.stdout.write(`generating ${SIZE / MIB} MiB inputs in ${DIR} …\n`);
  const basis = randomBytes('basis', SIZE);
  writeFileSync(join(DIR, 'basis.bin'), basis);
  writeFileSync(join(DIR, 'same.bin'), basis);
  writeFileSync(join(DIR, 'other.bin'), randomBytes('other', SIZE));
  const rand = prng(42);
  const edited = Buffer.from(basis);
  const blocks = SIZE / 4096;
  const fresh = randomBytes('rewrite', Math.ceil(blocks / 100) * 4096);
  for (let i = 0; i < Math.floor(blocks / 100); i++) {
    const b = Math.floor(rand() * blocks);
    fresh.copy(edited, b * 4096, i * 4096, (i + 1) * 4096);
  }
  // 5 insertions (36–86 bytes) and 2 deletions (209 and 291 bytes), at sorted random offsets.
  const edits = [
    ...Array.from({ length: 5 }, () => ({ at: Math.floor(rand() * SIZE), insert: 36 + Math.floor(rand() * 51), remove: 0 })),
    { at: Math.floor(rand() * SIZE), insert: 0, remove: 209 },
    { at: Math.floor(rand() * SIZE), insert: 0, remove: 291 },
  ].sort((a, b) => a.at - b.at);
  const parts: Buffer[] = [];
  let p = 0;
  for (const e of edits) {
    if (e.at < p) continue;
    parts.push(edited.subarray(p, e.at));
    if (e.insert) parts.push(randomBytes(`ins${e.at}`, e.insert));
    p = e.at + e.remove;
  }
  parts.push(edited.subarray(Math.min(p, SIZE)));
  writeFileSync(join(DIR, 'new.bin'), Buffer.concat(parts));
  writeFileSync(marker, '');
}

interface Run {
  seconds: number;
  rssMiB: number;
  /** User + system CPU seconds of all its threads. */
  cpu: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Runs a command (under /usr/bin/time for its peak RSS); returns wall seconds and peak RSS. */
function timed(cmd: string, args: string[], output: string, env: NodeJS.ProcessEnv = process.env): Run {
  rmSync(output, { force: true });
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', cmd, ...args], { cwd: ROOT, encoding: 'utf8', env });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const [kib, user, system] = (r.stderr.trim().split('\n').pop() as string).split(' ').map(Number) as [number, number, number];
  return { seconds, rssMiB: kib / 1024, cpu: user + system };
}

async function inProcess(args: string[], output: string): Promise<number> {
  rmSync(output, { force: true });
  const start = process.hrtime.bigint();
  // The compiled CLI when built (its worker threads start without tsx), like the "cli" column.
  const entry = existsSync(join(ROOT, 'dist/src/cli/main.js')) ? join(ROOT, 'dist/src/cli/main.js') : join(ROOT, 'src/cli/main.ts');
  const { main } = (await import(entry)) as typeof import('../src/cli/main.js');
  const code = await main(args);
  if (code !== 0) throw new Error(`timefs ${args.join(' ')} exited ${code}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

interface Op {
  name: string;
  /** Split over worker threads (else the 1-thread column is skipped). */
  threaded: boolean;
  args: (tool: 'rdiff' | 'timefs') => string[];
  output: (tool: 'rdiff' | 'timefs') => string;
}

const f = (name: string) => join(DIR, name);
const ops: Op[] = [
  { name: 'signature', threaded: true, args: (t) => ['signature', f('basis.bin'), f(`${t}.sig`)], output: (t) => f(`${t}.sig`) },
  { name: 'delta 1% changed', threaded: true, args: (t) => ['delta', f('rdiff.sig'), f('new.bin'), f(`${t}-new.delta`)], output: (t) => f(`${t}-new.delta`) },
  { name: 'delta identical', threaded: true, args: (t) => ['delta', f('rdiff.sig'), f('same.bin'), f(`${t}-same.delta`)], output: (t) => f(`${t}-same.delta`) },
  { name: 'delta no match', threaded: true, args: (t) => ['delta', f('rdiff.sig'), f('other.bin'), f(`${t}-other.delta`)], output: (t) => f(`${t}-other.delta`) },
  { name: 'patch (1% delta)', threaded: false, args: (t) => ['patch', f('basis.bin'), f('rdiff-new.delta'), f(`${t}-new.out`)], output: (t) => f(`${t}-new.out`) },
];

async function bench(): Promise<void> {
  makeInputs();
  const useDist = existsSync(join(ROOT, 'dist/src/cli/run.js'));
  const cli = useDist ? ['dist/src/cli/run.js'] : ['--import', 'tsx', 'src/cli/run.ts'];
  process.stdout.write(
    `rdiff: ${execFileSync('rdiff', ['--version'], { encoding: 'utf8' }).split('\n')[0]}; timefs cli: node ${cli.join(' ')}; ` +
      `${SIZE / MIB} MiB, median of ${RUNS}; engine threads: ${rdiffThreads()}${process.env.TIMEFS_RDIFF_THREADS === undefined ? ' by default' : ' (TIMEFS_RDIFF_THREADS)'}; ` +
      `load average at the start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${availableParallelism()} cores)\n\n`,
  );
  const header = ['operation', 'rdiff MiB/s', '1 thread MiB/s', 'ratio 1 thread', '2 threads MiB/s', 'ratio 2 threads', 'engine MiB/s', 'ratio engine', 'CPU s rdiff / 1 thread / 2 threads', 'rdiff RSS', 'timefs RSS', 'same bytes'];
  const oneThreadEnv = { ...process.env, TIMEFS_RDIFF_THREADS: '1' };
  const twoThreadsEnv = { ...process.env, TIMEFS_RDIFF_THREADS: '2' };
  const rows: string[][] = [header];
  for (const op of ops) {
    const rdiffRuns: Run[] = [];
    const twoThreads: Run[] = [];
    const oneThread: Run[] = [];
    const engine: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      rdiffRuns.push(timed('rdiff', op.args('rdiff'), op.output('rdiff')));
      oneThread.push(timed('node', [...cli, 'rdiff', ...op.args('timefs')], op.output('timefs'), oneThreadEnv));
      if (op.threaded) twoThreads.push(timed('node', [...cli, 'rdiff', ...op.args('timefs')], op.output('timefs'), twoThreadsEnv));
      engine.push(await inProcess(['rdiff', ...op.args('timefs')], op.output('timefs')));
    }
    const same = readFileSync(op.output('rdiff')).equals(readFileSync(op.output('timefs')));
    const inputSize = op.name === 'patch (1% delta)' ? statSync(op.output('rdiff')).size : SIZE;
    const mibs = (s: number) => inputSize / MIB / s;
    const r = mibs(median(rdiffRuns.map((x) => x.seconds)));
    const o = mibs(median(oneThread.map((x) => x.seconds)));
    const e = mibs(median(engine));
    const c = op.threaded ? mibs(median(twoThreads.map((x) => x.seconds))) : undefined;
    rows.push([
      op.name,
      r.toFixed(0),
      o.toFixed(0),
      (o / r).toFixed(2),
      c === undefined ? '–' : c.toFixed(0),
      c === undefined ? '–' : (c / r).toFixed(2),
      e.toFixed(0),
      (e / r).toFixed(2),
      [rdiffRuns, oneThread, twoThreads].map((runs) => (runs.length ? median(runs.map((x) => x.cpu)).toFixed(2) : '–')).join(' / '),
      `${Math.max(...rdiffRuns.map((x) => x.rssMiB)).toFixed(1)} MiB`,
      `${Math.max(...[...oneThread, ...twoThreads].map((x) => x.rssMiB)).toFixed(1)} MiB`,
      same ? 'yes' : 'NO',
    ]);
    process.stdout.write(`${rows[rows.length - 1]!.join(' | ')}\n`);
  }
  process.stdout.write('\n');
  const widths = header.map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  for (const row of rows) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i] as number)).join('  ')}\n`);
  process.stdout.write(`\nload average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${availableParallelism()} cores)\n`);
  process.stdout.write(
    '\nMiB/s is of the file processed (for patch: of the new file). ratio = timefs / rdiff. CPU s = user + system ' +
      'seconds of all threads (median): on a loaded machine, where extra threads cannot win wall time, it shows the work done.\n',
  );
}

await bench();
