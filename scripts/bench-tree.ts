/**
 * `npm run bench:tree`: the first backup of a real-looking tree and its full restore, against the
 * grid's own byte rate (`tahoe put` / `tahoe get` of a tar of the same tree) and `tahoe backup`,
 * on the same grid in the same run, at each RTT of the grid's latency mode.
 *   node --import tsx scripts/bench-tree.ts [--files N] [--rtt 0,50] [--backup rtt0|all|none] [--seed S]
 * The tree (fixed seed, test/helpers/tree-gen.ts) is shaped like /usr/share: ~45k entries and
 * ~500 MiB at full size, median file ~1.3 KB, 2.8 % of files above 64 KiB holding most bytes,
 * ~14 entries per directory, 8 % symlinks, hard links, odd names, fifos. Each RTT gets the same
 * shape with other bytes (a salt), so no tool finds its shares already in the grid.
 * Prints times, ratios, objects and web requests by kind, and peak RSS (`/usr/bin/time`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compareTrees } from '../test/helpers/tree-compare.js';
import { generateTree } from '../test/helpers/tree-gen.js';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const arg = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const files = Number(arg('--files') ?? 45_000);
const rtts = (arg('--rtt') ?? '0,50').split(',').map(Number);
const backupMode = arg('--backup') ?? 'rtt0';
const seed = Number(arg('--seed') ?? 2026);
const gridDir = resolve(process.env.TIMEFS_GRID_DIR ?? join(root, '.grid'));
const tahoe = process.env.TIMEFS_TAHOE ?? join(root, '.venv', 'bin', 'tahoe');
const nodeDir = join(gridDir, 'client');
const work = mkdtempSync(join(tmpdir(), 'timefs-bench-tree-'));
const env: NodeJS.ProcessEnv = { ...process.env, TIMEFS_NODE_DIRECTORY: nodeDir, XDG_STATE_HOME: join(work, 'state'), XDG_CACHE_HOME: join(work, 'cache') };
delete env.TIMEFS_NODE_URL;

function startGrid(rttMs: number): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/grid.ts'), 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TIMEFS_GRID_RTT_MS: String(rttMs) } });
  if (r.status !== 0) throw new Error(`cannot start the grid at RTT ${rttMs} ms`);
}

interface Run { seconds: number; rssMiB: number; out: string }

function measure(cmd: string, argv: string[]): Run {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'RSS_KIB=%M', cmd, ...argv], { encoding: 'utf8', env, maxBuffer: 1 << 28, cwd: root });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0 && r.status !== 3) throw new Error(`${cmd} ${argv[0] ?? ''} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const rss = /RSS_KIB=(\d+)/.exec(r.stderr);
  return { seconds, rssMiB: rss ? Number(rss[1]) / 1024 : NaN, out: r.stdout };
}

function timefsEntry(): string[] {
  spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { cwd: root });
  if (statSync(join(root, 'dist/src/cli/main.js'), { throwIfNoEntry: false })) return [join(root, 'bin/timefs.js')];
  return ['--import', 'tsx', join(root, 'src/cli/run.ts')];
}
const entry = timefsEntry();
const timefs = (...argv: string[]) => measure(process.execPath, [...entry, ...argv]);
const tahoeRun = (...argv: string[]) => measure(tahoe, ['-d', nodeDir, ...argv]);

async function contentDigest(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (path: Buffer): Promise<void> => {
    for (const name of (await readdir(path, { encoding: 'buffer' })).sort(Buffer.compare)) {
      const full = Buffer.concat([path, Buffer.from('/'), name]);
      const info = await lstat(full);
      h.update(name);
      if (info.isDirectory()) await walk(full);
      else if (info.isFile()) h.update(await readFile(full));
    }
  };
  await walk(Buffer.from(dir));
  return h.digest('hex');
}

const fmt = (s: number) => `${s.toFixed(1)} s`;
const rate = (bytes: number, s: number) => `${(bytes / s / 1e6).toFixed(1)} MB/s`;
const kinds = (r: Record<string, number> | undefined) => Object.entries(r ?? {}).sort().map(([k, v]) => `${k} ${v}`).join(', ');
const total = (r: Record<string, number> | undefined) => Object.values(r ?? {}).reduce((a, b) => a + b, 0);

interface Row { rtt: number; put: Run; get: Run; push: Run; restore: Run; backup?: Run; pushSummary: Record<string, unknown>; restoreReport: Record<string, unknown>; identical: boolean; bytes: number; entries: number }
const rows: Row[] = [];

for (const rtt of rtts) {
  startGrid(rtt);
  const label = `rtt${rtt}`;
  const src = join(work, label, 'tree');
  mkdirSync(src, { recursive: true });
  const made = generateTree(src, { entries: files, seed, salt: label });
  const entries = made.files + made.symlinks + made.hardlinks + made.fifos;
  console.log(`\n## RTT ${rtt} ms: ${made.files} files (${(made.bytes / 2 ** 20).toFixed(0)} MiB, ${made.largeFiles} above 64 KiB), ${made.dirs + 1} directories, ${made.symlinks} symlinks, ${made.hardlinks} hard links, ${made.fifos} fifos`);
  const tar = join(work, `${label}.tar`);
  execFileSync('tar', ['-cf', tar, '-C', join(work, label), 'tree']);
  const put = tahoeRun('put', tar);
  const tarCap = put.out.trim();
  const get = tahoeRun('get', tarCap, join(work, `${label}.got.tar`));
  rmSync(join(work, `${label}.got.tar`));
  const tarBytes = statSync(tar).size;
  rmSync(tar);
  console.log(`tahoe put of the tar (${(tarBytes / 2 ** 20).toFixed(0)} MiB): ${fmt(put.seconds)} (${rate(tarBytes, put.seconds)}); tahoe get: ${fmt(get.seconds)} (${rate(tarBytes, get.seconds)})`);

  const repo = `benchtree${rtt}x${Date.now()}:`;
  timefs('init', '--repo', repo);
  const push = timefs('push', '--repo', repo, '--json', src);
  const pushSummary = JSON.parse(push.out.split('\n').find((l) => l.includes('"event":"summary"'))!) as Record<string, unknown>;
  console.log(`timefs push: ${fmt(push.seconds)}, peak RSS ${push.rssMiB.toFixed(0)} MiB, ${pushSummary.uploads} objects, ${pushSummary.dirsCreated} directories; requests ${total(pushSummary.requests as Record<string, number>)} (${kinds(pushSummary.requests as Record<string, number>)})`);
  const target = join(work, label, 'restored');
  const restore = timefs('restore', `latest:${src}`, '--target', target, '--repo', repo, '--json');
  const restoreReport = JSON.parse(restore.out) as Record<string, unknown>;
  const problems = await compareTrees(src, target);
  const identical = problems.length === 0 && (await contentDigest(src)) === (await contentDigest(target));
  console.log(`timefs restore: ${fmt(restore.seconds)}, peak RSS ${restore.rssMiB.toFixed(0)} MiB; requests ${total(restoreReport.requests as Record<string, number>)} (${kinds(restoreReport.requests as Record<string, number>)}); tree ${identical ? 'identical' : `DIFFERENT: ${problems.slice(0, 5).join('; ')}`}`);
  let backup: Run | undefined;
  if (backupMode === 'all' || (backupMode === 'rtt0' && rtt === 0)) {
    const alias = `tbtree${rtt}x${Date.now()}`;
    execFileSync(tahoe, ['-d', nodeDir, 'create-alias', alias]);
    backup = tahoeRun('backup', src, `${alias}:b`);
    console.log(`tahoe backup: ${fmt(backup.seconds)}, peak RSS ${backup.rssMiB.toFixed(0)} MiB (it skips symlinks)`);
  }
  rows.push({ rtt, put, get, push, restore, ...(backup ? { backup } : {}), pushSummary, restoreReport, identical, bytes: made.bytes, entries });
  rmSync(join(work, label), { recursive: true, force: true });
}
startGrid(0);

console.log('\n| RTT | first push | ÷ tahoe put of tar | restore | ÷ tahoe get of tar | tahoe backup | push requests / file | peak RSS push / restore | identical |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const perFile = total(r.pushSummary.requests as Record<string, number>) / r.entries;
  console.log(`| ${r.rtt} ms | ${fmt(r.push.seconds)} | ${(r.push.seconds / r.put.seconds).toFixed(2)}× | ${fmt(r.restore.seconds)} | ${(r.restore.seconds / r.get.seconds).toFixed(2)}× | ${r.backup ? fmt(r.backup.seconds) : '—'} | ${perFile.toFixed(3)} | ${r.push.rssMiB.toFixed(0)} / ${r.restore.rssMiB.toFixed(0)} MiB | ${r.identical ? 'yes' : 'NO'} |`);
}
const at0 = rows.find((r) => r.rtt === 0);
for (const r of rows) if (at0 && r.rtt !== 0) console.log(`first push at RTT ${r.rtt} / at RTT 0: ${(r.push.seconds / at0.push.seconds).toFixed(2)}×; restore: ${(r.restore.seconds / at0.restore.seconds).toFixed(2)}×`);
rmSync(work, { recursive: true, force: true });
if (rows.some((r) => !r.identical)) process.exitCode = 1;
