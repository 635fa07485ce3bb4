import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryUnhappyUploads, retryWhileUnhappy } from '../../../src/store/unhappy-retry.js';
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
