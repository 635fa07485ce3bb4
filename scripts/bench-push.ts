/**
 * `npm run bench:push`: timefs push against `tahoe backup` (and `rdiff`) on the same grid, same run.
 *   node --import tsx scripts/bench-push.ts [--quick] [--only sparse,blocks,small,nochange] [--files N] [--tahoe-files N]
 * tahoe backup runs first in each pair: both use the same client node (same convergence secret),
 * so whichever runs second could find shares already there; this way timefs never profits.
 * Stored bytes are measured as the growth of the grid's share directories (`du -sb` of
 * `<grid>/storageN/storage/shares`), i.e. after erasure-coding expansion, for both tools.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, closeSync, writeSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : ['sparse', 'blocks', 'small', 'nochange'];
const filesArg = args.includes('--files') ? Number(args[args.indexOf('--files') + 1]) : undefined;
const gridDir = resolve(process.env.TIMEFS_GRID_DIR ?? join(root, '.grid'));
const tahoe = process.env.TIMEFS_TAHOE ?? join(root, '.venv', 'bin', 'tahoe');
const nodeDir = join(gridDir, 'client');
const work = mkdtempSync(join(tmpdir(), 'timefs-bench-push-'));
const env: NodeJS.ProcessEnv = { ...process.env, TIMEFS_NODE_DIRECTORY: nodeDir, XDG_STATE_HOME: join(work, 'state'), XDG_CACHE_HOME: join(work, 'cache') };
delete env.TIMEFS_NODE_URL;

function gridUrl(): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/grid.ts'), 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  if (r.status !== 0) throw new Error('cannot start the grid');
  return r.stdout.trim().split('\n').pop()!;
}

function sharesBytes(): number {
  let total = 0;
  for (const name of readdirSync(gridDir)) {
    const shares = join(gridDir, name, 'storage', 'shares');
    if (name.startsWith('storage')) total += Number(execFileSync('du', ['-sb', shares], { encoding: 'utf8' }).split('\t')[0]);
  }
  return total;
}

interface Run { seconds: number; stored: number; rssKiB?: number; out: string }

function measure(cmd: string, argv: string[], extraEnv: Record<string, string> = {}): Run {
  const before = sharesBytes();
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'RSS_KIB=%M', cmd, ...argv], { encoding: 'utf8', env: { ...env, ...extraEnv }, maxBuffer: 1 << 28, cwd: root });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0 && r.status !== 3) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const rss = /RSS_KIB=(\d+)/.exec(r.stderr);
  return { seconds, stored: sharesBytes() - before, out: r.stdout, ...(rss ? { rssKiB: Number(rss[1]) } : {}) };
}

// Compiled JavaScript when the build works (as users run it), else from source through tsx.
function timefsEntry(): string[] {
  const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
  const compiled = join(root, 'dist/src/cli/main.js');
  if (build.status !== 0) console.log('(the TypeScript build reported errors; it still emits JavaScript)');
  if (statSync(compiled, { throwIfNoEntry: false })) return [join(root, 'bin/timefs.js')];
  console.log('(no build: running timefs from source through tsx, which adds ~1 s of start-up)');
  return ['--import', 'tsx', join(root, 'src/cli/run.ts')];
}
const entry = timefsEntry();
const timefs = (...argv: string[]) => measure(process.execPath, [...entry, ...argv]);
const tahoeCmd = (...argv: string[]) => measure(tahoe, ['-d', nodeDir, ...argv]);
const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const ratio = (a: number, b: number) => (b === 0 ? '∞' : `${(a / b).toFixed(1)}×`);

function writeRandomFile(path: string, size: number): void {
  const fd = openSync(path, 'w');
  const chunk = 1 << 22;
  for (let done = 0; done < size; done += chunk) writeSync(fd, randomBytes(Math.min(chunk, size - done)));
  closeSync(fd);
}

function seeded(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function overwrite(path: string, edits: Array<[number, Buffer]>): void {
  const fd = openSync(path, 'r+');
  for (const [pos, data] of edits) writeSync(fd, data, 0, data.length, pos);
  closeSync(fd);
  const t = Date.now() / 1000 - 5;
  utimesSync(path, t, t);
}

function rdiffBytes(oldFile: string, newFile: string, blockLength: number): { delta: number; sig: number } {
  const sig = join(work, 'rdiff.sig');
  const delta = join(work, 'rdiff.delta');
  execFileSync('rdiff', ['-b', String(blockLength), 'signature', oldFile, sig]);
  execFileSync('rdiff', ['delta', sig, newFile, delta]);
  const newSig = join(work, 'rdiff-new.sig');
  execFileSync('rdiff', ['-b', String(blockLength), 'signature', newFile, newSig]);
  const out = { delta: statSync(delta).size, sig: statSync(newSig).size };
  for (const f of [sig, delta, newSig]) rmSync(f);
  return out;
}

function summary(out: string): Record<string, number> {
  const line = out.split('\n').find((l) => l.includes('"event":"summary"'));
  return line ? (JSON.parse(line) as Record<string, number>) : {};
}

async function editCase(label: string, size: number, makeEdits: (size: number) => Array<[number, Buffer]>): Promise<void> {
  const dir = join(work, label);
  mkdirSync(dir);
  const file = join(dir, 'data.bin');
  writeRandomFile(file, size);
  const t = Date.now() / 1000 - 5;
  utimesSync(file, t, t);
  const repo = `bench-${label}-${Date.now()}:`;
  timefs('init', '--repo', repo);
  const tbAlias = `tb${label}${Date.now()}`;
  execFileSync(tahoe, ['-d', nodeDir, 'create-alias', tbAlias]);
  const oldCopy = join(work, `${label}.old`);
  execFileSync('cp', ['--reflink=auto', file, oldCopy]);
  const t1 = tahoeCmd('backup', dir, `${tbAlias}:b`);
  const p1 = timefs('push', '--repo', repo, '--json', dir);
  overwrite(file, makeEdits(size));
  const t2 = tahoeCmd('backup', dir, `${tbAlias}:b`);
  const p2 = timefs('push', '--repo', repo, '--json', dir);
  const { chooseBlockLength } = await import('../src/model/signature-params.js');
  const block = chooseBlockLength(size);
  const ours = rdiffBytes(oldCopy, file, block);
  const at4k = rdiffBytes(oldCopy, file, 4096);
  const s2 = summary(p2.out);
  console.log(`\n## ${label}: ${mb(size)} file`);
  console.log(`first push:   timefs ${p1.seconds.toFixed(1)} s, stored ${mb(p1.stored)} (RSS ${p1.rssKiB} KiB) | tahoe backup ${t1.seconds.toFixed(1)} s, stored ${mb(t1.stored)}`);
  console.log(`second push:  timefs ${p2.seconds.toFixed(1)} s, stored ${mb(p2.stored)}, uploaded ${mb(s2.bytesUploaded ?? 0)} (RSS ${p2.rssKiB} KiB) | tahoe backup ${t2.seconds.toFixed(1)} s, stored ${mb(t2.stored)}`);
  console.log(`rdiff at -b ${block} (our policy): delta ${mb(ours.delta)} + signature ${mb(ours.sig)} = ${mb(ours.delta + ours.sig)}`);
  console.log(`rdiff at -b 4096:                 delta ${mb(at4k.delta)} + signature ${mb(at4k.sig)} = ${mb(at4k.delta + at4k.sig)}`);
  console.log(`ratios: stored vs tahoe backup ${ratio(t2.stored, p2.stored)} less; uploaded vs rdiff delta+sig ${((s2.bytesUploaded ?? 0) / (ours.delta + ours.sig)).toFixed(2)} (vs rdiff delta alone ${((s2.bytesUploaded ?? 0) / ours.delta).toFixed(2)}); stored (after expansion) vs rdiff delta+sig ${(p2.stored / (ours.delta + ours.sig)).toFixed(2)}; time vs tahoe backup ${ratio(t2.seconds, p2.seconds)} faster`);
  // restic 258 MB and borg 262 MB for the 1 % edit of 256 MiB are the issue's published figures, not measured here.
  if (label === 'blocks' && !quick) console.log(`vs published restic 258 MB / borg 262 MB for this edit: ${ratio(258e6, p2.stored)} / ${ratio(262e6, p2.stored)} less (stored after expansion)`);
  rmSync(oldCopy);
  rmSync(dir, { recursive: true });
}

function makeTree(dir: string, count: number, sizeOf: (i: number) => number): void {
  const perDir = 100;
  for (let i = 0; i < count; i++) {
    const sub = join(dir, `d${Math.floor(i / perDir)}`);
    if (i % perDir === 0) mkdirSync(sub, { recursive: true });
    const size = sizeOf(i);
    const content = Buffer.alloc(size);
    createHash('sha256').update(String(i)).digest().copy(content);
    randomBytes(Math.min(size, 64)).copy(content, Math.min(32, size));
    writeFileSync(join(sub, `f${i}`), content);
  }
  execFileSync('find', [dir, '-exec', 'touch', '-h', '-d', '@1600000000', '{}', '+']);
}

async function treeCase(label: string, count: number, sizeOf: (i: number) => number, noChange: boolean, withTahoe = true): Promise<void> {
  const dir = join(work, `${label}-${count}`);
  mkdirSync(dir);
  makeTree(dir, count, sizeOf);
  const repo = `bench-${label}-${Date.now()}:`;
  timefs('init', '--repo', repo);
  const tbAlias = `tb${label}${Date.now()}`;
  if (withTahoe) execFileSync(tahoe, ['-d', nodeDir, 'create-alias', tbAlias]);
  // tahoe backup goes first: its uploads cannot profit from ours (same convergence secret).
  const t1 = withTahoe ? tahoeCmd('backup', dir, `${tbAlias}:b`) : undefined;
  const p1 = timefs('push', '--repo', repo, '--json', dir);
  console.log(`\n## ${label}: ${count} files`);
  console.log(`first push: timefs ${p1.seconds.toFixed(1)} s (RSS ${p1.rssKiB} KiB, stored ${mb(p1.stored)})${t1 ? ` | tahoe backup ${t1.seconds.toFixed(1)} s (stored ${mb(t1.stored)}) | timefs ${ratio(t1.seconds, p1.seconds)} faster` : ''}`);
  if (noChange) {
    const p2 = timefs('push', '--repo', repo, '--json', dir);
    const t2 = withTahoe ? tahoeCmd('backup', dir, `${tbAlias}:b`) : undefined;
    const s2 = summary(p2.out);
    console.log(`no-change push: timefs ${p2.seconds.toFixed(2)} s (RSS ${p2.rssKiB} KiB, bytes read ${s2.bytesRead}, uploads ${s2.uploads})${t2 ? ` | tahoe backup ${t2.seconds.toFixed(2)} s | timefs ${ratio(t2.seconds, p2.seconds)} faster` : ''}`);
  }
  rmSync(dir, { recursive: true });
}

async function main(): Promise<void> {
  console.log(`grid ${gridUrl()} (${gridDir}); stored bytes = growth of share directories (du -sb), after 2-of-3 expansion`);
  const GiB = 1 << 30;
  if (only.includes('sparse')) {
    await editCase('sparse', quick ? 64 << 20 : GiB, (size) => {
      const r = seeded(1);
      return Array.from({ length: 160 }, () => [Math.floor(r() * (size - 64)), randomBytes(64)] as [number, Buffer]);
    });
  }
  if (only.includes('blocks')) {
    await editCase('blocks', quick ? 32 << 20 : 256 << 20, (size) => {
      const r = seeded(2);
      const blocks = size / 4096;
      const chosen = new Set<number>();
      while (chosen.size < Math.round(blocks / 100)) chosen.add(Math.floor(r() * blocks));
      return [...chosen].map((b) => [b * 4096, randomBytes(4096)] as [number, Buffer]);
    });
  }
  if (only.includes('small')) await treeCase('small', filesArg ?? (quick ? 500 : 10_000), (i) => 1024 + ((i * 7919) % (63 * 1024)), false);
  if (only.includes('nochange')) {
    // tahoe backup's first run costs ~14 ms a file here, so the same-tree comparison uses at most
    // --tahoe-files files (default 20,000); the full-size no-change run is timefs alone.
    const count = filesArg ?? (quick ? 5_000 : 100_000);
    const tahoeFiles = args.includes('--tahoe-files') ? Number(args[args.indexOf('--tahoe-files') + 1]) : 20_000;
    await treeCase('nochange', Math.min(count, tahoeFiles), () => 40, true, true);
    if (count > tahoeFiles) await treeCase('nochange', count, () => 40, true, false);
  }
  rmSync(work, { recursive: true, force: true });
}

await main();
