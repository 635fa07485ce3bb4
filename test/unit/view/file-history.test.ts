import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EntryMeta } from '../../../src/model/entry.js';
import { distinctVersions, type PathInSnapshot } from '../../../src/view/file-history.js';

function file(hash: string | undefined, mode = 0o644): EntryMeta {
  return { type: 'file', mode, uid: 0, gid: 0, mtime: '0', size: 1, ...(hash ? { hash } : {}) };
}

function at(snapshotName: string, meta?: EntryMeta, cap = `URI:CHK:${meta?.hash ?? 'x'}`): PathInSnapshot {
  return meta ? { snapshotName, meta, cap } : { snapshotName };
}

test('history keeps one entry per run of identical content', () => {
  const table: Array<[string, PathInSnapshot[], string[]]> = [
    ['unchanged file', [at('t1', file('a')), at('t2', file('a')), at('t3', file('a'))], ['t1']],
    ['edits', [at('t1', file('a')), at('t2', file('b')), at('t3', file('b')), at('t4', file('c'))], ['t1', 't2', 't4']],
    ['revert shows again', [at('t1', file('a')), at('t2', file('b')), at('t3', file('a'))], ['t1', 't2', 't3']],
    ['chmod is not a version', [at('t1', file('a', 0o644)), at('t2', file('a', 0o600))], ['t1']],
    ['created late', [at('t1'), at('t2', file('a'))], ['t2']],
    ['deleted and restored', [at('t1', file('a')), at('t2'), at('t3', file('a'))], ['t1', 't3']],
    ['directory in between', [at('t1', file('a')), at('t2', { ...file(undefined), type: 'dir' }), at('t3', file('a'))], ['t1', 't3']],
    ['never existed', [at('t1'), at('t2')], []],
  ];
  for (const [label, history, expected] of table) {
    assert.deepEqual(distinctVersions(history).map((v) => v.name), expected, label);
  }
});

test('without a recorded hash the cap is the identity', () => {
  const history = [
    at('t1', file(undefined), 'URI:CHK:one'),
    at('t2', file(undefined), 'URI:CHK:one'),
    at('t3', file(undefined), 'URI:CHK:two'),
  ];
  assert.deepEqual(distinctVersions(history).map((v) => v.name), ['t1', 't3']);
});

test('a symlink and a file with the same bytes are different versions', () => {
  const history = [at('t1', file('a')), at('t2', { ...file('a'), type: 'symlink' })];
  assert.deepEqual(distinctVersions(history).map((v) => v.meta.type), ['file', 'symlink']);
});
