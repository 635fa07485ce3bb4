/**
 * `npm run bench:wan`: timefs on a remote grid. The local grid runs at each RTT in turn (latency
 * mode, docs/grid.md), and every operation runs next to its reference — the tahoe CLI or a plain
 * web-API GET — on the same data in the same run. Web requests per operation are counted by a
 * proxy in front of the client node's web API (for timefs and tahoe alike).
 *
 * Fixture (built once at the first RTT, reused while the grid keeps it): a repository with a
 * SIZE file stored whole and one stored as a chain of depth 16 (deltas by the system rdiff); a
 * second repository made by `timefs push` of a tree of FILES files in DIRS directories (the same
 * tree also `tahoe backup`-ed).
 *
 * Env: BENCH_RTTS (default "0,50"), BENCH_WAN_MIB (64), BENCH_WAN_FILES (2000), BENCH_WAN_DIRS
 * (200), BENCH_WAN_ONLY (measures to run, comma-separated from cat, restore, dd, ls, push,
 * snapshots, renew; `read` = cat,restore,dd, which always run together; default all),
 * BENCH_WAN_REPEAT (3: runs of each whole read and its references, interleaved; medians shown),
 * BENCH_TRACE (a file: every web request with its times), BENCH_WAN_MOUNT_ENV (NAME=value pairs for
 * the mount processes only, e.g. "MALLOC_MMAP_THRESHOLD_=32768"), BENCH_DIR (bench-out/wan). Quick run:
 * BENCH_RTTS=0,20 BENCH_WAN_MIB=16 BENCH_WAN_FILES=200 BENCH_WAN_DIRS=20; the tree measures alone:
 * BENCH_WAN_ONLY=ls,push.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FORMAT, REPO_LAYOUT } from '../src/model/entry.js';
import { initRepository } from '../src/store/repository.js';
import { TahoeStore } from '../src/store/tahoe/tahoe-store.js';
import { blake2bHex } from '../src/model/blake2b-pool.js';
import { buildChain, countingProxy, keystream } from './bench-fixtures.js';
import { defaultGridConfig, startGrid, tahoeCommand } from './grid/local-grid.js';

type CountingProxy = Awaited<ReturnType<typeof countingProxy>>;

const MIB = 1 << 20;
const RTTS = (process.env.BENCH_RTTS ?? '0,50').split(',').map(Number);
const SIZE = Number(process.env.BENCH_WAN_MIB ?? 64) * MIB;
const FILES = Number(process.env.BENCH_WAN_FILES ?? 2000);
const DIRS = Number(process.env.BENCH_WAN_DIRS ?? 200);
const DEPTH = 16;
const MEASURES = ['cat', 'restore', 'dd', 'ls', 'push', 'snapshots', 'renew'] as const;
/** `read` stands for the whole-read rows (cat, restore and the mount's first dd). */
const ONLY = new Set((process.env.BENCH_WAN_ONLY ?? MEASURES.join(',')).replace(/\bread\b/, 'cat,restore,dd').split(',').map((m) => m.trim()));
for (const m of ONLY) if (!(MEASURES as readonly string[]).includes(m)) throw new Error(`BENCH_WAN_ONLY: unknown measure ${m} (choose from ${MEASURES.join(', ')})`);
const runs = (m: typeof MEASURES[number]): boolean => ONLY.has(m);
/** Runs of each whole read (and its references), interleaved; the tables show medians. */
const REPEAT = Math.max(1, Number(process.env.BENCH_WAN_REPEAT ?? 3));
const DIR = resolve(process.env.BENCH_DIR ?? 'bench-out/wan');
const TIMEFS = ['bin/timefs.js'];
/** BENCH_WAN_MOUNT_ENV: `NAME=value` pairs (space-separated) for the mount processes only, e.g. mount-examples/' process settings. */
const MOUNT_ENV: Record<string, string> = Object.fromEntries((process.env.BENCH_WAN_MOUNT_ENV ?? '').split(/\s+/).filter((p) => p.includes('=')).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
const SNAPSHOT = '2020-01-01T00:00:00Z';

interface Fixture {
  key: string;
  readRoot: string;
  wholeCap: string;
  baseCap: string;
  treeRoot: string;
  backupDir: string;
}

const fileMeta = (extra: Record<string, unknown>): Record<string, unknown> => ({ timefs: { type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: '1577836800000000000', ...extra } });

/** Repository A: /whole.bin stored whole and /chain.bin at chain depth 16, in one snapshot. */
async function buildReadRepo(store: TahoeStore): Promise<{ rootCap: string; wholeCap: string; baseCap: string }> {
  const whole = keystream('wan-whole', SIZE);
  const wholeCap = await store.putImmutable(new Uint8Array(whole));
  const chain = await buildChain(store, SIZE, DEPTH, join(DIR, 'chain'));
  const top = await store.mkdirImmutable({
    'whole.bin': { cap: wholeCap, metadata: fileMeta({ size: SIZE, hash: await blake2bHex(whole), storage: 'whole' }) },
    'chain.bin': { cap: chain.nodeCap, metadata: fileMeta({ size: chain.size, hash: chain.hash, storage: 'chain', chain: DEPTH }) },
  });
  const snapshotsCap = await store.mkdirMutable();
  const config = await store.putImmutable(new Uint8Array(Buffer.from(JSON.stringify({ format: FORMAT, created: new Date().toISOString() }))));
  const rootCap = await store.mkdirMutable({ [REPO_LAYOUT.config]: { cap: config }, [REPO_LAYOUT.snapshots]: { cap: snapshotsCap } });
  await store.link(snapshotsCap, SNAPSHOT, top, { timefs: { time: SNAPSHOT, host: 'bench', paths: ['/'], stats: {} } });
  return { rootCap, wholeCap, baseCap: chain.baseCap };
}

/** The source tree: FILES small files spread over DIRS directories (ten per parent). */
function writeTree(src: string): void {
  rmSync(src, { recursive: true, force: true });
  const perDir = Math.max(1, Math.floor(FILES / DIRS));
  for (let d = 0; d < DIRS; d++) {
    const dir = join(src, `d${String(Math.floor(d / 10)).padStart(2, '0')}`, `s${d % 10}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < perDir; f++) writeFileSync(join(dir, `f${String(f).padStart(3, '0')}.txt`), keystream(`t-${d}-${f}`, 1000 + ((d * 37 + f * 11) % 3000)));
  }
}

function timefsEnv(nodeUrl: string, repo: string, name: string, coldCache = true): NodeJS.ProcessEnv {
  const cache = join(DIR, `cache-${name}`);
  if (coldCache) rmSync(cache, { recursive: true, force: true });
  return { ...process.env, TIMEFS_NODE_URL: nodeUrl, TIMEFS_REPO: repo, XDG_CACHE_HOME: cache, XDG_STATE_HOME: join(DIR, `state-${name}`), HOME: DIR };
}

/** Runs a command to completion; seconds and the web requests it made (through `proxy`). */
function timed(proxy: CountingProxy, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ s: number; requests: number }> {
  proxy.reset();
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => {
      if (code !== 0) fail(new Error(`${command} ${args[0] === 'bin/timefs.js' ? args[1] : args[0]} exited ${code}: ${stderr.slice(-400)}`));
      else done({ s: (performance.now() - started) / 1000, requests: proxy.requests() });
    });
  });
}

async function plainGet(proxy: CountingProxy, cap: string): Promise<{ s: number; requests: number }> {
  proxy.reset();
  const started = performance.now();
  const res = await fetch(`${proxy.url}uri/${encodeURIComponent(cap)}`);
  for await (const _chunk of res.body as unknown as AsyncIterable<Uint8Array>) { /* drain */ }
  return { s: (performance.now() - started) / 1000, requests: proxy.requests() };
}

interface Mount { child: ChildProcess; point: string }

async function mount(proxy: CountingProxy, repo: string, name: string, extra: string[] = []): Promise<Mount> {
  const point = join(DIR, `mnt-${name}`);
  spawnSync('umount', ['-l', point], { stdio: 'ignore' });
  mkdirSync(point, { recursive: true });
  const child = spawn(process.execPath, [...TIMEFS, 'mount', point, '--json', '--utc', ...extra], { env: { ...timefsEnv(proxy.url, repo, `mount-${name}`), ...MOUNT_ENV }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((done, fail) => {
    child.stdout?.once('data', () => done());
    child.once('exit', (code) => fail(new Error(`timefs mount exited ${code}`)));
  });
  return { child, point };
}

async function unmount(m: Mount): Promise<void> {
  const exited = new Promise((done) => m.child.once('exit', done));
  m.child.kill('SIGTERM');
  await exited;
}

/** Seconds a command takes, run asynchronously: the counting proxy lives in this event loop. */
async function sh(proxy: CountingProxy, command: string, args: string[]): Promise<{ s: number; requests: number }> {
  return timed(proxy, command, args);
}

async function buildFixture(store: TahoeStore, nodeUrl: string): Promise<Fixture> {
  const key = `${SIZE}/${FILES}/${DIRS}`;
  const saved = join(DIR, 'fixture.json');
  if (existsSync(saved)) {
    const fixture = JSON.parse(readFileSync(saved, 'utf8')) as Fixture;
    if (fixture.key === key && await store.list(fixture.readRoot).then(() => true, () => false)) return fixture;
  }
  console.error(`bench:wan: building the fixture (${SIZE / MIB} MiB whole and at chain depth ${DEPTH}; ${FILES} files in ${DIRS} directories)…`);
  for (const name of ['state-push', 'tahoe-node']) rmSync(join(DIR, name), { recursive: true, force: true });
  const read = await buildReadRepo(store);
  const tree = await initRepository(store, await store.mkdirMutable());
  const src = join(DIR, 'src');
  writeTree(src);
  const env = timefsEnv(nodeUrl, tree.rootCap, 'push', false);
  const push = spawnSync(process.execPath, [...TIMEFS, 'push', src], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (push.status !== 0) throw new Error('the first timefs push failed');
  const backupDir = await store.mkdirMutable();
  mkdirSync(join(DIR, 'tahoe-node', 'private'), { recursive: true });
  const backup = spawnSync(tahoeCommand(), ['--node-directory', join(DIR, 'tahoe-node'), 'backup', '-u', nodeUrl, '--dir-cap', backupDir, src, 'tahoe:'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (backup.status !== 0) throw new Error('the first tahoe backup failed');
  const fixture: Fixture = { key, readRoot: read.rootCap, wholeCap: read.wholeCap, baseCap: read.baseCap, treeRoot: tree.rootCap, backupDir };
  writeFileSync(saved, JSON.stringify(fixture), { mode: 0o600 });
  return fixture;
}

/** `timefs snapshots` seconds at RTT 0, to count the round trips added at other RTTs. */
let snapshotsAtZero: number | undefined;

type Row = [measure: string, timefs: string, reference: string, ratio: string, requests: string];

async function round(rtt: number, fixture: Fixture, nodeUrl: string, store: TahoeStore): Promise<Row[]> {
  const proxy = await countingProxy(nodeUrl);
  const rows: Row[] = [];
  const fmt = (r: { s: number; requests: number }) => `${r.s.toFixed(2)} s`;
  const add = (measure: string, ours: { s: number; requests: number }, ref: { s: number; requests: number } | undefined, refName: string, target = ''): void => {
    rows.push([measure, fmt(ours), ref ? `${refName} ${fmt(ref)}` : refName, ref ? `${(ours.s / ref.s).toFixed(2)}${target}` : target, `${ours.requests}${ref ? ` / ${ref.requests}` : ''}`]);
  };
  const tahoe = (args: string[]) => timed(proxy, tahoeCommand(), args);
  const A = fixture.readRoot;
  try {
    await timed(proxy, process.execPath, [...TIMEFS, '--version']); // warms the page cache
    const startup = await timed(proxy, process.execPath, [...TIMEFS, '--version']);
    if (runs('cat') || runs('restore') || runs('dd')) {
      // The whole reads run REPEAT times, interleaved with their references; each figure is the median.
      type Timing = { s: number; requests: number };
      const timings: Array<Record<'tahoeWhole' | 'tahoeBase' | 'curl' | 'catWhole' | 'catChain' | 'restore' | 'dd', Timing>> = [];
      for (let r = 0; r < REPEAT; r++) {
        const tahoeWhole = await tahoe(['get', '-u', proxy.url, fixture.wholeCap, '-']);
        const tahoeBase = await tahoe(['get', '-u', proxy.url, fixture.baseCap, '-']);
        const curl = await plainGet(proxy, fixture.baseCap);
        const catWhole = await timed(proxy, process.execPath, [...TIMEFS, 'cat', SNAPSHOT, '/whole.bin'], timefsEnv(proxy.url, A, 'cat'));
        const catChain = await timed(proxy, process.execPath, [...TIMEFS, 'cat', SNAPSHOT, '/chain.bin'], timefsEnv(proxy.url, A, 'cat'));
        const target = join(DIR, 'restored');
        rmSync(target, { recursive: true, force: true });
        const restored = await timed(proxy, process.execPath, [...TIMEFS, 'restore', `${SNAPSHOT}:/chain.bin`, '--target', target], timefsEnv(proxy.url, A, 'restore'));
        rmSync(target, { recursive: true, force: true });
        const m = await mount(proxy, A, 'read');
        const dd = await sh(proxy, 'dd', [`if=${join(m.point, SNAPSHOT, 'chain.bin')}`, 'of=/dev/null', 'bs=4M']);
        await unmount(m);
        timings.push({ tahoeWhole, tahoeBase, curl, catWhole, catChain, restore: restored, dd });
      }
      const med = (key: keyof (typeof timings)[number]): Timing => {
        const sorted = timings.map((run) => run[key]).sort((a, b) => a.s - b.s);
        return sorted[Math.floor(sorted.length / 2)]!;
      };
      const tahoeWhole = med('tahoeWhole');
      const tahoeBase = med('tahoeBase');
      const curl = med('curl');
      const dd = med('dd');
      add(`timefs cat, ${SIZE / MIB} MiB stored whole`, med('catWhole'), tahoeWhole, 'tahoe get', ' (≤ 0.8)');
      add(`timefs cat, ${SIZE / MIB} MiB at chain depth ${DEPTH}`, med('catChain'), tahoeBase, 'tahoe get (base)', ' (≤ 0.8)');
      add(`restore of the ${SIZE / MIB} MiB chained file`, med('restore'), tahoeBase, 'tahoe get (base)', ' (≤ 0.8)');
      const ddMiBs = SIZE / MIB / dd.s;
      const getMiBs = SIZE / MIB / curl.s;
      rows.push([`mount, first dd bs=4M at depth ${DEPTH}`, `${fmt(dd)} (${ddMiBs.toFixed(0)} MiB/s)`, `plain GET ${fmt(curl)} (${getMiBs.toFixed(0)} MiB/s); tahoe get ${fmt(tahoeBase)}`,
        rtt === 0 ? `${(ddMiBs / getMiBs).toFixed(2)} of GET throughput (≥ 0.8)` : `${(dd.s / tahoeBase.s).toFixed(2)} of tahoe get time (≤ 0.8)`, `${dd.requests} / ${curl.requests}`]);
    }

    if (runs('ls')) {
      const treeSnapshots = await store.list((await store.list(fixture.treeRoot)).get(REPO_LAYOUT.snapshots)!.readCap);
      const latest = [...treeSnapshots.values()].sort((x, y) => (x.name < y.name ? -1 : 1)).pop()!;
      // Each in a fresh mount with empty caches: through the metadata index push wrote, and from the trees alone.
      const coldLs = async (name: string, extra: string[]): Promise<{ s: number; requests: number }> => {
        const t = await mount(proxy, fixture.treeRoot, name, extra);
        try {
          return await sh(proxy, 'ls', ['-R', join(t.point, latest.name)]);
        } finally {
          await unmount(t);
        }
      };
      const ls = await coldLs('tree', []);
      const lsTrees = await coldLs('tree-no-index', ['--no-index']);
      const manifest = await tahoe(['manifest', '-u', proxy.url, latest.readCap]);
      const met = (r: { s: number }): string => (rtt >= 50 ? ` (≤ 5 s: ${r.s <= 5 ? 'met' : 'not met'})` : '');
      add(`cold ls -R, ${FILES} files in ${DIRS} dirs (fresh mount, index)`, ls, manifest, 'tahoe manifest', met(ls));
      add(`cold ls -R, same, mount --no-index (trees only)`, lsTrees, manifest, 'tahoe manifest', met(lsTrees));
    }

    if (runs('push')) {
      const src = join(DIR, 'src');
      // New content on every run (keystream keys on the label's first 16 characters: index and time come first).
      for (let i = 0; i < 10; i++) writeFileSync(join(src, `d${String(i % Math.ceil(DIRS / 10)).padStart(2, '0')}`, `s${i % 10}`, 'f000.txt'), keystream(`${i}-${Date.now()}-${rtt}`, 2000));
      const pushed = await timed(proxy, process.execPath, [...TIMEFS, 'push', src], timefsEnv(proxy.url, fixture.treeRoot, 'push', false));
      const backedUp = await tahoe(['--node-directory', join(DIR, 'tahoe-node'), 'backup', '-u', proxy.url, '--dir-cap', fixture.backupDir, src, 'tahoe:']);
      add('push after editing 10 files', pushed, backedUp, 'tahoe backup', rtt >= 50 ? ` (≤ 2.5 s: ${pushed.s <= 2.5 ? 'met' : 'not met'})` : '');
    }

    if (runs('renew')) {
      // Every object of the tree repository: the same walk both ways, and tahoe's own deep-check.
      const env = timefsEnv(proxy.url, fixture.treeRoot, 'renew');
      const deep = await timed(proxy, process.execPath, [...TIMEFS, 'renew', '--walk', 'deep-check'], env);
      const windowed = await timed(proxy, process.execPath, [...TIMEFS, 'renew', '--walk', 'window'], env);
      const tahoeDeep = await tahoe(['deep-check', '--add-lease', '-u', proxy.url, fixture.treeRoot]);
      add('renew, window walk (the default)', windowed, tahoeDeep, 'tahoe deep-check --add-lease');
      add('renew, one streamed deep-check', deep, tahoeDeep, 'tahoe deep-check --add-lease');
    }

    if (runs('snapshots')) {
      const snapshotsDir = (await store.list(A)).get(REPO_LAYOUT.snapshots)!.readCap;
      await timed(proxy, process.execPath, [...TIMEFS, 'snapshots'], timefsEnv(proxy.url, A, 'snapshots'));
      const snaps = await timed(proxy, process.execPath, [...TIMEFS, 'snapshots'], timefsEnv(proxy.url, A, 'snapshots', false));
      const tahoeLs = await tahoe(['ls', '-u', proxy.url, snapshotsDir]);
      // RTTs on the critical path: the time added over the same command at RTT 0, over the RTT.
      if (rtt === 0) snapshotsAtZero = snaps.s;
      const rtts = rtt > 0 && snapshotsAtZero !== undefined ? ` ≈ ${((snaps.s - snapshotsAtZero) / (rtt / 1000)).toFixed(1)} RTT over RTT 0 (≤ 3; start-up ${startup.s.toFixed(2)} s)` : ` (start-up ${startup.s.toFixed(2)} s)`;
      rows.push(['timefs snapshots (second run)', `${fmt(snaps)}${rtts}`, `tahoe ls ${fmt(tahoeLs)}`, (snaps.s / tahoeLs.s).toFixed(2), `${snaps.requests} / ${tahoeLs.requests}`]);
    }
  } finally {
    proxy.server.closeAllConnections();
    proxy.server.close();
  }
  return rows;
}

async function main(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  if (!existsSync('dist/src/cli/main.js')) throw new Error('run `npm run build` first (bench:wan times the compiled CLI)');
  const config = defaultGridConfig();
  const tables: string[] = [];
  let fixture: Fixture | undefined;
  for (const rtt of RTTS) {
    console.error(`bench:wan: grid at RTT ${rtt} ms…`);
    const nodeUrl = await startGrid({ ...config, rttMs: rtt });
    const store = new TahoeStore({ nodeUrl });
    fixture ??= await buildFixture(store, nodeUrl);
    const rows = await round(rtt, fixture, nodeUrl, store);
    const head: Row = ['measure', 'timefs', 'reference', 'ratio (target)', 'web requests timefs / ref'];
    const lines = [head, ['---', '---', '---', '---', '---'] as Row, ...rows].map((r) => `| ${r.join(' | ')} |`);
    tables.push(`### RTT ${rtt} ms\n\n${lines.join('\n')}\n`);
    console.log(tables[tables.length - 1]);
  }
  console.log(`\ntimefs bench:wan (${new Date().toISOString()}, ${SIZE / MIB} MiB files, ${FILES} files in ${DIRS} dirs, RTTs ${RTTS.join(', ')} ms, measures ${[...ONLY].join(',')}; grid left at RTT ${RTTS[RTTS.length - 1]} ms)\n`);
  console.log(tables.join('\n'));
}

await main();
