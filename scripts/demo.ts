/**
 * `npm run demo`: the main job of timefs on a local grid, narrated.
 * Starts the local Tahoe grid, creates a repository, prints its recovery sheet (`timefs key`),
 * backs up a small tree twice (the second time as rdiff deltas), lists and reads old versions,
 * mounts the history with FUSE (when run as root with /dev/fuse), serves it over HTTP and WebDAV,
 * checks the repository, and asks `timefs doctor` whether it could be restored elsewhere.
 * Everything it makes lives under .demo/.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync, appendFileSync, symlinkSync, readFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultGridConfig, nodeDir } from './grid/local-grid.js';

const root = resolve(import.meta.dirname, '..');
const demoDir = join(root, '.demo');
const dataDir = join(demoDir, 'data');
const mountDir = join(demoDir, 'mnt');
const timefsBin = join(root, 'bin', 'timefs.js');

function step(title: string): void {
  process.stdout.write(`\n\x1b[1m== ${title}\x1b[0m\n`);
}

function run(args: string[], options: { allowFail?: boolean; quiet?: boolean } = {}): SpawnSyncReturns<string> {
  process.stdout.write(`$ timefs ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, [timefsBin, ...args], { encoding: 'utf8', env: process.env, maxBuffer: 64 << 20 });
  if (!options.quiet) process.stdout.write(result.stdout);
  process.stdout.write(result.stderr);
  if (result.status !== 0 && !options.allowFail) {
    throw new Error(`timefs ${args[0]} exited with ${result.status}`);
  }
  return result;
}

function shell(command: string): void {
  process.stdout.write(`$ ${command}\n`);
  const result = spawnSync('bash', ['-c', command], { encoding: 'utf8', cwd: demoDir });
  process.stdout.write(result.stdout + result.stderr);
}

function makeSourceTree(): void {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(join(dataDir, 'docs', 'notes'), { recursive: true });
  writeFileSync(join(dataDir, 'docs', 'report.txt'), 'Quarterly report, first draft.\n'.repeat(200));
  writeFileSync(join(dataDir, 'docs', 'notes', 'todo.txt'), '- back up the laptop\n- water the plants\n');
  writeFileSync(join(dataDir, 'database.bin'), randomBytes(8 << 20));
  symlinkSync('docs/report.txt', join(dataDir, 'report-link'));
}

function editSourceTree(): void {
  appendFileSync(join(dataDir, 'docs', 'report.txt'), 'Second draft: numbers added.\n');
  writeFileSync(join(dataDir, 'docs', 'notes', 'todo.txt'), '- back up the laptop (done)\n- water the plants\n');
  // Rewrite 1% of the database's 4 KiB blocks in place: a typical small change to a big file.
  const fd = openSync(join(dataDir, 'database.bin'), 'r+');
  for (let i = 0; i < 20; i++) writeSync(fd, randomBytes(4096), 0, 4096, Math.floor(Math.random() * 2047) * 4096);
  closeSync(fd);
}

function summaryLine(output: string): string {
  const lines = output.trim().split('\n').filter((line) => line.startsWith('{'));
  const summary = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((event) => event.event === 'summary');
  return summary ? JSON.stringify(summary) : '(no summary)';
}

async function showMount(): Promise<void> {
  if (process.getuid?.() !== 0 || !existsSync('/dev/fuse')) {
    step('Mount (skipped: needs root and /dev/fuse here)');
    return;
  }
  step('Mount every snapshot as a read-only file system');
  mkdirSync(mountDir, { recursive: true });
  process.stdout.write(`$ timefs mount ${mountDir} &\n`);
  const child = spawn(process.execPath, [timefsBin, 'mount', mountDir], { stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
  let exited = false;
  const exit = new Promise((done) => child.once('exit', () => { exited = true; done(undefined); }));
  const deadline = Date.now() + 30_000;
  while (!exited && !existsSync(join(mountDir, 'latest')) && Date.now() < deadline) await sleep(200);
  if (exited) throw new Error('timefs mount stopped before the mount was ready (see above)');
  try {
    shell(`ls -l ${mountDir}`);
    shell(`ls -l ${mountDir}/latest${dataDir}/docs`);
    shell(`ls ${mountDir}/history${dataDir}/docs/notes/todo.txt/`);
    shell(`for v in ${mountDir}/history${dataDir}/docs/notes/todo.txt/*; do echo "--- $v"; cat "$v"; done`);
    shell(`cmp ${mountDir}/latest${dataDir}/database.bin ${dataDir}/database.bin && echo "latest database.bin matches the source"`);
  } finally {
    process.stdout.write('$ kill -TERM <mount>   # unmounts cleanly\n');
    if (!exited) child.kill('SIGTERM');
    await exit;
  }
}

/** Starts `timefs serve`, reads a page, a WebDAV listing and an old version over HTTP, then stops it. */
async function showServe(): Promise<void> {
  step('Serve the history over HTTP: web pages and read-only WebDAV (no root, no FUSE)');
  process.stdout.write('$ timefs serve --port 0 --json &\n');
  const child = spawn(process.execPath, [timefsBin, 'serve', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  const url = await new Promise<string>((done, fail) => {
    child.stdout.once('data', (b: Buffer) => done((JSON.parse(b.toString().split('\n')[0] as string) as { url: string }).url));
    child.once('exit', (code) => fail(new Error(`timefs serve exited ${code} before listening`)));
  });
  try {
    const page = await (await fetch(url)).text();
    process.stdout.write(`GET ${url} -> the timeline page (${page.length} bytes of HTML, ${[...page.matchAll(/<tr><td>/g)].length} snapshots listed)\n`);
    const listing = await (await fetch(`${url}latest${dataDir}/docs/`, { method: 'PROPFIND', headers: { depth: '1' } })).text();
    process.stdout.write(`PROPFIND latest${dataDir}/docs/ (Depth: 1) -> ${[...listing.matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => decodeURIComponent(m[1] as string)).join('  ')}\n`);
    const versions = await (await fetch(`${url}history${dataDir}/docs/notes/todo.txt/`, { method: 'PROPFIND', headers: { depth: '1' } })).text();
    const first = /<D:href>([^<]*todo\.txt\/[^<]+)<\/D:href>/.exec(versions)?.[1];
    if (first) process.stdout.write(`GET ${decodeURIComponent(first)} ->\n${await (await fetch(url + first.slice(1))).text()}`);
    process.stdout.write(`Open ${url} in a browser, or connect a file manager to it (docs/serve.md); rclone: rclone ls :webdav:latest --webdav-url ${url}\n`);
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  step('Start a local Tahoe-LAFS grid (introducer, 3 storage nodes, 1 client; 2-of-3 encoding)');
  const grid = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'grid.ts'), 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (grid.status !== 0) throw new Error('the local grid did not start (see above)');
  const nodeUrl = grid.stdout.trim().split('\n').pop() ?? '';
  process.stdout.write(`grid client node: ${nodeUrl}\n`);

  mkdirSync(demoDir, { recursive: true });
  const nodeDirectory = join(demoDir, 'tahoe-node');
  mkdirSync(join(nodeDirectory, 'private'), { recursive: true });
  writeFileSync(join(nodeDirectory, 'node.url'), nodeUrl);
  // Like ~/.tahoe of a client: the grid's introducer and encoding, for the recovery sheet.
  const gridClient = nodeDir(defaultGridConfig(), 'client');
  copyFileSync(join(gridClient, 'tahoe.cfg'), join(nodeDirectory, 'tahoe.cfg'));
  copyFileSync(join(gridClient, 'private', 'introducers.yaml'), join(nodeDirectory, 'private', 'introducers.yaml'));
  Object.assign(process.env, {
    TIMEFS_NODE_DIRECTORY: nodeDirectory,
    XDG_STATE_HOME: join(demoDir, 'state'),
    XDG_CACHE_HOME: join(demoDir, 'cache'),
  });
  const aliases = join(nodeDirectory, 'private', 'aliases');
  const haveRepo = existsSync(aliases) && readFileSync(aliases, 'utf8').includes('demo:');

  step('Create a repository (a Tahoe alias, like `tahoe create-alias`)');
  run(['init', '--repo', 'demo:']);
  if (haveRepo) process.stdout.write('(the demo repository already existed: this run adds snapshots to it)\n');
  process.env.TIMEFS_REPO = 'demo:';

  step('Print the recovery sheet: the repository cap is the only key (keep it off this machine)');
  run(['key']);

  step('First backup: every file is new and stored whole');
  makeSourceTree();
  shell(`find data -printf '%M %10s  %p\\n' | sort -k3`);
  const first = run(['push', '--json', dataDir], { quiet: true });
  process.stdout.write(`summary: ${summaryLine(first.stdout)}\n`);

  step('Change a few things, then back up again: only rdiff deltas are uploaded');
  editSourceTree();
  await sleep(1100); // snapshot names have one-second resolution
  const second = run(['push', '--json', dataDir], { quiet: true });
  process.stdout.write(`summary: ${summaryLine(second.stdout)}\n`);

  step('Browse the history');
  run(['snapshots']);
  run(['ls', 'latest', `${dataDir}/docs`]);
  const snapshots = JSON.parse(run(['snapshots', '--json'], { quiet: true }).stdout) as unknown;
  const list = (Array.isArray(snapshots) ? snapshots : (snapshots as { snapshots: unknown[] }).snapshots) as Array<{ name: string }>;
  const oldest = list[list.length >= 2 ? list.length - 2 : 0]?.name ?? 'latest';
  process.stdout.write(`\nThe to-do list as of ${oldest}, rebuilt from the grid:\n`);
  run(['cat', oldest, `${dataDir}/docs/notes/todo.txt`]);

  await showMount();
  await showServe();

  step('Verify every object and every version');
  run(['check', '--read-data']);

  step('Could the backups be restored without this machine?');
  run(['doctor'], { allowFail: true });

  step('Done');
  process.stdout.write(
    [
      'The grid is still running, so you can try more commands, e.g.:',
      `  export TIMEFS_NODE_DIRECTORY=${nodeDirectory} TIMEFS_REPO=demo:`,
      '  node bin/timefs.js snapshots',
      `  node bin/timefs.js mount /mnt/backups`,
      '  node bin/timefs.js serve              # then open http://127.0.0.1:8080/',
      'Stop the grid with `npm run grid:stop`; remove .demo/ to start over.',
      '',
    ].join('\n'),
  );
}

try {
  await main();
} catch (err) {
  process.stderr.write(`demo: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
