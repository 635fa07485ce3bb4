// The kernel session driven through a recording channel: exactly one reply per request, none for
// FORGET/BATCH_FORGET/INTERRUPT, and the node table's lookup counts equal the successful LOOKUP
// replies written minus FORGETs, under timeouts, interrupts, refused writes and late completions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KernelSession } from '../../../src/fs/kernel/kernel-session.js';
import { ERRNO } from '../../../src/fs/errno.js';
import type { DirChild, FileContent, MountNode, MountSource } from '../../../src/view/mount-source.js';
import {
  batchForgetBody, decodeDirents, forgetBody, initBody, interruptBody, lookupBody, OPCODE, openBody, readBody, RecordingChannel,
} from '../../helpers/fuse-wire.js';

const ROOT = 1;
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

const nodeOf = (name: string, type: MountNode['type'] = 'file'): MountNode => ({
  type, ino: 1000 + [...name].reduce((sum, c) => sum + c.charCodeAt(0), 0), perm: 0o644, uid: 0, gid: 0, size: 5, mtimeNs: 0n, nlink: 1, rdev: 0, stable: true,
});

/** A source whose every call waits `delay(path)` ms; `obeysAbort` false keeps working after an abort (a late completion). */
class SlowSource implements MountSource {
  readonly aborted: string[] = [];
  delay: (path: readonly string[]) => number = () => 0;
  obeysAbort = true;
  attrs: (path: readonly string[]) => MountNode = (path) => nodeOf(path.join('/') || '/', path.length === 0 ? 'dir' : 'file');

  private wait<T>(path: readonly string[], signal: AbortSignal | undefined, value: () => T): Promise<T> {
    return new Promise((done, fail) => {
      const timer = setTimeout(() => done(value()), this.delay(path));
      signal?.addEventListener('abort', () => {
        this.aborted.push(path.join('/'));
        if (!this.obeysAbort) return;
        clearTimeout(timer);
        fail(signal.reason);
      }, { once: true });
    });
  }

  getattr(path: readonly string[], signal?: AbortSignal): Promise<MountNode> {
    return this.wait(path, signal, () => this.attrs(path));
  }

  readdir(path: readonly string[], signal?: AbortSignal): Promise<DirChild[]> {
    return this.wait(path, signal, () => ['a', 'b'].map((name) => ({ name, raw: Buffer.from(name), type: 'file' as const, ino: nodeOf(name).ino })));
  }

  readlink(): Promise<Uint8Array> {
    return Promise.resolve(Buffer.from('x'));
  }

  open(path: readonly string[], signal?: AbortSignal): Promise<FileContent> {
    return this.wait(path, signal, () => ({
      size: 5,
      read: (_offset: number, length: number, s?: AbortSignal) => this.wait([...path, '(read)'], s, () => new Uint8Array(Math.min(length, 5))),
      close: () => {},
    }));
  }
}

function startSession(options: { timeoutMs?: number; maxNodes?: number; pageSize?: number } = {}) {
  const channel = new RecordingChannel();
  const source = new SlowSource();
  const errors: string[] = [];
  const session = new KernelSession(channel, source, {
    timeoutMs: options.timeoutMs ?? 1000, cacheSeconds: 60, maxNodes: options.maxNodes ?? 1000, pageSize: options.pageSize ?? 4096,
    onError: (op, path, err) => errors.push(`${op} ${path}: ${err instanceof Error ? err.message : String(err)}`),
  });
  void session.serve();
  return { channel, source, session, errors };
}

/** The node id a LOOKUP reply hands the kernel. */
const nodeIdOf = (body: Buffer): number => Number(body.readBigUInt64LE(0));

describe('kernel session (recorded requests)', () => {
  it('a LOOKUP answered EIO at its deadline records no node, though its work finishes later (fault 1)', async () => {
    const { channel, source, session } = startSession({ timeoutMs: 20, maxNodes: 50 });
    source.obeysAbort = false;
    source.delay = (path) => (path[0]?.startsWith('slow') ? 60 : 0);
    for (let i = 0; i < 5; i++) channel.send(OPCODE.LOOKUP, BigInt(i + 1), ROOT, lookupBody(Buffer.from(`slow${i}`)));
    await sleep(120);
    for (let i = 0; i < 5; i++) assert.equal(channel.repliesTo(BigInt(i + 1))[0]?.errno, ERRNO.EIO);
    assert.equal(session.nodeCount, 0, 'the late completions changed nothing');
    // 500 ordinary lookups; the kernel forgets whatever it is asked to drop
    for (let i = 0; i < 500; i++) {
      channel.send(OPCODE.LOOKUP, BigInt(100 + i), ROOT, lookupBody(Buffer.from(`f${i}`)));
      await sleep(0);
      forgetInvalidated(channel, session);
    }
    await sleep(10);
    forgetInvalidated(channel, session);
    assert.ok(session.nodeCount <= 50, `the table stays bounded (${session.nodeCount})`);
  });

  it('an OPEN or OPENDIR answered after its deadline keeps no handle (fault 1)', async () => {
    const { channel, source } = startSession({ timeoutMs: 20 });
    channel.send(OPCODE.LOOKUP, 1n, ROOT, lookupBody(Buffer.from('f')));
    await sleep(5);
    const file = nodeIdOf(channel.repliesTo(1n)[0]!.body);
    source.obeysAbort = false;
    source.delay = () => 60;
    channel.send(OPCODE.OPEN, 2n, file, openBody());
    await sleep(100);
    assert.equal(channel.repliesTo(2n)[0]?.errno, ERRNO.EIO);
    source.delay = () => 0;
    channel.send(OPCODE.READ, 3n, file, readBody(1, 0, 5));
    await sleep(5);
    assert.equal(channel.repliesTo(3n)[0]?.errno, ERRNO.EBADF, 'handle 1 was never handed out');
  });

  it('INTERRUPT cancels the work (its abort signal fires) and answers EINTR at once (fault 3)', async () => {
    const { channel, source, session } = startSession({ timeoutMs: 30_000 });
    channel.send(OPCODE.LOOKUP, 1n, ROOT, lookupBody(Buffer.from('f')));
    await sleep(5);
    const file = nodeIdOf(channel.repliesTo(1n)[0]!.body);
    channel.send(OPCODE.OPEN, 2n, file, openBody());
    await sleep(5);
    source.delay = () => 10_000;
    channel.send(OPCODE.READ, 3n, file, readBody(1, 0, 5));
    await sleep(5);
    assert.equal(session.busy, 1);
    const started = Date.now();
    channel.send(OPCODE.INTERRUPT, 4n, 0, interruptBody(3n));
    await sleep(5);
    assert.deepEqual(channel.repliesTo(3n).map((r) => r.errno), [ERRNO.EINTR]);
    assert.ok(Date.now() - started < 1000);
    assert.deepEqual(source.aborted, ['f/(read)'], 'the read was aborted');
    assert.equal(channel.repliesTo(4n).length, 0, 'INTERRUPT itself gets no reply');
    channel.send(OPCODE.INTERRUPT, 5n, 0, interruptBody(3n));
    await sleep(5);
    assert.equal(channel.replies.filter((r) => r.unique === 3n || r.unique === 5n).length, 1, 'an interrupt of an answered request does nothing');
  });

  it('a success reply the kernel refuses falls back to a bare EIO and is logged; an encoding failure too (fault 4)', async () => {
    const { channel, source, session, errors } = startSession();
    channel.refuse = (reply) => reply.errno === 0 && reply.unique === 1n;
    channel.send(OPCODE.LOOKUP, 1n, ROOT, lookupBody(Buffer.from('f')));
    await sleep(5);
    assert.deepEqual(channel.repliesTo(1n).map((r) => r.errno), [ERRNO.EIO]);
    assert.equal(session.nodeCount, 0, 'the node was taken back');
    assert.match(errors.join('\n'), /write reply/);
    source.attrs = () => ({ ...nodeOf('bad'), size: -1 }); // cannot be encoded
    channel.send(OPCODE.LOOKUP, 2n, ROOT, lookupBody(Buffer.from('bad')));
    await sleep(5);
    assert.deepEqual(channel.repliesTo(2n).map((r) => r.errno), [ERRNO.EIO]);
    assert.equal(session.nodeCount, 0);
    assert.match(errors.join('\n'), /encode reply/);
  });

  it('a reply the kernel no longer waits for (ENOENT) takes the lookup count back and is not logged', async () => {
    const { channel, session, errors } = startSession();
    channel.gone.add(1n);
    channel.send(OPCODE.LOOKUP, 1n, ROOT, lookupBody(Buffer.from('f')));
    await sleep(5);
    assert.equal(session.nodeCount, 0);
    assert.deepEqual(errors, []);
  });

  it('READDIR fills d_ino from the view (fault 2)', async () => {
    const { channel } = startSession();
    channel.send(OPCODE.OPENDIR, 1n, ROOT, openBody());
    await sleep(5);
    const handle = Number(channel.repliesTo(1n)[0]!.body.readBigUInt64LE(0));
    channel.send(OPCODE.READDIR, 2n, ROOT, readBody(handle, 0, 4096));
    await sleep(5);
    const entries = decodeDirents(channel.repliesTo(2n)[0]!.body).filter((e) => e.name[0] !== 0x2e);
    assert.deepEqual(entries.map((e) => [e.name.toString(), e.ino]), [['a', nodeOf('a').ino], ['b', nodeOf('b').ino]]);
  });

  it('INIT counts max_pages in the real page size (fault 9)', async () => {
    for (const [pageSize, pages] of [[4096, 256], [16384, 64], [65536, 16]] as const) {
      const { channel } = startSession({ pageSize });
      channel.send(OPCODE.INIT, 1n, 0, initBody());
      await sleep(1);
      assert.equal(channel.repliesTo(1n)[0]!.body.readUInt16LE(28), pages);
    }
  });

  it('one node per name form: raw bytes and the escaped text are two nodes (fault 7)', async () => {
    const { channel, session } = startSession();
    channel.send(OPCODE.LOOKUP, 1n, ROOT, lookupBody(Buffer.from([0x63, 0xe9])));
    await sleep(5);
    const raw = nodeIdOf(channel.repliesTo(1n)[0]!.body);
    const escaped = Buffer.from((await import('../../../src/view/tree-cache.js')).nameForBytes(Buffer.from([0x63, 0xe9])));
    channel.send(OPCODE.LOOKUP, 2n, ROOT, lookupBody(escaped));
    await sleep(5);
    assert.notEqual(nodeIdOf(channel.repliesTo(2n)[0]!.body), raw);
    assert.equal(session.nodeCount, 2);
  });

  for (let seed = 1; seed <= 12; seed++) {
    it(`fuzz ${seed}: timeouts, interrupts, forgets, refused writes and late completions keep both invariants`, async () => {
      await fuzz(seed);
    });
  }
});

/** Sends the FORGETs the kernel would send for the names it was asked to drop. */
function forgetInvalidated(channel: RecordingChannel, session: KernelSession, known = lookedUp(channel)): void {
  while (channel.notices.length > 0) {
    const notice = channel.notices.shift()!;
    const nameLength = notice.readUInt32LE(16 + 8);
    const name = notice.subarray(32, 32 + nameLength).toString('latin1');
    const id = known.get(name);
    if (id === undefined) continue;
    const count = session.lookupCounts().get(id) ?? 0;
    if (count > 0) channel.send(OPCODE.FORGET, 10_000_000n + BigInt(channel.notices.length), id, forgetBody(count));
  }
}

function lookedUp(channel: RecordingChannel): Map<string, number> {
  const names = new Map<string, number>();
  for (const reply of channel.replies) if (reply.errno === 0 && reply.body.length === 128) names.set(`f${reply.unique - 100n}`, nodeIdOf(reply.body));
  return names;
}

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function fuzz(seed: number): Promise<void> {
  const rnd = random(seed);
  const { channel, source, session } = startSession({ timeoutMs: 15 });
  source.obeysAbort = false; // every abandoned piece of work still completes, late
  source.delay = () => (rnd() < 0.3 ? 25 : Math.floor(rnd() * 8));
  const sent = new Map<bigint, number>();
  const held = new Map<number, number>(); // what the kernel believes it holds: successful LOOKUP replies minus FORGETs
  let unique = 1n;
  let seen = 0;
  const account = (): void => {
    for (; seen < channel.replies.length; seen++) {
      const reply = channel.replies[seen]!;
      if (sent.get(reply.unique) === OPCODE.LOOKUP && reply.errno === 0) {
        const id = nodeIdOf(reply.body);
        held.set(id, (held.get(id) ?? 0) + 1);
      }
    }
  };
  for (let step = 0; step < 80; step++) {
    account();
    const roll = rnd();
    const u = unique++;
    if (roll < 0.45) {
      sent.set(u, OPCODE.LOOKUP);
      if (rnd() < 0.1) channel.gone.add(u);
      channel.send(OPCODE.LOOKUP, u, ROOT, lookupBody(Buffer.from(`n${Math.floor(rnd() * 6)}`)));
    } else if (roll < 0.6) {
      sent.set(u, OPCODE.GETATTR);
      channel.send(OPCODE.GETATTR, u, ROOT);
    } else if (roll < 0.75) {
      const pending = [...sent].filter(([id, op]) => op !== OPCODE.INTERRUPT && op !== OPCODE.FORGET && channel.repliesTo(id).length === 0);
      const victim = pending[Math.floor(rnd() * pending.length)];
      sent.set(u, OPCODE.INTERRUPT);
      channel.send(OPCODE.INTERRUPT, u, 0, interruptBody(victim ? victim[0] : 999_999n));
    } else {
      const holding = [...held].filter(([, count]) => count > 0);
      const pick = holding[Math.floor(rnd() * holding.length)];
      if (!pick) continue;
      const count = 1 + Math.floor(rnd() * pick[1]);
      held.set(pick[0], pick[1] - count);
      if (rnd() < 0.5) {
        sent.set(u, OPCODE.FORGET);
        channel.send(OPCODE.FORGET, u, pick[0], forgetBody(count));
      } else {
        sent.set(u, OPCODE.BATCH_FORGET);
        channel.send(OPCODE.BATCH_FORGET, u, 0, batchForgetBody([{ nodeId: pick[0], count }]));
      }
    }
    if (rnd() < 0.5) await sleep(Math.floor(rnd() * 6));
  }
  await sleep(60); // every deadline passes and every late completion lands
  account();
  for (const [id, op] of sent) {
    const expected = op === OPCODE.FORGET || op === OPCODE.BATCH_FORGET || op === OPCODE.INTERRUPT || channel.gone.has(id) ? 0 : 1;
    assert.equal(channel.repliesTo(id).length, expected, `request #${id} (opcode ${op}) got ${channel.repliesTo(id).length} replies`);
  }
  const expected = new Map([...held].filter(([, count]) => count > 0));
  assert.deepEqual(session.lookupCounts(), expected, 'lookup counts = successful LOOKUP replies - FORGETs');
  assert.equal(session.busy, 0);
}
