// The kernel session on real mounts: a mount point with a space (readahead raised), d_ino that
// agrees with stat, the node table returning to its level while drop_caches loops under find,
// Ctrl-C during a read the grid does not answer, a lazy unmount with files open, and fio and
// stress-ng reading through the mount.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lstat, mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { mountDevice } from '../../src/fs/kernel/kernel-mount.js';
import { mountSource, type MountedFs } from '../../src/fs/mounter.js';
import { mountPointState } from '../../src/fs/mount-point.js';
import { TahoeStore } from '../../src/store/tahoe/tahoe-store.js';
import { createBackupView } from '../../src/view/backup-view-setup.js';
import { addSnapshot, dir, memoryRepo, wholeFile, type Node } from '../helpers/view-fixture.js';
import { pushOnce } from '../integration/push/push-fixture.js';

const run = promisify(execFile);
const nodeUrl = process.env.TIMEFS_TEST_NODE_URL ?? 'http://127.0.0.1:47006/';
const SNAPSHOTS = Array.from({ length: 8 }, (_, i) => `2012-0${1 + (i % 8)}-0${1 + (i % 7)}T10:00:0${i}Z`);
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** A proxy in front of the grid's client node that, while `slow`, never answers (a grid that hangs). */
class HangingProxy {
  slow = false;
  /** Requests held while slow whose client gave up (the abort reached the HTTP call). */
  abandoned = 0;
  /** Requests held while slow. */
  held = 0;
  private readonly server: Server;

  constructor(private readonly target: string) {
    this.server = createServer((req, res) => {
      if (this.slow) {
        this.held++;
        res.on('close', () => { if (!res.writableEnded) this.abandoned++; });
        return;
      }
      const upstream = request(new URL(req.url ?? '/', this.target), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}

describe('the kernel session on real mounts (real grid)', () => {
  const store = new TahoeStore({ nodeUrl });
  let snapshotsCap: string;
  let base: string;
  let mountPoint: string;
  let mounted: MountedFs;
  const logs: string[] = [];

  before(async () => {
    ({ snapshotsCap } = await memoryRepo(store));
    const files: Node[] = [];
    for (let i = 0; i < 6; i++) files.push(await wholeFile(store, new Uint8Array(Buffer.from(`file ${i}\n`.repeat(1000 + i)))));
    for (const [s, time] of SNAPSHOTS.entries()) {
      const sub = async (k: number): Promise<Node> => dir(store, Object.fromEntries(files.map((f, i) => [`f${k}-${(i + s) % 6}.txt`, f])));
      await addSnapshot(store, snapshotsCap, time, await dir(store, { a: await sub(1), b: await sub(2), [`only-${s}`]: await sub(3) }));
    }
    base = await mkdtemp(join(tmpdir(), 'timefs-hard-'));
    mountPoint = join(base, 'mount point with spaces');
    await mkdir(mountPoint);
    mounted = await mountSource(createBackupView(store, snapshotsCap, { zone: 'utc', log: (l) => logs.push(l) }).view, mountPoint, {
      backend: 'kernel', timeoutMs: 20_000, log: (l) => logs.push(l),
    });
  });

  after(async () => {
    if ((await mountPointState(mountPoint).catch(() => 'ready')) !== 'ready') await mounted.unmount(true).catch(() => {});
    await rm(base, { recursive: true, force: true });
  });

  it('raises the readahead of a mount point whose name has spaces (\\040 in mountinfo, fault 6)', async () => {
    const device = await mountDevice(mountPoint);
    assert.ok(device, 'the mount is found in mountinfo');
    assert.equal((await readFile(`/sys/class/bdi/${device}/read_ahead_kb`, 'utf8')).trim(), '1024');
  });

  it("find -printf '%i' and readdir's d_ino (Python scandir) agree with stat everywhere (fault 2)", async () => {
    const where = [join(mountPoint, SNAPSHOTS[0] as string), join(mountPoint, 'history', 'a')];
    const top = await run('find', [mountPoint, '-maxdepth', '1', '-printf', '%i %p\\n']);
    const { stdout } = await run('find', [...where, '-printf', '%i %p\\n'], { maxBuffer: 1 << 24 });
    const lines = `${top.stdout}${stdout}`.trim().split('\n');
    assert.ok(lines.length > 30, stdout);
    for (const line of lines) {
      const [ino, ...rest] = line.split(' ');
      const info = await lstat(rest.join(' '), { bigint: true });
      assert.equal(BigInt(ino as string), info.ino, line);
    }
    const script = 'import os,sys\nbad=[]\nn=0\nfor top in sys.argv[1:]:\n  for root,dirs,files in os.walk(top):\n    for e in os.scandir(root):\n      n+=1\n      if e.inode()!=e.stat(follow_symlinks=False).st_ino: bad.append(e.path)\nprint(n, len(bad), bad[:3])\n';
    const py = await run('python3', ['-c', script, mountPoint + '/' + SNAPSHOTS[1], join(mountPoint, 'history', 'b'), mountPoint]);
    const [count, bad] = py.stdout.trim().split(' ');
    assert.ok(Number(count) > 30, py.stdout);
    assert.equal(bad, '0', py.stdout);
  });

  it('find over every snapshot while drop_caches loops: the node count returns to its starting level', async () => {
    await writeFile('/proc/sys/vm/drop_caches', '2');
    await sleep(200);
    const start = mounted.nodeCount() ?? 0;
    let dropping = true;
    const dropper = (async () => {
      while (dropping) {
        await writeFile('/proc/sys/vm/drop_caches', '2');
        await sleep(100);
      }
    })();
    const { stdout } = await run('find', [mountPoint, '-noleaf'], { maxBuffer: 1 << 26 }).finally(() => { dropping = false; });
    await dropper;
    assert.ok(stdout.split('\n').length > 8 * 30, 'find saw every snapshot');
    let count = mounted.nodeCount() ?? 0;
    for (let i = 0; i < 30 && count > start; i++) {
      await writeFile('/proc/sys/vm/drop_caches', '2');
      await sleep(100);
      count = mounted.nodeCount() ?? 0;
    }
    assert.ok(count <= start, `node count ${count}, at the start ${start}`);
  });

  it('SIGINT during a read the grid never answers ends the reader within 1 s and aborts the grid call (fault 3)', async () => {
    const proxy = new HangingProxy(nodeUrl);
    const slowPoint = join(base, 'slow');
    await mkdir(slowPoint);
    const slowStore = new TahoeStore({ nodeUrl: await proxy.start() });
    const slow = await mountSource(createBackupView(slowStore, snapshotsCap, { zone: 'utc' }).view, slowPoint, { backend: 'kernel', timeoutMs: 20_000 });
    try {
      const dir = join(slowPoint, SNAPSHOTS[2] as string, 'a');
      await stat(join(dir, 'f1-0.txt')); // names and attributes are known; the content is not
      await stat(join(dir, 'f1-1.txt'));
      proxy.slow = true;
      // buffered: the reader waits for the kernel's readahead, a background request it cannot interrupt
      // but no longer waits for; direct: the READ is the reader's own, so the INTERRUPT cancels its grid call
      for (const [what, argv] of [['cat', ['cat', join(dir, 'f1-0.txt')]], ['dd iflag=direct', ['dd', `if=${join(dir, 'f1-1.txt')}`, 'of=/dev/null', 'bs=64k', 'iflag=direct']]] as const) {
        const abandoned = proxy.abandoned;
        const started = Date.now();
        const result = await run('timeout', ['-s', 'INT', '0.5', ...argv]).then(() => 0, (err: { code?: number }) => err.code);
        const elapsed = Date.now() - started;
        assert.notEqual(result, 0, `${what} was interrupted`);
        assert.ok(elapsed < 1500, `${what} ended ${elapsed} ms after it started (SIGINT at 500 ms)`);
        if (what === 'cat') continue;
        for (let i = 0; i < 100 && proxy.abandoned === abandoned; i++) await sleep(50); // the socket closes asynchronously, later on a busy machine
        assert.ok(proxy.abandoned > abandoned, `the held grid request was aborted (${proxy.held} held, ${proxy.abandoned} abandoned)`);
      }
    } finally {
      proxy.slow = false;
      await slow.unmount().catch(() => slow.unmount(true));
      await proxy.stop();
    }
  });

  it('fio verifies pushed fio-pattern files through the mount: random reads, several jobs, buffered and O_DIRECT', async () => {
    const src = join(base, 'fio-src');
    await mkdir(src);
    const job = ['--name=fv', '--numjobs=3', '--size=3M', '--bs=16k', '--verify=crc32c', '--ioengine=psync', '--verify_state_save=0'];
    await run('fio', [...job, `--directory=${src}`, '--rw=randwrite', '--do_verify=0'], { cwd: src });
    const repo = await memoryRepo(store);
    await pushOnce(store, repo.snapshotsCap, join(base, 'fio-state'), { paths: [src] });
    const fioPoint = join(base, 'fio');
    await mkdir(fioPoint);
    const fioMount = await mountSource(createBackupView(store, repo.snapshotsCap, { zone: 'utc' }).view, fioPoint, { backend: 'kernel', timeoutMs: 20_000 });
    try {
      for (const direct of ['0', '1']) {
        const { stdout } = await run('fio', [...job, `--directory=${join(fioPoint, 'latest', src)}`, '--rw=randread', '--readonly', '--verify_only', `--direct=${direct}`, '--group_reporting'], { cwd: base });
        assert.match(stdout, /err= 0/, stdout);
        assert.match(stdout, /READ: bw=/, stdout);
      }
      // the check can fail: a damaged copy is reported
      const copy = join(base, 'fio-copy');
      await run('cp', ['-r', join(fioPoint, 'latest', src), copy]);
      const handle = await open(join(copy, 'fv.1.0'), 'r+');
      await handle.write(Buffer.alloc(64, 0x55), 0, 64, 40_000);
      await handle.close();
      await assert.rejects(run('fio', [...job, `--directory=${copy}`, '--rw=randread', '--readonly', '--verify_only'], { cwd: base }));
    } finally {
      await fioMount.unmount().catch(() => fioMount.unmount(true));
    }
  });

  it('stress-ng getdent and fstat run on the mount (time-bounded) without errors', async () => {
    const snapshot = join(mountPoint, SNAPSHOTS[3] as string);
    // getdent walks /tmp (among others): in a mount namespace of its own, /tmp is the mount
    const line = `mount --make-rprivate / && mount --bind '${mountPoint}' /tmp && exec stress-ng --getdent 2 --fstat 1 --fstat-dir '/tmp/${SNAPSHOTS[3]}/a' --timeout 4 --temp-path /var/tmp --metrics-brief`;
    const { stdout, stderr } = await run('unshare', ['-m', 'sh', '-c', line]);
    const text = stdout + stderr;
    assert.match(text, /successful run completed/, text);
    assert.match(text, /getdent\s+[1-9]\d*/, text);
    assert.match(text, /fstat\s+[1-9]\d*/, text);
    assert.ok((await stat(snapshot)).isDirectory());
    assert.deepEqual(logs.filter((l) => /EIO/.test(l)), []);
  });

  it('umount -l with files open: the open file still reads, and the mount point is free at once', async () => {
    const file = join(mountPoint, SNAPSHOTS[4] as string, 'b', 'f2-1.txt');
    const handle = await open(file);
    try {
      await mounted.unmount(true);
      assert.equal(await mountPointState(mountPoint), 'ready');
      assert.equal((await handle.readFile('utf8')), 'file 3\n'.repeat(1003));
    } finally {
      await handle.close();
    }
  });
});
