// `timefs serve` against real WebDAV clients from Debian: rclone, a davfs2 mount, cadaver and
// litmus, plus the security checks (raw path traversal, auth off loopback, no cap anywhere).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testNodeUrl } from '../../helpers/grid.js';
import { servedRepo, startServe, stopChild, type ServedRepo } from './serve-fixture.js';
import { assertCapsQuiet } from '../../helpers/cli.js';

let served: ServedRepo;
before(async () => { served = await servedRepo(); });
after(async () => { await served?.stop(); });

function run(cmd: string, args: string[], options: { input?: string; cwd?: string } = {}): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { env: served.env, encoding: 'utf8', input: options.input ?? '', cwd: options.cwd ?? served.work, timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function rclone(...args: string[]): { status: number | null; out: string } {
  return run('rclone', ['--webdav-url', served.url, ...args]);
}

/** Every response body and header set of a few requests, to scan for caps. */
async function collectResponses(): Promise<string> {
  const paths = ['', 'latest/', `latest/${served.inSnapshot}/docs/`, `latest/${served.inSnapshot}/docs/notes.txt?view`, `history/${served.inSnapshot}/docs/notes.txt/`];
  let all = '';
  for (const path of paths) {
    for (const method of ['GET', 'PROPFIND']) {
      const r = await fetch(served.url + path.split('/').map((s) => encodeURIComponent(s).replace('%3Fview', '?view')).join('/'), { method, headers: { depth: '1' } });
      all += JSON.stringify([...r.headers]) + (await r.text());
    }
  }
  return all;
}

describe('timefs serve with real clients', () => {
  it('rclone: check against the source finds 0 differences, and copy of history/PATH/ gets every version', () => {
    const check = rclone('check', served.src, `:webdav:latest/${served.inSnapshot}`);
    assert.equal(check.status, 0, check.out);
    assert.match(check.out, /0 differences found/);
    const copyDir = join(served.work, 'rclone-versions');
    const copy = rclone('copy', `:webdav:history/${served.inSnapshot}/docs/notes.txt/`, copyDir);
    assert.equal(copy.status, 0, copy.out);
    // Version entries are named after snapshots; two pushes in one second give `…02Z` and
    // `…02.995Z`, which sort the wrong way round as text, so order them by time.
    const timeOf = (name: string): number => Date.parse(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z/.exec(name)?.[0] ?? '');
    const names = readdirSync(copyDir).sort((a, b) => timeOf(a) - timeOf(b));
    assert.ok(names.every((n) => !Number.isNaN(timeOf(n))), `version entries named after snapshots: ${names.join(', ')}`);
    assert.equal(names.length, 2);
    assert.deepEqual(names.map((n) => readFileSync(join(copyDir, n), 'utf8')), served.notesVersions);
    const ls = rclone('lsf', '-R', `:webdav:latest/${served.inSnapshot}`);
    assert.match(ls.out, /docs\/ünïcødé ☃\.md/);
  });

  it('davfs2: a mount of the served view is identical to the source (diff -r)', () => {
    const mnt = join(served.work, 'davfs');
    mkdirSync(mnt);
    const conf = join(served.work, 'davfs2.conf');
    // buf_size 64: davfs2 1.6's directory reads fail with EINVAL on Linux ≥ 6.16 with the default
    writeFileSync(conf, 'ask_auth 0\nuse_locks 0\nbuf_size 64\n');
    const mount = run('mount.davfs', [`${served.url}latest/`, mnt, '-o', `ro,conf=${conf}`]);
    assert.equal(mount.status, 0, mount.out);
    try {
      const diff = run('diff', ['-r', served.src, join(mnt, served.inSnapshot)]);
      assert.equal(diff.status, 0, diff.out);
      assert.equal(readFileSync(join(mnt, served.inSnapshot, 'docs', 'notes.txt'), 'utf8'), served.notesVersions[1]);
    } finally {
      run('umount', [mnt]);
    }
  });

  it('cadaver: lists, gets a file, and its put and mkcol are refused', () => {
    const got = join(served.work, 'cadaver-notes.txt');
    const script = `cd docs\nls\nget notes.txt ${got}\nput ${join(served.src, 'empty.txt')} new.txt\nmkcol newdir\nquit\n`;
    const r = run('cadaver', [`${served.url}latest/${served.inSnapshot}/`], { input: script });
    assert.match(r.out, /notes\.txt\s+\d+/);
    assert.equal(readFileSync(got, 'utf8'), served.notesVersions[1]);
    assert.equal([...r.out.matchAll(/403 Forbidden/g)].length, 2, r.out);
  });

  it('litmus: every suite stops at its first write (MKCOL of its scratch collection), refused read-only', () => {
    const r = run('litmus', ['-k', `${served.url}latest/`]);
    const suites = [...r.out.matchAll(/-> running `(\w+)':/g)].map((m) => m[1]);
    assert.deepEqual(suites, ['basic', 'copymove', 'props', 'locks', 'http']);
    assert.equal([...r.out.matchAll(/init\.+ pass/g)].length, 5, r.out);
    assert.equal([...r.out.matchAll(/begin\.+ FAIL \(Could not create new collection `\/latest\/litmus\/' for tests: 403 Forbidden/g)].length, 5, r.out);
    assert.doesNotMatch(r.out, / \d+\. (?!init|begin)\w+\.+ FAIL/, 'no read test failed');
  });
});

describe('timefs serve security', () => {
  it('refuses path traversal sent raw, byte for byte', async () => {
    const port = Number(new URL(served.url).port);
    for (const target of ['/latest/../../etc/passwd', '/latest/%2e%2e/%2e%2e/etc/passwd', '/latest/..%2f..%2fetc%2fpasswd', '/latest/a%00b']) {
      const status = await new Promise<number>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
        let text = '';
        socket.on('data', (b) => { text += b.toString('latin1'); });
        socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1])));
        socket.on('error', reject);
      });
      assert.equal(status, 400, target);
    }
  });

  it('no response (pages, listings, headers) holds the repository cap or any cap', async () => {
    const all = await collectResponses();
    assert.ok(all.length > 5_000);
    assert.ok(!all.includes(served.readCap.slice(0, 30)));
    assert.doesNotMatch(all, /URI:(DIR2|CHK|LIT|SSK|MDMF)/);
  });

  it('listening off loopback needs an access file; with one, requests need its secret', async () => {
    const common = ['--repo', served.readCap, '--node-url', testNodeUrl()];
    const refused = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'serve', ...common, '--listen', '0.0.0.0', '--port', '0'], { env: served.env, encoding: 'utf8' });
    assertCapsQuiet(['serve'], refused.stdout, refused.stderr);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /needs an access control/);
    const secretFile = join(served.work, 'serve-auth');
    writeFileSync(secretFile, 'me:a long secret\n');
    chmodSync(secretFile, 0o644);
    const loose = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'serve', ...common, '--auth-file', secretFile, '--port', '0'], { env: served.env, encoding: 'utf8' });
    assertCapsQuiet(['serve'], loose.stdout, loose.stderr);
    assert.notEqual(loose.status, 0);
    assert.match(loose.stderr, /readable by others/);
    chmodSync(secretFile, 0o600);
    const { url, child, stderr } = await startServe([...common, '--listen', '0.0.0.0', '--auth-file', secretFile, '--access-log'], served.env);
    try {
      const port = new URL(url).port;
      assert.equal((await fetch(`http://127.0.0.1:${port}/latest/`)).status, 401);
      const ok = await fetch(`http://127.0.0.1:${port}/latest/`, { headers: { authorization: `Basic ${Buffer.from('me:a long secret').toString('base64')}` } });
      assert.equal(ok.status, 200);
      const r = spawnSync('rclone', ['--webdav-url', `http://127.0.0.1:${port}/`, '--webdav-user', 'me', '--webdav-pass', spawnSync('rclone', ['obscure', 'a long secret'], { encoding: 'utf8' }).stdout.trim(), 'lsf', `:webdav:latest/${served.inSnapshot}/docs`], { env: served.env, encoding: 'utf8' });
      assert.match(r.stdout, /notes\.txt/, r.stderr);
    } finally {
      await stopChild(child);
    }
    assert.match(stderr(), /GET \/latest\/ 401/);
    assert.doesNotMatch(stderr(), /URI:(DIR2|CHK|LIT|SSK|MDMF):[a-z2-7]{8}/);
  });
});
