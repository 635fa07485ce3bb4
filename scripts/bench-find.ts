/**
 * `npm run bench:find`: `timefs log`, `find` and `diff` over a long history, against restic on the
 * same states in a local repository, in the same run (issue #11).
 *
 * History: SNAPSHOTS pushes of a FILES-file tree (100 files per directory); before each push after
 * the first, 1% of the files change, 0.1% are added and 0.05% deleted. Each state is pushed with
 * timefs (library push, which also stores the snapshot's metadata index) and backed up with
 * `restic backup` into a local repository.
 *
 * Measures (timefs through the compiled CLI, each run a new process; grid requests counted by a
 * proxy in front of the client node):
 * - `timefs log PATH` cold (empty caches) and warm, vs `restic find PATH`;
 * - cold `timefs find '*.txt'` across all snapshots, vs `restic find '*.txt'`;
 * - `timefs diff` of two snapshots SNAPSHOTS/2 apart, vs `restic diff`;
 * - bytes and grid objects the index adds per push, per changed path;
 * - `timefs mount` (a new mount process each, cold caches): `ls -R` of the newest snapshot and
 *   `ls history/PATH/`, with the metadata indexes against `--no-index` (the trees);
 * - with BENCH_RTT_MS (default 50; 0 skips), cold `timefs find` again with the grid restarted in
 *   latency mode (TIMEFS_GRID_RTT_MS), then restored to RTT 0.
 * restic runs with --no-cache for its cold figures (its repository is on the local disk).
 *
 * Env: BENCH_FILES (10000), BENCH_SNAPSHOTS (100), BENCH_RTT_MS (50), BENCH_DIR (bench-out/find),
 * BENCH_REUSE=1 (measure again on the history an earlier run left in BENCH_DIR, when it has the
 * same size and the grid still holds it: building it is most of the run's time).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { runPush } from '../src/backup/push.js';
import { Catalog } from '../src/catalog/catalog.js';
import { initRepository } from '../src/store/repository.js';
import { TahoeStore } from '../src/store/tahoe/tahoe-store.js';
import type { Store } from '../src/store/store.js';
import { wrapStore } from '../src/cli/repo-options.js';
import { findIndexDir, listIndexLinks } from '../src/tree-index/index-store.js';
import { countingProxy } from './bench-fixtures.js';

const FILES = Number(process.env.BENCH_FILES ?? 10_000);
const SNAPSHOTS = Number(process.env.BENCH_SNAPSHOTS ?? 100);
const RTT = Number(process.env.BENCH_RTT_MS ?? 50);
const DIR = resolve(process.env.BENCH_DIR ?? 'bench-out/find');
const gridStart = (rtt?: number): string => (execFileSync(process.execPath, ['--import', 'tsx', 'scripts/grid.ts', 'start'], { encoding: 'utf8', env: { ...process.env, ...(rtt === undefined ? {} : { TIMEFS_GRID_RTT_MS: String(rtt) }) } }).trim().split('\n').pop() ?? '').replace(/\/?$/, '/');
const NODE_URL = process.env.TIMEFS_NODE_URL ?? gridStart();
const src = join(DIR, 'src');
const resticRepo = join(DIR, 'restic');
const resticEnv = { ...process.env, RESTIC_PASSWORD: 'bench', RESTIC_REPOSITORY: resticRepo, XDG_CACHE_HOME: join(DIR, 'restic-cache') };

/** A small deterministic PRNG, so every run builds the same history. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}
const random = prng(11);
const filePath = (i: number): string => join(src, `d${String(Math.floor(i / 100)).padStart(3, '0')}`, `f${String(i).padStart(5, '0')}.${i % 2 === 0 ? 'txt' : 'dat'}`);
const content = (i: number, v: number): string => `file ${i} version ${v}\n${'x'.repeat(200 + (i % 800))}\n`;

const timesFile = join(DIR, 'time.txt');
let repoRoot = '';
/** CPU seconds (user + system) of the last command run under `/usr/bin/time`. */
function cpuOfLast(): number {
  const [user, sys] = readFileSync(timesFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return (user ?? 0) + (sys ?? 0);
}

function restic(...args: string[]): { seconds: number; cpu: number; out: string } {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timesFile, 'restic', ...args], { env: resticEnv, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`restic ${args.join(' ')} failed: ${r.stderr}`);
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, cpu: cpuOfLast(), out: r.stdout };
}

/** What building the history leaves for the measurements (kept in BENCH_DIR for BENCH_REUSE). */
interface BuiltHistory {
  files: number;
  snapshots: number;
  /** Write cap of the bench repository (a throwaway repository on the local grid). */
  rootCap: string;
  indexBytes: number[];
  indexObjects: number[];
  changedPaths: number[];
  pushSeconds: number;
  resticSeconds: number;
}
const historyFile = join(DIR, 'history.json');
// The file `log` follows: changed every 10th push.
const followed = 0;

function reusable(): BuiltHistory | undefined {
  if (process.env.BENCH_REUSE !== '1' || !existsSync(historyFile)) return undefined;
  const built = JSON.parse(readFileSync(historyFile, 'utf8')) as BuiltHistory;
  return built.files === FILES && built.snapshots === SNAPSHOTS ? built : undefined;
}

async function main(): Promise<void> {
  const built = reusable() ?? await buildHistory();
  await measure(built);
}

async function buildHistory(): Promise<BuiltHistory> {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  // Pushes go through the caches the CLI uses (the parent's index is read back from the disk cache).
  const store = wrapStore(new TahoeStore({ nodeUrl: NODE_URL }), join(DIR, 'push-cache'));
  const repo = await initRepository(store, await store.mkdirMutable());
  repoRoot = repo.rootCap;
  restic('init');
  const live = new Set<number>();
  const versions = new Map<number, number>();
  let next = 0;
  for (; next < FILES; next++) {
    mkdirSync(join(filePath(next), '..'), { recursive: true });
    writeFileSync(filePath(next), content(next, 0));
    live.add(next);
  }
  const indexBytes: number[] = [];
  const indexObjects: number[] = [];
  const changedPaths: number[] = [];
  const catalog = await Catalog.open(join(DIR, 'state'));
  let pushSeconds = 0;
  let resticSeconds = 0;
  try {
    for (let s = 0; s < SNAPSHOTS; s++) {
      let changed = 0;
      if (s > 0) {
        const ids = [...live];
        for (let k = 0; k < Math.max(1, Math.round(FILES / 100)); k++) {
          const i = ids[Math.floor(random() * ids.length)] as number;
          versions.set(i, (versions.get(i) ?? 0) + 1);
          writeFileSync(filePath(i), content(i, versions.get(i)!));
          changed++;
        }
        if (s % 10 === 0) {
          versions.set(followed, (versions.get(followed) ?? 0) + 1);
          writeFileSync(filePath(followed), content(followed, versions.get(followed)!));
          changed++;
        }
        for (let k = 0; k < Math.max(1, Math.round(FILES / 1000)); k++, next++) {
          mkdirSync(join(filePath(next), '..'), { recursive: true });
          writeFileSync(filePath(next), content(next, 0));
          live.add(next);
          changed++;
        }
        for (let k = 0; k < Math.max(1, Math.round(FILES / 2000)); k++) {
          const ids2 = [...live].filter((i) => i !== followed);
          const i = ids2[Math.floor(random() * ids2.length)] as number;
          unlinkSync(filePath(i));
          live.delete(i);
          changed++;
        }
      }
      let t = process.hrtime.bigint();
      const pushed = await runPush({ store, catalog, snapshotsCap: repo.snapshotsCap, stateDir: join(DIR, 'state'), repoRootCap: repo.rootCap }, { paths: [src], now: () => Date.UTC(2020, 0, 1) + s * 3_600_000 });
      pushSeconds += Number(process.hrtime.bigint() - t) / 1e9;
      const added = await indexAdded(store, repo.rootCap, pushed.snapshot as string);
      if (s > 0) {
        indexBytes.push(added.bytes);
        indexObjects.push(added.objects);
        changedPaths.push(changed);
      }
      t = process.hrtime.bigint();
      restic('backup', '--quiet', '--host', 'bench', '--time', new Date(Date.UTC(2020, 0, 1) + s * 3_600_000).toISOString().replace('T', ' ').slice(0, 19), src);
      resticSeconds += Number(process.hrtime.bigint() - t) / 1e9;
      process.stderr.write(`\rbench:find: ${s + 1}/${SNAPSHOTS} snapshots`);
    }
  } finally {
    await catalog.close();
  }
  process.stderr.write('\n');
  const built: BuiltHistory = { files: FILES, snapshots: SNAPSHOTS, rootCap: repo.rootCap, indexBytes, indexObjects, changedPaths, pushSeconds, resticSeconds };
  writeFileSync(historyFile, `${JSON.stringify(built)}\n`, { mode: 0o600 });
  return built;
}

async function measure(built: BuiltHistory): Promise<void> {
  const { indexBytes, indexObjects, changedPaths, pushSeconds, resticSeconds } = built;
  const repo = { rootCap: built.rootCap };
  repoRoot = built.rootCap;
  for (const cache of ['c0', 'c1', 'c2', 'c3', 'c4', 'cli-state']) rmSync(join(DIR, cache), { recursive: true, force: true });
  const rows: string[][] = [];
  let proxy = await countingProxy(NODE_URL);
  // Asynchronous on purpose: the counting proxy answers from this process's event loop.
  const run = (cache: string, ...args: string[]): Promise<{ seconds: number; cpu: number; requests: number; out: string }> => new Promise((done, fail) => {
    proxy.reset();
    const t = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timesFile, process.execPath, 'bin/timefs.js', ...args, '--repo', repo.rootCap, '--node-url', proxy.url], { env: { ...process.env, XDG_CACHE_HOME: join(DIR, cache), XDG_STATE_HOME: join(DIR, 'cli-state'), HOME: DIR } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('close', (code) => {
      if (code !== 0) fail(new Error(`timefs ${args.join(' ')} failed: ${Buffer.concat(err).toString()}`));
      else done({ seconds: Number(process.hrtime.bigint() - t) / 1e9, cpu: cpuOfLast(), requests: proxy.requests(), out: Buffer.concat(out).toString() });
    });
  });
  const path = filePath(followed);
  const snapshotNames = (JSON.parse((await run('c0', 'snapshots', '--json')).out) as Array<{ name: string }>).map((s) => s.name);
  const logCold = await run('c1', 'log', path, '--json');
  const logWarm = await run('c1', 'log', path, '--json');
  const logVersions = (JSON.parse(logCold.out) as { versions: unknown[] }).versions.length;
  const rFindPath = restic('find', '--no-cache', path);
  rows.push(['`timefs log PATH` cold', both(logCold), `restic find PATH ${both(rFindPath)}`, verdict(logCold.seconds <= 2, '≤ 2 s'), String(logCold.requests), `${logVersions} versions`]);
  rows.push(['`timefs log PATH` warm', both(logWarm), `restic find PATH ${both(rFindPath)}`, verdict(logWarm.seconds <= 0.3, '≤ 0.3 s'), String(logWarm.requests), '']);
  const findCold = await run('c2', 'find', '*.txt', '--json');
  const matches = (JSON.parse(findCold.out) as { matches: unknown[] }).matches.length;
  const rFind = restic('find', '--no-cache', '*.txt');
  rows.push(["`timefs find '*.txt'` cold", both(findCold), `restic find ${both(rFind)}`, verdict(findCold.seconds <= rFind.seconds, `≤ restic (${(findCold.seconds / rFind.seconds).toFixed(2)}×)`), String(findCold.requests), `${matches} paths`]);
  const a = snapshotNames[0] as string;
  const b = snapshotNames[Math.floor(SNAPSHOTS / 2)] as string;
  const diffCold = await run('c3', 'diff', a, b, '--json');
  const changes = (JSON.parse(diffCold.out) as { changes: unknown[] }).changes.length;
  const ids = (JSON.parse(restic('snapshots', '--json').out) as Array<{ short_id: string; time: string }>).sort((x, y) => Date.parse(x.time) - Date.parse(y.time));
  const rDiff = restic('diff', '--no-cache', ids[0]!.short_id, ids[Math.floor(SNAPSHOTS / 2)]!.short_id);
  rows.push([`\`timefs diff\` ${Math.floor(SNAPSHOTS / 2)} snapshots apart, cold`, both(diffCold), `restic diff ${both(rDiff)}`, verdict(diffCold.seconds <= rDiff.seconds, `≤ restic (${(diffCold.seconds / rDiff.seconds).toFixed(2)}×)`), String(diffCold.requests), `${changes} changes`]);
  const perPath = indexBytes.reduce((x, y) => x + y, 0) / changedPaths.reduce((x, y) => x + y, 0);
  const maxObjects = Math.max(...indexObjects);
  rows.push(['index added per push', `${(indexBytes.reduce((x, y) => x + y, 0) / indexBytes.length / 1024).toFixed(1)} KiB`, `${(changedPaths.reduce((x, y) => x + y, 0) / changedPaths.length).toFixed(0)} changed paths per push`, verdict(perPath <= 2048 && maxObjects <= 2, `${perPath.toFixed(0)} B per changed path, ≤ ${maxObjects} objects per push`), '', '']);
  const last = snapshotNames[snapshotNames.length - 1] as string;
  const lsR = (mnt: string) => command('find', [join(mnt, last), '-printf', '.']);
  const lsHistory = (mnt: string) => command('ls', ['-l', join(mnt, 'history', path)]);
  for (const [what, action] of [[`\`ls -R\` of the newest snapshot (${FILES} files)`, lsR], ['`ls -l history/PATH/`', lsHistory]] as const) {
    const indexed = await mounted(proxy, 'm1', [], action);
    const trees = await mounted(proxy, 'm2', ['--no-index'], action);
    if (indexed.out !== trees.out) throw new Error(`the mount shows other output with the index than without: ${what}`);
    rows.push([`mount, cold ${what}`, secs(indexed.seconds), `--no-index ${secs(trees.seconds)}, ${trees.listings} listings of ${trees.requests} requests`, `${(indexed.seconds / trees.seconds).toFixed(2)}×`, String(indexed.requests), `${indexed.listings} listings`]);
  }
  await new Promise((done) => proxy.server.close(done));
  if (RTT > 0 && process.env.TIMEFS_NODE_URL === undefined) {
    try {
      gridStart(RTT);
      proxy = await countingProxy(NODE_URL);
      const slow = await run('c4', 'find', '*.txt', '--json');
      rows.push([`\`timefs find '*.txt'\` cold at RTT ${RTT} ms`, both(slow), '', verdict(slow.seconds <= 10, '≤ 10 s'), String(slow.requests), '']);
      await new Promise((done) => proxy.server.close(done));
    } catch (err) {
      // e.g. a delay-proxy port held by another program: the other rows still count
      rows.push([`\`timefs find '*.txt'\` cold at RTT ${RTT} ms`, 'not measured', '', (err as Error).message.split('\n').filter((l) => l.startsWith('grid:')).join(' ').replaceAll('|', '/') || 'the latency mode did not start', '', '']);
    } finally {
      gridStart(0);
    }
  }
  const table = [
    `bench:find — ${FILES} files, ${SNAPSHOTS} snapshots; pushes ${secs(pushSeconds)} (timefs), ${secs(resticSeconds)} (restic backup)`,
    '',
    `Times are wall clock (CPU user+system in brackets), each command a new process; load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`,
    '',
    '| measure | timefs | reference | target | grid requests | note |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  writeFileSync(join(DIR, 'results.md'), `${table}\n`);
  process.stdout.write(`${table}\n`);
}

/** Runs a command asynchronously (the counting proxy answers from this process's event loop). */
function command(file: string, args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('close', (code) => (code === 0 ? done(Buffer.concat(out).toString()) : fail(new Error(`${file} exited with ${code}`))));
  });
}

/** Starts `timefs mount` (fresh caches) through the proxy, times `action` on it, then unmounts. */
async function mounted(proxy: Awaited<ReturnType<typeof countingProxy>>, cache: string, extra: string[], action: (mnt: string) => Promise<string>): Promise<{ seconds: number; requests: number; listings: number; out: string }> {
  const mnt = join(DIR, `mnt-${cache}`);
  rmSync(join(DIR, cache), { recursive: true, force: true });
  mkdirSync(mnt, { recursive: true });
  const child = spawn(process.execPath, ['bin/timefs.js', 'mount', mnt, '--json', '--utc', '--repo', repoRoot, '--node-url', proxy.url, ...extra], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, XDG_CACHE_HOME: join(DIR, cache), XDG_STATE_HOME: join(DIR, 'cli-state'), HOME: DIR } });
  await new Promise<void>((ready, fail) => {
    child.stdout.once('data', () => ready());
    child.once('close', (code) => fail(new Error(`timefs mount exited with ${code}`)));
  });
  try {
    proxy.reset();
    const t = process.hrtime.bigint();
    const out = await action(mnt);
    return { seconds: Number(process.hrtime.bigint() - t) / 1e9, requests: proxy.requests(), listings: proxy.listings(), out };
  } finally {
    const closed = new Promise((done) => child.once('close', done));
    child.kill('SIGTERM');
    await closed;
  }
}

const counted = new Set<string>();
/** Bytes and objects the index of `snapshot` added beyond what earlier indexes already hold. */
async function indexAdded(store: Store, rootCap: string, snapshot: string): Promise<{ bytes: number; objects: number }> {
  const link = (await listIndexLinks(store, await findIndexDir(store, rootCap))).get(snapshot);
  if (!link || counted.has(link.cap)) return { bytes: 0, objects: 0 };
  counted.add(link.cap);
  let bytes = 0;
  let objects = 1;
  for (const [, part] of await store.list(link.cap)) {
    if (counted.has(part.readCap)) continue;
    counted.add(part.readCap);
    bytes += part.size ?? 0;
    objects++;
  }
  return { bytes, objects };
}

const secs = (s: number): string => `${s.toFixed(2)} s`;
const both = (r: { seconds: number; cpu: number }): string => `${secs(r.seconds)} (cpu ${secs(r.cpu)})`;
const verdict = (ok: boolean, target: string): string => `${target}: ${ok ? 'met' : 'NOT met'}`;

await main();
