import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCap, redactCap, redactCaps } from '../../../src/model/cap.js';

const WRITE_CAP = 'URI:DIR2:x7mj7ekuw6eaxa7k4uzq3qodle:ew47whq5zn6mvsmjpdbbiamscjdk2f6o4bmkcyxq3tnfvfnmsfza';

test('redactCap keeps the kind and six characters only', () => {
  assert.equal(redactCap(WRITE_CAP), 'URI:DIR2:x7mj7e…');
  assert.equal(redactCap('URI:LIT:abc'), 'URI:LIT:abc…');
});

test('redactCaps shortens every cap inside a message', () => {
  const text = `cannot link ${WRITE_CAP} into URI:DIR2-RO:aaaaaaaaaaaa:bbbbbbbbbbbb`;
  const out = redactCaps(text);
  assert.ok(!out.includes('ew47whq5'));
  assert.ok(!out.includes('bbbbbbbbbbbb'));
  assert.match(out, /URI:DIR2:x7mj7e… into URI:DIR2-RO:aaaaaa…/);
});

test('redactCaps leaves an already shortened cap alone', () => {
  const once = redactCaps(`object ${WRITE_CAP} is gone`);
  assert.equal(redactCaps(once), once);
  assert.equal(once, 'object URI:DIR2:x7mj7e… is gone');
});

test('isCap recognises caps only', () => {
  assert.ok(isCap(WRITE_CAP));
  assert.ok(!isCap('backups:'));
});
