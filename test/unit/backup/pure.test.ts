import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changedWhileReading, hasChanged, storedFingerprint, type Fingerprint } from '../../../src/backup/fingerprint.js';
import { chooseStorage, DEFAULT_POLICY, shouldTryDelta } from '../../../src/backup/policy.js';
import { chooseBlockLength } from '../../../src/model/signature-params.js';
import { excludeMatcher } from '../../../src/backup/exclude.js';
import { normaliseSources } from '../../../src/backup/scanner.js';

const fp: Fingerprint = { size: 10, mtimeNs: '1000000000000', ctimeNs: '1000000000001', ino: '42', dev: '7' };

const changeCases: Array<[string, Partial<Fingerprint> | undefined, boolean]> = [
  ['identical', {}, false],
  ['size', { size: 11 }, true],
  ['mtime', { mtimeNs: '1000000000002' }, true],
  ['ctime only (chmod)', { ctimeNs: '1000000000009' }, true],
  ['inode (replaced by rename)', { ino: '43' }, true],
  ['device', { dev: '8' }, true],
  ['no previous', undefined, true],
];
for (const [label, change, expected] of changeCases) {
  test(`hasChanged: ${label}`, () => {
    assert.equal(hasChanged(fp, change === undefined ? undefined : { ...fp, ...change }), expected);
  });
}

test('changedWhileReading: size, times, or mtime at/after the start', () => {
  const start = 2_000_000_000_000n;
  assert.equal(changedWhileReading(fp, fp, start), false);
  assert.equal(changedWhileReading(fp, { ...fp, size: 12 }, start), true);
  assert.equal(changedWhileReading(fp, { ...fp, ctimeNs: '5' }, start), true);
  const late = { ...fp, mtimeNs: start.toString() };
  assert.equal(changedWhileReading(late, late, start), true);
  const justBefore = { ...fp, mtimeNs: (start - 5_000_000n).toString() };
  assert.equal(changedWhileReading(justBefore, justBefore, start), true, 'within the coarse clock slack');
  const wellBefore = { ...fp, mtimeNs: (start - 1_000_000_000n).toString() };
  assert.equal(changedWhileReading(wellBefore, wellBefore, start), false);
});

test('storedFingerprint clamps mtime to start − 1 s', () => {
  const start = 1_000_500_000_000n;
  assert.equal(storedFingerprint(fp, start).mtimeNs, '999500000000');
  assert.equal(storedFingerprint(fp, 5_000_000_000_000n).mtimeNs, fp.mtimeNs);
  assert.equal(hasChanged(fp, storedFingerprint(fp, start)), true, 'a file modified within the last second is read again next time');
});

const policyCases: Array<[string, number, { chainLength: number; hasSignature: boolean } | undefined, number | undefined, string]> = [
  ['new small file', 100, undefined, undefined, 'whole'],
  ['new large file', 10_000_000, undefined, undefined, 'new-chain'],
  ['small file with a chain', 1000, { chainLength: 1, hasSignature: true }, 10, 'whole'],
  ['small delta', 10_000_000, { chainLength: 3, hasSignature: true }, 20_000, 'delta'],
  ['heavily changed', 10_000_000, { chainLength: 3, hasSignature: true }, 6_000_000, 'new-chain'],
  ['chain at max', 10_000_000, { chainLength: DEFAULT_POLICY.maxChain, hasSignature: true }, 100, 'new-chain'],
  ['no signature', 10_000_000, { chainLength: 0, hasSignature: false }, undefined, 'new-chain'],
];
for (const [label, size, previous, delta, expected] of policyCases) {
  test(`chooseStorage: ${label} → ${expected}`, () => {
    assert.equal(chooseStorage(size, previous, delta, DEFAULT_POLICY), expected);
  });
}

test('shouldTryDelta honours --max-chain', () => {
  const prev = { chainLength: 2, hasSignature: true };
  assert.equal(shouldTryDelta(1e7, prev, { ...DEFAULT_POLICY, maxChain: 3 }), true);
  assert.equal(shouldTryDelta(1e7, prev, { ...DEFAULT_POLICY, maxChain: 2 }), false);
});

test('chooseBlockLength: powers of two, growing with the file, clamped', () => {
  const sizes = [0, 100_000, 1 << 20, 256 << 20, 1 << 30, 2 ** 40];
  const lengths = sizes.map((s) => chooseBlockLength(s));
  for (const b of lengths) assert.equal(b & (b - 1), 0);
  for (let i = 1; i < lengths.length; i++) assert.ok(lengths[i]! >= lengths[i - 1]!);
  assert.equal(lengths[0], 1024);
  assert.equal(chooseBlockLength(1 << 30), 4096);
  for (const s of sizes) assert.ok((s / chooseBlockLength(s)) * 36 <= 36 * 1024 * 1024, `signature of a ${s}-byte file stays under 36 MiB`);
});

test('excludeMatcher: names, paths, comments', () => {
  const m = excludeMatcher(['*.tmp', '# comment', '', '/home/*/cache', 'node_modules']);
  assert.equal(m('/a/b.tmp', 'b.tmp'), true);
  assert.equal(m('/a/b.txt', 'b.txt'), false);
  assert.equal(m('/home/me/cache', 'cache'), true);
  assert.equal(m('/srv/cache', 'cache'), false);
  assert.equal(m('/x/node_modules', 'node_modules'), true);
  assert.equal(m('/x/.hidden.tmp', '.hidden.tmp'), true);
});

test('normaliseSources: absolute, sorted, nested paths folded', () => {
  assert.deepEqual(normaliseSources(['/b', '/a/x', '/a', '/a/x/y', '/ab']), ['/a', '/ab', '/b']);
  assert.deepEqual(normaliseSources(['/', '/etc']), ['/']);
});
