import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryUnhappyUploads, retryWhileUnhappy, RETRY_PAD_KEY, type PaddableCall } from '../../../src/store/unhappy-retry.js';
import { TimefsError } from '../../../src/model/errors.js';
import { MemoryStore } from '../../../src/store/memory-store.js';

test('retryWhileUnhappy: retries grid.unhappy, then gives up; other errors at once', async () => {
  let calls = 0;
  const flaky = async () => {
    if (++calls < 3) throw new TimefsError('grid.unhappy', 'placed 0 shares');
    return 'ok';
  };
  assert.equal(await retryWhileUnhappy(flaky, [1, 1, 1]), 'ok');
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(
    retryWhileUnhappy(async () => { calls++; throw new TimefsError('grid.unhappy', 'still'); }, [1, 1]),
    (err) => err instanceof TimefsError && err.code === 'grid.unhappy' && /still/.test(err.message) && /interrupted upload/.test(err.hint ?? ''),
  );
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(retryWhileUnhappy(async () => { calls++; throw new TimefsError('grid.unreachable', 'down'); }, [1, 1]), /down/);
  assert.equal(calls, 1);
});

test('retryUnhappyUploads: buffered uploads are retried, the store is otherwise unchanged', async () => {
  const memory = new MemoryStore();
  let failures = 1;
  const flaky = Object.assign(Object.create(memory) as MemoryStore, {
    putImmutable: async (body: Uint8Array) => {
      if (failures-- > 0) throw new TimefsError('grid.unhappy', 'busy');
      return memory.putImmutable(body);
    },
  });
  const store = retryUnhappyUploads(flaky, [1]);
  const cap = await store.putImmutable(Buffer.from('hello, grid: more than fifty-five bytes of content here!!'));
  assert.deepEqual(Buffer.from(await store.get(cap)).toString(), 'hello, grid: more than fifty-five bytes of content here!!');
});

/** A store that refuses, as the grid does, every upload whose exact bytes a killed upload left "in progress". */
function blockedStore(memory: MemoryStore, blocked: Set<string>): MemoryStore {
  const key = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('hex');
  return Object.assign(Object.create(memory) as MemoryStore, {
    putImmutable: async (body: Uint8Array) => {
      if (blocked.has(key(body))) throw new TimefsError('grid.unhappy', 'placed 1 shares out of 3 total (2 homeless)');
      return memory.putImmutable(body);
    },
    mkdirImmutable: async (children: Record<string, { cap: string; metadata?: Record<string, unknown> }>) => {
      if (blocked.has(key(JSON.stringify(children)))) throw new TimefsError('grid.unhappy', 'placed 1 shares out of 3 total (2 homeless)');
      return memory.mkdirImmutable(children);
    },
  });
}

test('retryUnhappyUploads: an object a stale upload blocks is stored padded (paddable bodies, directories); others give up', async () => {
  const memory = new MemoryStore();
  const body = Buffer.from('pack: member one, member two, and enough bytes to be no literal cap at all');
  const children = { a: { cap: 'URI:LIT:mfqq', metadata: { timefs: { type: 'file' } } } };
  const blocked = new Set([body.toString('hex'), Buffer.from(JSON.stringify(children)).toString('hex')]);
  const store = retryUnhappyUploads(blockedStore(memory, blocked), [1, 1, 1]);
  const paddable: PaddableCall = { paddable: true };
  const stored = Buffer.from(await store.get(await store.putImmutable(body, paddable)));
  assert.ok(stored.length > body.length, 'a padded object was stored');
  assert.deepEqual(stored.subarray(0, body.length), body, 'the recorded bytes come first, unchanged');
  const listing = await store.list(await store.mkdirImmutable(children));
  assert.deepEqual(listing.get('a')?.metadata.timefs, { type: 'file' }, 'the timefs metadata is unchanged');
  assert.match(String(listing.get('a')?.metadata[RETRY_PAD_KEY]), /^[0-9a-f]{32}$/);
  await assert.rejects(store.putImmutable(body), (err) => err instanceof TimefsError && err.code === 'grid.unhappy', 'without paddable the same bytes are tried only');
});
