// timefs serve over a MemoryStore view (fastify inject): WebDAV answers, ranges, validators,
// refusals, path safety, auth, pages and archives. The real-client tests are in test/integration/serve.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { TimefsError } from '../../../src/model/errors.js';
import { escapedName } from '../../../src/model/names.js';
import { parseRequestTarget } from '../../../src/serve/request-path.js';
import { createSearch } from '../../../src/serve/search.js';
import { gridLister } from '../../../src/view/history-source.js';
import { SnapshotIndexes } from '../../../src/view/snapshot-indexes.js';
import { createServer } from '../../../src/serve/server.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { createBackupView } from '../../../src/view/backup-view-setup.js';
import { GridSnapshotCatalogue } from '../../../src/view/snapshot-catalogue.js';
import { addSnapshot, chainFile, dir, memoryRepo, symlink, wholeFile } from '../../helpers/view-fixture.js';

const RAW_NAME = Buffer.from([0x6e, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // "n\xe9.txt": Latin-1, not UTF-8
const T1 = '2009-01-09T01:49:00Z';
const T2 = '2009-01-10T08:00:00Z';
const T3 = '2009-01-12T08:00:00Z';
const texts = ['alpha\nbeta\ngamma\n', 'alpha\nBETA\ngamma\n', 'alpha\nBETA\ngamma\ndelta\n'].map((t) => new Uint8Array(Buffer.from(t)));
const big = new Uint8Array(300_000).map((_, i) => (i * 7919) % 251);

let app: FastifyInstance;
let store: MemoryStore;
const logged: string[] = [];
const work = mkdtempSync(join(tmpdir(), 'timefs-serve-unit-'));
after(() => rmSync(work, { recursive: true, force: true }));

async function build(extra: Partial<Parameters<typeof createServer>[0]> = {}): Promise<FastifyInstance> {
  const { snapshotsCap } = await memoryRepo(store);
  const versions: Uint8Array[] = [];
  for (const [i, time] of [T1, T2, T3].entries()) {
    versions.push(texts[i] as Uint8Array);
    const notes = i === 0 ? await wholeFile(store, texts[0] as Uint8Array) : await chainFile(store, versions);
    const raw = await wholeFile(store, new Uint8Array(Buffer.from('latin\n')), { rawName: RAW_NAME.toString('base64') });
    const me = await dir(store, {
      'notes.txt': notes,
      'big.bin': await wholeFile(store, big),
      'n\uFFFD.txt\u2063timefs-raw-x': raw,
      'a & <b>.txt': await wholeFile(store, new Uint8Array(Buffer.from('amp\n'))),
      link: await symlink(store, 'notes.txt'),
      sub: await dir(store, { 'deep.txt': await wholeFile(store, new Uint8Array(Buffer.from('deep\n'))) }),
      many: await dir(store, Object.fromEntries(await Promise.all(Array.from({ length: 150 }, async (_, k) => [`f${k}.txt`, await wholeFile(store, new Uint8Array(Buffer.from(`file ${k}\n`)))])))),
    });
    await addSnapshot(store, snapshotsCap, time, await dir(store, { home: await dir(store, { me }) }));
  }
  const { view } = createBackupView(store, snapshotsCap, { zone: 'utc' });
  const catalogue = new GridSnapshotCatalogue(store, snapshotsCap);
  return createServer({ source: view, catalogue, search: createSearch(new SnapshotIndexes(store, gridLister(store)), catalogue), zone: 'utc', timeoutMs: 5_000, log: (l) => logged.push(l), ...extra });
}

/** The status of a GET of `target`, sent exactly as given (no client-side normalisation). */
function rawStatus(port: number, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (b) => { text += b.toString('latin1'); });
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1])));
    socket.on('error', reject);
  });
}

after(() => app.close());

before(async () => {
  store = new MemoryStore();
  app = await build();
});

describe('timefs serve: WebDAV', () => {
  it('OPTIONS says DAV class 1 and lists only read methods', async () => {
    const r = await app.inject({ method: 'OPTIONS', url: '/' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers.dav, '1');
    assert.equal(r.headers.allow, 'OPTIONS, GET, HEAD, PROPFIND');
  });

  it('PROPFIND depth 1 lists directories and files with sizes, etags and escaped hrefs; depth 0 lists the resource only', async () => {
    const r = await app.inject({ method: 'PROPFIND', url: '/latest/home/me/', headers: { depth: '1' } });
    assert.equal(r.statusCode, 207);
    const hrefs = [...r.body.matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]);
    assert.deepEqual(hrefs.sort(), ['/latest/home/me/', '/latest/home/me/a%20%26%20%3Cb%3E.txt', '/latest/home/me/big.bin', `/latest/home/me/${encodeURIComponent(escapedName(RAW_NAME))}`, '/latest/home/me/notes.txt', '/latest/home/me/sub/', '/latest/home/me/many/'].sort());
    assert.match(r.body, /<D:getcontentlength>300000<\/D:getcontentlength>/);
    assert.match(r.body, /<D:displayname>a &amp; &lt;b&gt;.txt<\/D:displayname>/);
    assert.doesNotMatch(r.body, /link/, 'symlinks have no WebDAV form');
    assert.doesNotMatch(r.body, /URI:/);
    const d0 = await app.inject({ method: 'PROPFIND', url: '/latest/home/me/notes.txt', headers: { depth: '0' } });
    assert.equal([...d0.body.matchAll(/<D:response>/g)].length, 1);
    assert.match(d0.body, /<D:getetag>"[0-9a-f]{32}"<\/D:getetag>/);
  });

  it('PROPFIND with a prop list answers known props 200 and unknown ones 404; bad XML is 400', async () => {
    const body = '<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:x"><D:prop><D:getcontentlength/><Z:color/></D:prop></D:propfind>';
    const r = await app.inject({ method: 'PROPFIND', url: '/latest/home/me/big.bin', headers: { depth: '0', 'content-type': 'application/xml' }, body });
    assert.equal(r.statusCode, 207);
    assert.match(r.body, /<D:getcontentlength>300000<\/D:getcontentlength><\/D:prop><D:status>HTTP\/1.1 200 OK/);
    assert.match(r.body, /<X:color xmlns:X="urn:x"\/><\/D:prop><D:status>HTTP\/1.1 404 Not Found/);
    const bad = await app.inject({ method: 'PROPFIND', url: '/latest/', headers: { depth: '0', 'content-type': 'application/xml' }, body: '<D:propfind xmlns:D="DAV:"><D:prop>' });
    assert.equal(bad.statusCode, 400);
  });

  it('PROPFIND depth infinity (or no Depth) is refused with 403 propfind-finite-depth', async () => {
    for (const headers of [{ depth: 'infinity' }, {}]) {
      const r = await app.inject({ method: 'PROPFIND', url: '/latest/', headers });
      assert.equal(r.statusCode, 403);
      assert.match(r.body, /propfind-finite-depth/);
    }
  });

  it('write methods are refused 403 with a clear body; LOCK is 405', async () => {
    for (const method of ['PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPPATCH', 'POST'] as const) {
      const r = await app.inject({ method, url: '/latest/home/me/notes.txt', body: 'x', headers: { 'content-type': 'text/plain' } });
      assert.equal(r.statusCode, 403, method);
      assert.match(r.body, /read-only/);
    }
    const lock = await app.inject({ method: 'LOCK', url: '/latest/home/me/notes.txt' });
    assert.equal(lock.statusCode, 405);
    assert.equal(lock.headers.allow, 'OPTIONS, GET, HEAD, PROPFIND');
  });

  it('the escaped name of a non-UTF-8 file is the same in PROPFIND and GET', async () => {
    const listing = await app.inject({ method: 'PROPFIND', url: '/latest/home/me/', headers: { depth: '1' } });
    const href = [...listing.body.matchAll(/<D:href>([^<]*timefs-raw[^<]*)<\/D:href>/g)][0]?.[1];
    assert.ok(href);
    const r = await app.inject({ method: 'GET', url: href });
    assert.equal(r.statusCode, 200);
    assert.equal(r.body, 'latin\n');
  });
});

describe('timefs serve: GET and HEAD', () => {
  it('serves whole files with ETag and Last-Modified, and 304 on a matching If-None-Match', async () => {
    const r = await app.inject({ method: 'GET', url: '/latest/home/me/big.bin' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(new Uint8Array(r.rawPayload), big);
    assert.equal(r.headers['last-modified'], new Date(1231465740123).toUTCString());
    const again = await app.inject({ method: 'GET', url: '/latest/home/me/big.bin', headers: { 'if-none-match': r.headers.etag as string } });
    assert.equal(again.statusCode, 304);
    const head = await app.inject({ method: 'HEAD', url: '/latest/home/me/big.bin' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-length'], '300000');
    assert.equal(head.rawPayload.length, 0);
  });

  it('answers a single Range with 206 and the exact bytes, several with multipart/byteranges, and 416 past the end', async () => {
    const one = await app.inject({ method: 'GET', url: '/latest/home/me/big.bin', headers: { range: 'bytes=1000-1999' } });
    assert.equal(one.statusCode, 206);
    assert.equal(one.headers['content-range'], 'bytes 1000-1999/300000');
    assert.deepEqual(new Uint8Array(one.rawPayload), big.subarray(1000, 2000));
    const many = await app.inject({ method: 'GET', url: '/latest/home/me/big.bin', headers: { range: 'bytes=0-9, 299990-' } });
    assert.equal(many.statusCode, 206);
    const boundary = /boundary=(\S+)/.exec(many.headers['content-type'] as string)?.[1] as string;
    const body = many.rawPayload;
    assert.equal(body.length, Number(many.headers['content-length']));
    const parts = body.toString('latin1').split(`--${boundary}`).slice(1, -1);
    assert.equal(parts.length, 2);
    assert.match(parts[1] as string, /Content-Range: bytes 299990-299999\/300000/);
    const tail = Buffer.from((parts[1] as string).split('\r\n\r\n')[1] as string, 'latin1').subarray(0, 10);
    assert.deepEqual(new Uint8Array(tail), big.subarray(299990));
    const past = await app.inject({ method: 'GET', url: '/latest/home/me/big.bin', headers: { range: 'bytes=400000-' } });
    assert.equal(past.statusCode, 416);
    assert.equal(past.headers['content-range'], 'bytes */300000');
  });

  it('refuses .., encoded slashes, NUL and over-long paths, and 404s what does not exist', async () => {
    // inject() normalises `..` away, so these go over a real socket, byte for byte
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    for (const url of ['/latest/../etc/passwd', '/latest/home/me/../../../etc/passwd', '/latest/%2e%2e/x', '/latest/home%2Fme', '/latest/a%00b', '/latest/%zz']) {
      assert.equal(await rawStatus(port, url), 400, url);
    }
    assert.equal(await rawStatus(port, `/latest/${'a'.repeat(9000)}`), 414);
    assert.throws(() => parseRequestTarget('/latest/./x'), /not allowed/);
    assert.equal((await app.inject({ method: 'GET', url: '/latest/home/nobody' })).statusCode, 404);
    assert.equal((await app.inject({ method: 'PROPFIND', url: '/1999-01-01/', headers: { depth: '0' } })).statusCode, 404);
  });
});

describe('timefs serve: pages', () => {
  it('the timeline lists every snapshot by day with links and no cap', async () => {
    const r = await app.inject({ method: 'GET', url: '/' });
    assert.equal(r.statusCode, 200);
    assert.match(r.headers['content-type'] as string, /text\/html/);
    for (const t of [T1, T2, T3]) assert.ok(r.body.includes(`href="/${t.replaceAll(':', '%3A')}/"`), t);
    assert.match(r.body, /testhost/);
    assert.doesNotMatch(r.body, /URI:/);
  });

  it('a directory page has breadcrumbs, escaped names, sizes, versions and download links', async () => {
    const r = await app.inject({ method: 'GET', url: '/latest/home/me/' });
    assert.equal(r.statusCode, 200);
    assert.match(r.body, /aria-label="Breadcrumb"/);
    assert.match(r.body, /a &amp; &lt;b&gt;.txt/);
    assert.match(r.body, /href="\/history\/home\/me\/notes.txt\/"/);
    assert.match(r.body, /\?download=zip/);
    assert.match(r.body, /link <span class="muted">\(symlink → notes.txt\)/);
  });

  it('a file page lists its distinct versions and shows a diff between two', async () => {
    const r = await app.inject({ method: 'GET', url: `/latest/home/me/notes.txt?view&a=${T1}&b=${T3}` });
    assert.equal(r.statusCode, 200);
    assert.equal([...r.body.matchAll(/>download</g)].length, 3);
    assert.match(r.body, /<span class="del"><span class="skip">removed: <\/span>-beta<\/span>/);
    assert.match(r.body, /<span class="add"><span class="skip">added: <\/span>\+delta<\/span>/);
    const version = await app.inject({ method: 'GET', url: `/history/home/me/notes.txt/${T2}?download` });
    assert.equal(version.body, 'alpha\nBETA\ngamma\n');
    assert.match(version.headers['content-disposition'] as string, /attachment/);
  });

  it('directories download as .tar and .zip with what restore writes', async () => {
    const tarResponse = await app.inject({ method: 'GET', url: '/latest/home/me/?download=tar' });
    assert.equal(tarResponse.statusCode, 200);
    writeFileSync(join(work, 'me.tar'), tarResponse.rawPayload);
    const listing = spawnSync('tar', ['-tvf', join(work, 'me.tar')], { encoding: 'utf8' });
    assert.equal(listing.status, 0, listing.stderr);
    assert.match(listing.stdout, /me\/link -> notes.txt/);
    assert.match(listing.stdout, /-rw-r--r-- 1000\/1000\s+300000 2009-01-09 \d\d:\d\d me\/big.bin/);
    const x = spawnSync('tar', ['-xOf', join(work, 'me.tar'), 'me/notes.txt'], { encoding: 'utf8' });
    assert.equal(x.stdout, 'alpha\nBETA\ngamma\ndelta\n');
    const zipResponse = await app.inject({ method: 'GET', url: '/latest/home/me/?download=zip' });
    writeFileSync(join(work, 'me.zip'), zipResponse.rawPayload);
    const unzip = spawnSync('unzip', ['-p', join(work, 'me.zip'), 'me/sub/deep.txt'], { encoding: 'utf8' });
    assert.equal(unzip.status, 0, unzip.stderr);
    assert.equal(unzip.stdout, 'deep\n');
  });

  it('a directory of many small files streams whole in both formats (read-ahead stays bounded)', async () => {
    for (const format of ['zip', 'tar']) {
      const r = await app.inject({ method: 'GET', url: `/latest/home/me/many/?download=${format}` });
      const file = join(work, `many.${format}`);
      writeFileSync(file, r.rawPayload);
      const names = format === 'zip' ? spawnSync('unzip', ['-Z1', file], { encoding: 'utf8' }).stdout : spawnSync('tar', ['-tf', file], { encoding: 'utf8' }).stdout;
      assert.equal(names.split('\n').filter((n) => /f\d+\.txt$/.test(n)).length, 150, format);
      const one = format === 'zip' ? spawnSync('unzip', ['-p', file, 'many/f137.txt'], { encoding: 'utf8' }) : spawnSync('tar', ['-xOf', file, 'many/f137.txt'], { encoding: 'utf8' });
      assert.equal(one.stdout, 'file 137\n', format);
    }
  });
});

describe('timefs serve: search and grid failures', () => {
  it('the search box finds names in every snapshot and links to the newest run', async () => {
    const r = await app.inject({ method: 'GET', url: '/?q=NOTES' });
    assert.equal(r.statusCode, 200);
    assert.match(r.body, /1 path match/);
    assert.match(r.body, /<strong>\/home\/me\/notes.txt<\/strong>/);
    assert.ok(r.body.includes(`href="/${T3.replaceAll(':', '%3A')}/home/me/notes.txt?view"`));
    assert.match(r.body, /3 snapshots, 3 versions/);
    const glob = await app.inject({ method: 'GET', url: '/?q=*.bin' });
    assert.match(glob.body, /home\/me\/big.bin/);
    assert.doesNotMatch(glob.body, /notes.txt/);
  });

  it('a grid that never answers gives 504 within the timeout; a failing one 502; the server stays up', async () => {
    const hanging = { getattr: () => new Promise<never>(() => {}), readdir: () => new Promise<never>(() => {}), readlink: () => new Promise<never>(() => {}), open: () => new Promise<never>(() => {}) };
    const failing = { ...hanging, getattr: () => Promise.reject(new TimefsError('grid.unreachable', 'the client node at http://127.0.0.1:1/ does not answer')) };
    const catalogue = { list: () => new Promise<never>(() => {}), resolve: () => new Promise<never>(() => {}) };
    for (const [source, status] of [[hanging, 504], [failing, 502]] as const) {
      const server = createServer({ source, catalogue, zone: 'utc', timeoutMs: 300, log: () => {} });
      const started = Date.now();
      const r = await server.inject({ method: 'PROPFIND', url: '/latest/', headers: { depth: '0' } });
      assert.equal(r.statusCode, status);
      assert.ok(Date.now() - started < 5_000);
      assert.match(r.body, status === 504 ? /did not answer in time/ : /grid or the data/);
      assert.equal((await server.inject({ method: 'GET', url: '/' })).statusCode, 504);
      assert.equal((await server.inject({ method: 'OPTIONS', url: '/' })).statusCode, 200);
    }
  });
});

describe('timefs serve: several sources', () => {
  it('hosts/<host>/latest is followed like latest, in PROPFIND, GET and the file page', async () => {
    const own = new MemoryStore();
    const { snapshotsCap } = await memoryRepo(own);
    for (const [time, host, text] of [[T1, 'alpha', 'a1\n'], [T2, 'beta', 'b1\n'], [T3, 'alpha', 'a2\n']] as const) {
      const root = await dir(own, { srv: await dir(own, { 'x.txt': await wholeFile(own, new Uint8Array(Buffer.from(text))) }) });
      await addSnapshot(own, snapshotsCap, time, root, { host, paths: ['/srv'] });
    }
    const { view } = createBackupView(own, snapshotsCap, { zone: 'utc' });
    const server = createServer({ source: view, catalogue: new GridSnapshotCatalogue(own, snapshotsCap), zone: 'utc', timeoutMs: 5_000, log: () => {} });
    const listing = await server.inject({ method: 'PROPFIND', url: '/hosts/alpha/', headers: { depth: '1' } });
    assert.equal(listing.statusCode, 207);
    assert.match(listing.body, /<D:href>\/hosts\/alpha\/latest\/<\/D:href><D:propstat><D:prop><D:resourcetype><D:collection\/>/);
    assert.equal((await server.inject({ method: 'GET', url: '/hosts/alpha/latest/srv/x.txt' })).body, 'a2\n');
    assert.equal((await server.inject({ method: 'GET', url: '/hosts/beta/latest/srv/x.txt' })).body, 'b1\n');
    const page = await server.inject({ method: 'GET', url: '/hosts/alpha/latest/srv/x.txt?view' });
    assert.equal(page.statusCode, 200);
    assert.equal([...page.body.matchAll(/>download</g)].length, 2, 'alpha has two versions');
    assert.ok(page.body.includes('href="/hosts/alpha/history/srv/x.txt/'));
  });
});

describe('timefs serve: access', () => {
  it('with a secret, requests without it get 401 and requests with it pass', async () => {
    const locked = await build({ secret: { user: 'me', password: 'correct horse' } });
    const denied = await locked.inject({ method: 'GET', url: '/latest/home/me/notes.txt' });
    assert.equal(denied.statusCode, 401);
    assert.match(denied.headers['www-authenticate'] as string, /Basic/);
    const wrong = await locked.inject({ method: 'GET', url: '/', headers: { authorization: `Basic ${Buffer.from('me:wrong').toString('base64')}` } });
    assert.equal(wrong.statusCode, 401);
    const ok = await locked.inject({ method: 'GET', url: '/latest/home/me/notes.txt', headers: { authorization: `Basic ${Buffer.from('me:correct horse').toString('base64')}` } });
    assert.equal(ok.statusCode, 200);
  });

  it('no log line holds a cap', () => {
    for (const line of logged) assert.doesNotMatch(line, /URI:[A-Z0-9-]+:[a-z2-7]{10}/);
  });
});
