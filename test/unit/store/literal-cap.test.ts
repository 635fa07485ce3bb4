import assert from 'node:assert/strict';
import { test } from 'node:test';
import { literalCap, literalData, LIT_MAX_BYTES, sizeFromCap } from '../../../src/store/tahoe/caps.js';

test('literalCap: the caps Tahoe gives (tahoe.md: "" and "hello"), and a round trip for every LIT length', () => {
  assert.equal(literalCap(new Uint8Array(0)), 'URI:LIT:');
  assert.equal(literalCap(Buffer.from('hello')), 'URI:LIT:nbswy3dp');
  for (let n = 0; n <= LIT_MAX_BYTES; n++) {
    const data = Buffer.alloc(n, 0);
    for (let i = 0; i < n; i++) data[i] = (i * 37 + n) & 0xff;
    const cap = literalCap(data);
    assert.match(cap, /^URI:LIT:[a-z2-7]*$/);
    assert.deepEqual(Buffer.from(literalData(cap)), data);
    assert.equal(sizeFromCap(cap), n);
  }
  assert.throws(() => literalCap(new Uint8Array(56)), RangeError);
});
