import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isTimefsError } from '../../../src/model/errors.js';
import { TahoeStore } from '../../../src/store/tahoe/tahoe-store.js';

// Failures a real node produces only by chance (a reply lost after the change was made, a download
// that breaks off, a hung node) are staged with a scripted stand-in node on loopback.
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const DIR = 'URI:DIR2:aaaaaaaaaaaaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const FILE = 'URI:CHK:cccccccccccccccccccccccccc:dddddddddddddddddddddddddddddddddddddddddddddddddddd:2:3:100';
const OTHER = 'URI:CHK:eeeeeeeeeeeeeeeeeeeeeeeeee:dddddddddddddddddddddddddddddddddddddddddddddddddddd:2:3:100';

describe('TahoeStore against a scripted node: unknown outcomes, broken downloads, hangs', () => {
  let server: Server;
  let url: string;
  let handler: Handler = (_req, res) => res.end();
  const seen: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString(); });
      req.on('end', () => {
        seen.push(`${req.method} ${decodeURIComponent(req.url ?? '')}`);
        handler(req, res, body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const listingWith = (children: Record<string, string>) => JSON.stringify(['dirnode', {
    mutable: true,
    children: Object.fromEntries(Object.entries(children).map(([n, cap]) => [n, ['filenode', { ro_uri: cap, mutable: false, size: 100, metadata: {} }]])),
  }]);

  it('a link whose reply was lost is found done, not repeated', async () => {
    seen.length = 0;
    const children: Record<string, string> = {};
    handler = (req, res, body) => {
      if (req.method === 'POST' && req.url?.includes('t=set_children')) {
        Object.assign(children, Object.fromEntries(Object.entries(JSON.parse(body) as Record<string, [string, { ro_uri: string }]>).map(([n, v]) => [n, v[1].ro_uri])));
        res.socket?.destroy(); // the change happened, the answer never arrives
        return;
      }
      res.end(listingWith(children));
    };
    const store = new TahoeStore({ nodeUrl: url, retries: 3, retryDelayMs: 10 });
    await store.link(DIR, 'snap', FILE);
    assert.equal(seen.filter((s) => s.includes('set_children')).length, 1, 'set_children was sent once');
    assert.equal(children.snap, FILE);
  });

  it('a link whose reply was lost and that did not happen is sent again; a different child is a conflict', async () => {
    seen.length = 0;
    let attempts = 0;
    const children: Record<string, string> = {};
    handler = (req, res) => {
      if (req.url?.includes('t=set_children')) {
        if (++attempts === 1) {
          res.socket?.destroy();
          return;
        }
        children.snap = FILE;
        res.end('Okay so I did it.');
        return;
      }
      res.end(listingWith(children));
    };
    const store = new TahoeStore({ nodeUrl: url, retries: 3, retryDelayMs: 10 });
    await store.link(DIR, 'snap', FILE);
    assert.equal(attempts, 2);

    handler = (req, res) => {
      if (req.url?.includes('t=set_children')) {
        res.socket?.destroy();
        return;
      }
      res.end(listingWith({ snap: OTHER }));
    };
    await assert.rejects(store.link(DIR, 'snap', FILE), (err) => isTimefsError(err, 'grid.conflict'));
  });

  it('a download padded with an error text, or cut short, is detected', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }); // chunked: no length to trip over
      res.end(Buffer.concat([Buffer.alloc(90, 7), Buffer.from('problem during download\n')]));
    };
    const store = new TahoeStore({ nodeUrl: url, retries: 1, retryDelayMs: 10 });
    await assert.rejects(store.get(FILE), (err) => isTimefsError(err, 'grid.bad-response'));
    await assert.rejects(async () => {
      for await (const _ of store.getStream(FILE)) { /* drain */ }
    }, (err) => isTimefsError(err, 'grid.bad-response'));
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write(Buffer.alloc(40, 1));
      res.socket?.destroy();
    };
    await assert.rejects(store.get(FILE), (err) => isTimefsError(err, 'grid.bad-response', 'grid.unreachable'));
  });

  it('a stream that breaks part-way resumes with a range request from where it stopped', async () => {
    const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    const ranges: string[] = [];
    handler = (req, res) => {
      const range = req.headers.range;
      if (!range) {
        res.writeHead(200, { 'content-length': '100' });
        res.write(data.subarray(0, 40));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      ranges.push(range);
      res.writeHead(206, { 'content-range': 'bytes 40-99/100', 'content-length': '60' });
      res.end(data.subarray(40));
    };
    const store = new TahoeStore({ nodeUrl: url, retries: 2, retryDelayMs: 10 });
    const parts: Uint8Array[] = [];
    for await (const chunk of store.getStream(FILE)) parts.push(chunk);
    assert.deepEqual(Buffer.concat(parts), data);
    assert.deepEqual(ranges, ['bytes=40-99']);
  });

  it('a range answered with the whole file (200) is refused, not misread', async () => {
    handler = (_req, res) => res.end(Buffer.alloc(100, 3));
    const store = new TahoeStore({ nodeUrl: url, retries: 0 });
    await assert.rejects(store.getRange(FILE, 10, 10), (err) => isTimefsError(err, 'grid.bad-response'));
  });

  it('a cancelled request stops at once with "aborted" and is not retried', async () => {
    seen.length = 0;
    handler = () => { /* hang */ };
    const store = new TahoeStore({ nodeUrl: url, timeoutMs: 30_000, retries: 3, retryDelayMs: 10 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(store.get(FILE, { signal: controller.signal }), (err) => isTimefsError(err, 'aborted'));
    assert.equal(seen.length, 1);
  });

  it('a node that never answers gives grid.timeout, after a bounded number of attempts', async () => {
    seen.length = 0;
    handler = () => { /* hang */ };
    const store = new TahoeStore({ nodeUrl: url, timeoutMs: 300, retries: 2, retryDelayMs: 10 });
    await assert.rejects(store.get(FILE), (err) => isTimefsError(err, 'grid.timeout') && (err as Error).message.includes(url));
    assert.equal(seen.length, 3, 'one attempt plus two retries');
    seen.length = 0;
    await assert.rejects(store.mkdirMutable(), (err) => isTimefsError(err, 'grid.timeout'));
    assert.equal(seen.length, 1, 'creating a directory is not repeated after an unknown outcome');
  });
});

describe('TahoeStore uploads from streams', () => {
  it('a stream shorter or longer than its announced size fails cleanly instead of hanging', async () => {
    const { testStore } = await import('../../helpers/grid.js');
    const store = await testStore({ timeoutMs: 20_000 });
    const chunks = (n: number) => (async function* () {
      for (let i = 0; i < n; i++) yield new Uint8Array(1000).fill(i);
    })();
    await assert.rejects(store.putImmutable({ stream: chunks(3), size: 5000 }), (err) => isTimefsError(err, 'io') && /ended after 3000 bytes/.test((err as Error).message));
    await assert.rejects(store.putImmutable({ stream: chunks(6), size: 5000 }), (err) => isTimefsError(err, 'io') && /longer/.test((err as Error).message));
  });
});
