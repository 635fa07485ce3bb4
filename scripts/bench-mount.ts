/**
 * `npm run bench:mount`: `timefs mount` against plain grid reads on the same grid in the same run.
 *
 * Fixture (built once, then reused from bench-out/mount/fixture.json while the grid keeps it): a
 * 256 MiB file stored as a chain of depth 16 (deltas made by the system `rdiff`), and 100
 * snapshots of 10,000 small files in 100 directories (one directory changes per snapshot).
 *
 * Measures, each against its reference:
 * - sequential read of the depth-16 file through the mount vs a plain GET of its 256 MiB base;
 * - cached re-read (target ≥ 2 GiB/s);
 * - random 1 MiB reads on first touch: grid bytes per read (counted by a proxy in front of the
 *   client node) and latency vs a raw 1 MiB ranged GET;
 * - mount start until usable; first `ls -R` of a 10,000-file snapshot cold and warm;
 * - with two sources: mount start, and a cold `ls -R` of the same 10,000 files through the merged
 *   `latest/` against their exact snapshot name;
 * - RSS of the mount after walking all snapshots and reading the 256 MiB file.
 *
 * Env: BENCH_MIB (default 256), BENCH_SNAPSHOTS (default 100), BENCH_RANDOM (default 16), BENCH_FUSE
 * (kernel, the default as root, or libfuse),
 * TIMEFS_NODE_URL (default: the local test grid), BENCH_DIR (default bench-out/mount).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FORMAT, REPO_LAYOUT } from '../src/model/entry.js';
import { TahoeStore } from '../src/store/tahoe/tahoe-store.js';
import { createBackupView } from '../src/view/backup-view-setup.js';
import { mountSource } from '../src/fs/mounter.js';
import { base32, buildChain, countingProxy, keystream, median, rss } from './bench-fixtures.js';

const MIB = 1 << 20;
const SIZE = Number(process.env.BENCH_MIB ?? 256) * MIB;
const SNAPSHOTS = Number(process.env.BENCH_SNAPSHOTS ?? 100);
const RANDOM_READS = Number(process.env.BENCH_RANDOM ?? 16);
const DEPTH = 16;
const DIR = resolve(process.env.BENCH_DIR ?? 'bench-out/mount');
const SERVING = process.argv[2] === '--serve';
const NODE_URL = SERVING ? '' : (process.env.TIMEFS_NODE_URL ?? execFileSync(process.execPath, ['--import', 'tsx', 'scripts/grid.ts', 'start'], { encoding: 'utf8' }).trim().split('\n').pop() ?? '').replace(/\/?$/, '/');
const store = new TahoeStore({ nodeUrl: SERVING ? 'http://127.0.0.1:1/' : NODE_URL });

interface Fixture { nodeUrl: string; size: number; snapshots: number; rootCap: string; baseCap: string; bigPath: string; listSnapshot: string }

function snapshotName(i: number): string {
  return new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString().replace('.000Z', 'Z');
}

const meta = (type: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ timefs: { type, mode: type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: '1577836800000000000', size: 0, ...extra } });

async function buildFixture(): Promise<Fixture> {
  const saved = join(DIR, 'fixture.json');
  if (existsSync(saved)) {
    const fixture = JSON.parse(readFileSync(saved, 'utf8')) as Fixture;
    if (fixture.nodeUrl === NODE_URL && fixture.size === SIZE && fixture.snapshots === SNAPSHOTS) {
      const ok = await store.list(fixture.rootCap).then(() => true, () => false);
      if (ok) return fixture;
    }
  }
  console.log(`building the fixture (${SIZE / MIB} MiB chain of depth ${DEPTH}, ${SNAPSHOTS} snapshots of 10,000 files)…`);
  const chain = await buildChain(store, SIZE, DEPTH, join(DIR, 'chain'));
  const tiny = (d: number, f: number, rev: number): string => `URI:LIT:${base32(Buffer.from(`file ${d}/${f} revision ${rev}`))}`;
  const dirFor = async (d: number, rev: number): Promise<string> => {
    const kids: Record<string, { cap: string; metadata: Record<string, unknown> }> = {};
    for (let f = 0; f < 100; f++) kids[`file-${String(f).padStart(3, '0')}.txt`] = { cap: tiny(d, f, rev), metadata: meta('file', { size: `file ${d}/${f} revision ${rev}`.length }) };
    return store.mkdirImmutable(kids);
  };
  const dirs: string[] = [];
  for (let d = 0; d < 100; d++) dirs.push(await dirFor(d, 0));
  const snapshotsCap = await store.mkdirMutable();
  const config = await store.putImmutable(new Uint8Array(Buffer.from(JSON.stringify({ format: FORMAT, created: new Date().toISOString() }))));
  const rootCap = await store.mkdirMutable({ [REPO_LAYOUT.config]: { cap: config }, [REPO_LAYOUT.snapshots]: { cap: snapshotsCap } });
  for (let i = 0; i < SNAPSHOTS; i++) {
    if (i > 0) dirs[i % 100] = await dirFor(i % 100, i);
    const home = await store.mkdirImmutable(Object.fromEntries(dirs.map((cap, d) => [`d${String(d).padStart(3, '0')}`, { cap, metadata: meta('dir') }])));
    const top: Record<string, { cap: string; metadata: Record<string, unknown> }> = { home: { cap: home, metadata: meta('dir') } };
    if (i === SNAPSHOTS - 1) top['big.bin'] = { cap: chain.nodeCap, metadata: meta('file', { size: chain.size, hash: chain.hash, storage: 'chain', chain: DEPTH }) };
    await store.link(snapshotsCap, snapshotName(i), await store.mkdirImmutable(top), { timefs: { time: snapshotName(i), host: 'bench', paths: ['/'], stats: {} } });
  }
  const fixture: Fixture = { nodeUrl: NODE_URL, size: SIZE, snapshots: SNAPSHOTS, rootCap, baseCap: chain.baseCap, bigPath: `${snapshotName(SNAPSHOTS - 1)}/big.bin`, listSnapshot: snapshotName(0) };
  writeFileSync(saved, JSON.stringify(fixture), { mode: 0o600 });
  return fixture;
}

/** The `snapshots/` directory of a repository root. */
async function snapshotsOf(rootCap: string): Promise<string> {
  return (await store.list(rootCap)).get(REPO_LAYOUT.snapshots)!.readCap;
}

/** A repository of two sources: `/home` (the given tree) and, an hour later, a small `/other`. */
async function twoSourceRepo(homeCap: string): Promise<{ rootCap: string; homeSnapshot: string }> {
  const snapshotsCap = await store.mkdirMutable();
  const config = await store.putImmutable(new Uint8Array(Buffer.from(JSON.stringify({ format: FORMAT, created: new Date().toISOString() }))));
  const rootCap = await store.mkdirMutable({ [REPO_LAYOUT.config]: { cap: config }, [REPO_LAYOUT.snapshots]: { cap: snapshotsCap } });
  const [home, other] = [snapshotName(0), snapshotName(1)];
  await store.link(snapshotsCap, home, await store.mkdirImmutable({ home: { cap: homeCap, metadata: meta('dir') } }), { timefs: { time: home, host: 'bench', paths: ['/home'], stats: {} } });
  const small = await store.mkdirImmutable({ 'note.txt': { cap: `URI:LIT:${base32(Buffer.from('other source'))}`, metadata: meta('file', { size: 12 }) } });
  await store.link(snapshotsCap, other, await store.mkdirImmutable({ other: { cap: small, metadata: meta('dir') } }), { timefs: { time: other, host: 'bench', paths: ['/other'], stats: {} } });
  return { rootCap, homeSnapshot: home };
}

interface Mounted { child: ChildProcess; mountPoint: string; wallMs: number; internalMs: number }

/** `timefs mount` once the CLI can open repositories (src/cli/repo-options.ts); until then the same view and mounter, driven by this script. */
const VIA_CLI = existsSync('src/cli/repo-options.ts');
/** The compiled CLI (`npm run build`) starts faster and smaller than running the sources through tsx. */
const COMPILED = existsSync('dist/src/cli/commands/mount.js');
/** NODE_OPTIONS of the mount process: as in mount-examples/ (override with BENCH_NODE_OPTIONS, '' for Node's defaults). */
const MOUNT_NODE_OPTIONS = '--max-semi-space-size=2 --max-old-space-size=128';
/** glibc's MALLOC_MMAP_THRESHOLD_ of the mount, as in mount-examples/ (override with MALLOC_MMAP_THRESHOLD_). */
const MOUNT_MMAP_THRESHOLD = '32768';
/** `timefs mount --fuse`: the kernel backend (root) unless BENCH_FUSE=libfuse. */
const BACKEND = process.env.BENCH_FUSE === 'libfuse' ? 'libfuse' : 'kernel';

async function mount(name: string, rootCap: string, nodeUrl: string): Promise<Mounted> {
  const mountPoint = join(DIR, name);
  mkdirSync(mountPoint, { recursive: true });
  const started = performance.now();
  const cli = COMPILED ? ['bin/timefs.js'] : ['--import', 'tsx', 'src/cli/run.ts'];
  const args = VIA_CLI
    ? [...cli, 'mount', mountPoint, '--repo', rootCap, '--node-url', nodeUrl, '--json', '--utc', '--fuse', BACKEND]
    : ['--import', 'tsx', 'scripts/bench-mount.ts', '--serve', mountPoint, nodeUrl];
  // each mount starts with an empty disk cache: first touches really go to the grid
  const cacheHome = join(DIR, `cache-${name}`);
  rmSync(cacheHome, { recursive: true, force: true });
  // the heap settings mount-examples/ uses for a long-running mount
  const nodeOptions = process.env.BENCH_NODE_OPTIONS ?? MOUNT_NODE_OPTIONS;
  const malloc = { MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? MOUNT_MMAP_THRESHOLD };
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, XDG_CACHE_HOME: cacheHome, NODE_OPTIONS: nodeOptions, ...malloc } });
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (!VIA_CLI) child.stdin?.end(rootCap); // never on a command line
  else child.stdin?.end();
  const line = await new Promise<string>((done, fail) => {
    child.stdout?.once('data', (d: Buffer) => done(d.toString()));
    child.once('exit', (code) => fail(new Error(`timefs mount exited with ${code}`)));
  });
  const wallMs = performance.now() - started;
  return { child, mountPoint, wallMs, internalMs: (JSON.parse(line) as { startMs: number }).startMs };
}

async function unmount(m: Mounted): Promise<void> {
  const done = new Promise((resolveExit) => m.child.once('exit', resolveExit));
  m.child.kill('SIGTERM');
  await done;
}

/** Sequential read with dd (4 MiB blocks), in MiB/s. The mount runs in another process, so blocking here is fine. */
function ddRead(path: string): number {
  const started = performance.now();
  execFileSync('dd', [`if=${path}`, 'of=/dev/null', 'bs=4M'], { stdio: 'ignore' });
  return SIZE / MIB / ((performance.now() - started) / 1000);
}

async function plainGet(cap: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${NODE_URL}uri/${encodeURIComponent(cap)}`);
  let total = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) total += chunk.length;
  return total / MIB / ((performance.now() - started) / 1000);
}

function lsR(path: string): number {
  const started = performance.now();
  execFileSync('ls', ['-R', path], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
  return (performance.now() - started) / 1000;
}

const offsets = (n: number): number[] => Array.from({ length: n }, (_, i) => (keystream(`off-${i}`, 4).readUInt32LE(0) % (SIZE - 2 * MIB)) + 12345);

const children = new Set<ChildProcess>();
process.on('exit', () => { for (const child of children) child.kill('SIGTERM'); });

async function main(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  const fixture = await buildFixture();
  const rows: Array<[string, string, string, string]> = [];
  const ratio = (a: number, b: number): string => (a / b).toFixed(2);

  // references on the grid
  const getMiBs = await plainGet(fixture.baseCap);
  const rawLatency: number[] = [];
  for (const off of offsets(RANDOM_READS)) {
    const started = performance.now();
    await store.getRange(fixture.baseCap, off + 777, MIB);
    rawLatency.push((performance.now() - started) / 1000);
  }

  // mount start, listing, sequential read and re-read
  const a = await mount('mnt-a', fixture.rootCap, NODE_URL);
  rows.push([`mount start (${COMPILED ? 'compiled' : 'tsx'} CLI start → usable)`, `${(a.wallMs / 1000).toFixed(2)} s (after start-up ${(a.internalMs / 1000).toFixed(2)} s)`, 'target ≤ 0.6 s', ratio(a.wallMs / 1000, 0.6)]);
  const cold = lsR(join(a.mountPoint, fixture.listSnapshot));
  const warm = lsR(join(a.mountPoint, fixture.listSnapshot));
  rows.push(['ls -R of 10,000 files, cold', `${cold.toFixed(2)} s`, 'restic 0.19 s (issue figure)', ratio(cold, 0.19)]);
  rows.push(['ls -R of 10,000 files, warm', `${warm.toFixed(2)} s`, 'restic 0.19 s (issue figure)', ratio(warm, 0.19)]);
  const seq = ddRead(join(a.mountPoint, fixture.bigPath));
  rows.push([`sequential read, ${SIZE / MIB} MiB at depth ${DEPTH}`, `${seq.toFixed(1)} MiB/s`, `plain GET ${getMiBs.toFixed(1)} MiB/s`, ratio(seq, getMiBs)]);
  const again = ddRead(join(a.mountPoint, fixture.bigPath));
  // the same read of a local file in the page cache: what this machine can do at all
  const local = join(DIR, 'page-cache-reference.bin');
  writeFileSync(local, keystream('page-cache', SIZE));
  ddRead(local);
  const localMiBs = ddRead(local);
  rmSync(local, { force: true });
  rows.push(['cached re-read', `${(again / 1024).toFixed(2)} GiB/s`, `local page cache ${(localMiBs / 1024).toFixed(2)} GiB/s; target 2 GiB/s`, `${ratio(again, localMiBs)} (vs target ${ratio(again / 1024, 2)})`]);

  // random first-touch reads through a counting proxy, in a fresh mount
  const proxy = await countingProxy(NODE_URL);
  const b = await mount('mnt-b', fixture.rootCap, proxy.url);
  const bigB = join(b.mountPoint, fixture.bigPath);
  // async reads: the counting proxy runs in this process's event loop
  const handle = await open(bigB, 'r');
  const buf = Buffer.alloc(MIB);
  await handle.read(buf, 0, 1, 0); // opens the chain: its deltas are fetched once, counted apart
  const deltaBytes = proxy.bytes();
  proxy.reset();
  const latency: number[] = [];
  for (const off of offsets(RANDOM_READS)) {
    const started = performance.now();
    await handle.read(buf, 0, MIB, off + 777);
    latency.push((performance.now() - started) / 1000);
  }
  await handle.close();
  const perRead = proxy.bytes() / RANDOM_READS / MIB;
  rows.push(['random 1 MiB read, grid bytes per read', `${perRead.toFixed(2)} MiB (+ ${(deltaBytes / MIB).toFixed(2)} MiB deltas and listings once)`, 'target ≤ 2 MiB', ratio(perRead, 2)]);
  rows.push(['random 1 MiB read, median latency', `${(median(latency) * 1000).toFixed(0)} ms`, `raw 1 MiB ranged GET ${(median(rawLatency) * 1000).toFixed(0)} ms`, ratio(median(latency), median(rawLatency))]);
  await unmount(b);
  proxy.server.close();

  // memory after walking every snapshot (the big file was read above)
  const walkStart = performance.now();
  execFileSync('find', [a.mountPoint, '-path', join(a.mountPoint, 'history'), '-prune', '-o', '-type', 'f', '-print'], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
  const walkS = (performance.now() - walkStart) / 1000;
  const mem = rss(a.child.pid as number);
  rows.push([`RSS after walking ${SNAPSHOTS} snapshots (${walkS.toFixed(0)} s) + reading ${SIZE / MIB} MiB`, `${mem.rss.toFixed(0)} MiB (peak ${mem.peak.toFixed(0)} MiB)`, 'target ≤ 150 MiB after', ratio(mem.rss, 150)]);
  await unmount(a);

  // several sources: a repository whose latest merges two sources (the 10,000-file /home and a
  // newer push of /other) against the same /home by its exact snapshot name, each in a fresh mount
  const homeCap = (await store.list((await store.list(await snapshotsOf(fixture.rootCap))).get(fixture.listSnapshot)!.readCap)).get('home')!.readCap;
  const merged = await twoSourceRepo(homeCap);
  const c = await mount('mnt-c', merged.rootCap, NODE_URL);
  const mergedCold = lsR(join(c.mountPoint, 'latest', 'home'));
  await unmount(c);
  const d = await mount('mnt-d', merged.rootCap, NODE_URL);
  const exactCold = lsR(join(d.mountPoint, merged.homeSnapshot, 'home'));
  await unmount(d);
  rows.push(['mount start, repository with 2 sources', `${(c.wallMs / 1000).toFixed(2)} s (after start-up ${(c.internalMs / 1000).toFixed(2)} s)`, `1 source ${(a.wallMs / 1000).toFixed(2)} s`, ratio(c.wallMs, a.wallMs)]);
  rows.push(['ls -R of 10,000 files in merged latest/, cold', `${mergedCold.toFixed(2)} s`, `exact snapshot name ${exactCold.toFixed(2)} s`, ratio(mergedCold, exactCold)]);

  const width = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  console.log(`\ntimefs mount benchmark (grid ${NODE_URL}, ${new Date().toISOString()}, mount --fuse ${BACKEND}, NODE_OPTIONS="${process.env.BENCH_NODE_OPTIONS ?? MOUNT_NODE_OPTIONS}", MALLOC_MMAP_THRESHOLD_=${process.env.MALLOC_MMAP_THRESHOLD_ ?? MOUNT_MMAP_THRESHOLD})`);
  for (const r of rows) console.log(`${r[0].padEnd(width[0] ?? 0)}  ${r[1].padEnd(width[1] ?? 0)}  ${r[2].padEnd(width[2] ?? 0)}  ratio ${r[3]}`);
}

/** Library-driven mount for `--serve MOUNTPOINT NODEURL` (root cap on stdin). */
async function serve(mountPoint: string, nodeUrl: string): Promise<void> {
  const started = performance.now();
  let rootCap = '';
  for await (const chunk of process.stdin) rootCap += String(chunk);
  const grid = new TahoeStore({ nodeUrl });
  const snapshots = (await grid.list(rootCap.trim())).get(REPO_LAYOUT.snapshots);
  if (!snapshots) throw new Error('no snapshots/ in the repository');
  const { view } = createBackupView(grid, snapshots.readCap, { zone: 'utc', log: (l) => process.stderr.write(`${l}\n`) });
  await view.readdir([]);
  const mounted = await mountSource(view, mountPoint, { log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`${JSON.stringify({ mountPoint, startMs: Math.round(performance.now() - started) })}\n`);
  process.once('SIGTERM', () => { mounted.unmount(true).then(() => process.exit(0), () => process.exit(1)); });
}

if (process.argv[2] === '--serve') await serve(process.argv[3] ?? '', process.argv[4] ?? '');
else await main();
