/**
 * `npm run bench:serve`: `timefs serve` against plain grid reads on the same grid in the same run.
 *
 * Fixture (built once, then reused from bench-out/serve/fixture.json while the grid keeps it), one
 * snapshot holding: a 256 MiB file stored as a chain of depth 16 (deltas by the system `rdiff`);
 * `flat/`, one directory of 10,000 files of 1 KiB packed 64 to an object as push packs them; and
 * `files/`, 20 files of 8 MiB stored whole.
 *
 * Measures, each against its target from issue #12:
 * - GET of the depth-16 file through serve vs a plain web-API GET of its 256 MiB base (≥ 0.8×);
 * - PROPFIND depth 1 of the 10,000-entry directory, cold and warm (warm ≤ 0.5 s);
 * - zip download of that directory (MB/s);
 * - 20 concurrent clients each reading a different 8 MiB file (no error; aggregate MB/s);
 * - RSS of the serve process under that load (≤ 200 MiB).
 * Grid requests per operation are counted by a proxy in front of the client node.
 *
 * Env: BENCH_MIB (default 256), BENCH_FILES (default 10000), BENCH_CLIENTS (default 20),
 * BENCH_CLIENT_MIB (default 8), BENCH_SERVE_ARGS (extra `timefs serve` options, e.g. --cache-size 32M),
 * BENCH_NODE_OPTIONS (default: the heap settings of
 * mount-examples/timefs-serve.service), TIMEFS_NODE_URL (default: the local test grid), BENCH_DIR
 * (default bench-out/serve). RTT: whatever the grid has (TIMEFS_GRID_RTT_MS for latency mode).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { FORMAT, REPO_LAYOUT } from '../src/model/entry.js';
import { TahoeStore } from '../src/store/tahoe/tahoe-store.js';
import { blake2bHex } from '../src/model/blake2b-pool.js';
import { buildChain, countingProxy, keystream, median, rss } from './bench-fixtures.js';

const MIB = 1 << 20;
const SIZE = Number(process.env.BENCH_MIB ?? 256) * MIB;
const FILES = Number(process.env.BENCH_FILES ?? 10_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const CLIENT_SIZE = Number(process.env.BENCH_CLIENT_MIB ?? 8) * MIB;
const DEPTH = 16;
const DIR = resolve(process.env.BENCH_DIR ?? 'bench-out/serve');
const NODE_URL = (process.env.TIMEFS_NODE_URL ?? execFileSync(process.execPath, ['--import', 'tsx', 'scripts/grid.ts', 'start'], { encoding: 'utf8' }).trim().split('\n').pop() ?? '').replace(/\/?$/, '/');
const store = new TahoeStore({ nodeUrl: NODE_URL });
const SNAPSHOT = '2020-01-01T00:00:00Z';

interface Fixture { key: string; rootCap: string; baseCap: string }

const meta = (type: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ timefs: { type, mode: type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: '1577836800000000000', size: 0, ...extra } });

/** 10,000 small files in one directory, packed 64 to an object with their hashes, as push stores them. */
async function flatDirectory(): Promise<string> {
  const entries: Record<string, { cap: string; metadata: Record<string, unknown> }> = {};
  for (let first = 0; first < FILES; first += 64) {
    const count = Math.min(64, FILES - first);
    const pack = keystream(`pack-${first}`, count * 1024);
    const cap = await store.putImmutable(new Uint8Array(pack));
    for (let i = 0; i < count; i++) {
      const content = pack.subarray(i * 1024, (i + 1) * 1024);
      entries[`file-${String(first + i).padStart(5, '0')}.dat`] = { cap, metadata: meta('file', { size: 1024, hash: await blake2bHex(content), storage: 'packed', pack: { offset: i * 1024 } }) };
    }
  }
  return store.mkdirImmutable(entries);
}

async function buildFixture(): Promise<Fixture> {
  const key = JSON.stringify([NODE_URL, SIZE, FILES, CLIENTS, CLIENT_SIZE]);
  const saved = join(DIR, 'fixture.json');
  if (existsSync(saved)) {
    const fixture = JSON.parse(readFileSync(saved, 'utf8')) as Fixture;
    if (fixture.key === key && (await store.list(fixture.rootCap).then(() => true, () => false))) return fixture;
  }
  console.log(`building the fixture (${SIZE / MIB} MiB chain of depth ${DEPTH}, ${FILES} packed files, ${CLIENTS} × ${CLIENT_SIZE / MIB} MiB files)…`);
  const chain = await buildChain(store, SIZE, DEPTH, join(DIR, 'chain'));
  const whole: Record<string, { cap: string; metadata: Record<string, unknown> }> = {};
  for (let i = 0; i < CLIENTS; i++) {
    const content = keystream(`client-${i}`, CLIENT_SIZE);
    whole[`f-${String(i).padStart(2, '0')}.bin`] = { cap: await store.putImmutable(new Uint8Array(content)), metadata: meta('file', { size: CLIENT_SIZE, hash: await blake2bHex(content), storage: 'whole' }) };
  }
  const top = await store.mkdirImmutable({
    'big.bin': { cap: chain.nodeCap, metadata: meta('file', { size: chain.size, hash: chain.hash, storage: 'chain', chain: DEPTH }) },
    flat: { cap: await flatDirectory(), metadata: meta('dir') },
    files: { cap: await store.mkdirImmutable(whole), metadata: meta('dir') },
  });
  const snapshotsCap = await store.mkdirMutable();
  await store.link(snapshotsCap, SNAPSHOT, top, { timefs: { time: SNAPSHOT, host: 'bench', paths: ['/'], stats: {} } });
  const config = await store.putImmutable(new Uint8Array(Buffer.from(JSON.stringify({ format: FORMAT, created: new Date().toISOString() }))));
  const rootCap = await store.mkdirMutable({ [REPO_LAYOUT.config]: { cap: config }, [REPO_LAYOUT.snapshots]: { cap: snapshotsCap } });
  const fixture: Fixture = { key, rootCap, baseCap: chain.baseCap };
  writeFileSync(saved, JSON.stringify(fixture), { mode: 0o600 });
  return fixture;
}

/** Starts `timefs serve` (compiled) in front of `nodeUrl`; resolves with its URL. */
async function startServe(rootCap: string, nodeUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const cacheHome = join(DIR, 'cache');
  rmSync(cacheHome, { recursive: true, force: true });
  const child = spawn(process.execPath, ['bin/timefs.js', 'serve', '--repo', rootCap, '--node-url', nodeUrl, '--port', '0', '--json', '--utc', ...(process.env.BENCH_SERVE_ARGS ?? '').split(' ').filter(Boolean)], {
    // the heap settings mount-examples/timefs-serve.service uses for a long-running server
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, XDG_CACHE_HOME: cacheHome, XDG_STATE_HOME: join(DIR, 'state'), NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '--max-semi-space-size=2 --max-old-space-size=128' },
  });
  const line = await new Promise<string>((done, fail) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', done);
    child.once('exit', (code) => fail(new Error(`timefs serve exited with ${code}`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, child };
}

/** Downloads `url` to nowhere; returns bytes and seconds. */
async function download(url: string, init: RequestInit = {}): Promise<{ bytes: number; seconds: number; status: number }> {
  const started = performance.now();
  const res = await fetch(url, init);
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return { bytes, seconds: (performance.now() - started) / 1000, status: res.status };
}

const mbps = (bytes: number, seconds: number): string => `${(bytes / MIB / seconds).toFixed(1)} MiB/s`;

async function main(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  const fixture = await buildFixture();
  const proxy = await countingProxy(NODE_URL);
  let { url, child } = await startServe(fixture.rootCap, proxy.url);
  const rows: string[][] = [];
  try {
    const plain = await download(`${NODE_URL}uri/${encodeURIComponent(fixture.baseCap)}`);
    proxy.reset();
    const served = await download(`${url}latest/big.bin`);
    if (served.status !== 200 || served.bytes !== SIZE) throw new Error(`GET big.bin: status ${served.status}, ${served.bytes} bytes`);
    const ratio = (served.bytes / served.seconds) / (plain.bytes / plain.seconds);
    rows.push([`GET ${SIZE / MIB} MiB, chain depth ${DEPTH}`, mbps(served.bytes, served.seconds), `plain web-API GET of the base ${mbps(plain.bytes, plain.seconds)}`, `${ratio.toFixed(2)}× (target ≥ 0.8×)`, String(proxy.requests())]);

    const propfind = (): Promise<{ bytes: number; seconds: number; status: number }> => download(`${url}latest/flat/`, { method: 'PROPFIND', headers: { depth: '1' } });
    proxy.reset();
    const cold = await propfind();
    const coldRequests = proxy.requests();
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push((await propfind()).seconds);
    rows.push([`PROPFIND depth 1, ${FILES} entries`, `warm ${median(warm).toFixed(3)} s (median of 5)`, `cold ${cold.seconds.toFixed(3)} s`, median(warm) <= 0.5 ? 'met (target ≤ 0.5 s)' : 'MISSED (target ≤ 0.5 s)', `${coldRequests} cold, 0 warm`]);

    proxy.reset();
    const zip = await download(`${url}latest/flat/?download=zip`);
    if (zip.status !== 200) throw new Error(`zip download: status ${zip.status}`);
    rows.push([`zip of ${FILES} files of 1 KiB`, mbps(zip.bytes, zip.seconds), `${(FILES / zip.seconds).toFixed(0)} files/s, ${(zip.seconds).toFixed(1)} s`, 'reported', String(proxy.requests())]);

    // The load below runs on a fresh server, so its RSS is that load's, not the high-water mark
    // the 256 MiB chain rebuild and the zip left behind (freed memory stays with the process).
    const earlierPeak = rss(child.pid as number).peak;
    child.kill('SIGTERM');
    ({ url, child } = await startServe(fixture.rootCap, proxy.url));
    const idle = rss(child.pid as number).rss;
    proxy.reset();
    let peak = 0;
    const sampler = setInterval(() => { peak = Math.max(peak, rss(child.pid as number).rss); }, 50);
    const started = performance.now();
    const results = await Promise.allSettled(Array.from({ length: CLIENTS }, (_, i) => download(`${url}latest/files/f-${String(i).padStart(2, '0')}.bin`)));
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const ok = results.filter((r) => r.status === 'fulfilled' && r.value.status === 200 && r.value.bytes === CLIENT_SIZE).length;
    const errors = CLIENTS - ok;
    rows.push([`${CLIENTS} concurrent clients × ${CLIENT_SIZE / MIB} MiB`, mbps(CLIENTS * CLIENT_SIZE, seconds), `${errors} error${errors === 1 ? '' : 's'}`, errors === 0 ? 'no error: met' : 'ERRORS', String(proxy.requests())]);
    rows.push(['RSS of timefs serve under that load', `${peak.toFixed(0)} MiB peak`, `${idle.toFixed(0)} MiB idle; ${earlierPeak.toFixed(0)} MiB peak after the chain GET, PROPFINDs and zip`, peak <= 200 ? 'met (target ≤ 200 MiB)' : 'MISSED (target ≤ 200 MiB)', '']);
  } finally {
    child.kill('SIGTERM');
    proxy.server.close();
  }
  const table = ['| measure | timefs serve | reference | result | grid requests |', '|---|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(`\n${table}\n`);
  writeFileSync(join(DIR, 'results.md'), `${table}\n`);
}

main().catch((err: unknown) => {
  console.error(`bench:serve: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
