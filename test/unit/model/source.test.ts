import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTimefsError } from '../../../src/model/errors.js';
import { checkHostName, choosePushBase, pathCovered, sourceKey, sourceLabel } from '../../../src/model/source.js';

const s = (name: string, host: string, ...paths: string[]) => ({ name, timeMs: Date.parse(name), host, paths });

describe('sources', () => {
  it('a source is its host and its sorted set of paths', () => {
    assert.equal(sourceKey({ host: 'h', paths: ['/b', '/a'] }), sourceKey({ host: 'h', paths: ['/a', '/b', '/a'] }));
    assert.notEqual(sourceKey({ host: 'h', paths: ['/a'] }), sourceKey({ host: 'g', paths: ['/a'] }));
    assert.equal(sourceLabel({ host: 'h', paths: ['/b', '/a'] }), 'h:/a,/b');
  });

  it('pathCovered: the path itself, below it, or /', () => {
    assert.ok(pathCovered(['/home'], '/home/me'));
    assert.ok(pathCovered(['/home'], '/home'));
    assert.ok(!pathCovered(['/home'], '/homer'));
    assert.ok(pathCovered(['/'], '/x'));
  });

  it("push's parent: the newest of the same source, else per path the newest covering snapshot from any host", () => {
    const list = [
      s('2009-01-01T00:00:00Z', 'laptop', '/home'),
      s('2009-01-02T00:00:00Z', 'laptop', '/home/me/docs'),
      s('2009-01-03T00:00:00Z', 'desktop', '/srv'),
      s('2009-01-04T00:00:00Z', 'desktop', '/home/me/docs'),
    ];
    const same = choosePushBase(list, { host: 'laptop', paths: ['/home/me/docs'] });
    assert.equal(same.parent?.name, '2009-01-02T00:00:00Z');
    assert.equal(same.perPath.get('/home/me/docs')?.name, '2009-01-02T00:00:00Z');
    const fresh = choosePushBase(list, { host: 'new', paths: ['/home/me/docs', '/home/me/music', '/opt'] });
    assert.equal(fresh.perPath.get('/home/me/docs')?.name, '2009-01-04T00:00:00Z', 'from any host');
    assert.equal(fresh.perPath.get('/home/me/music')?.name, '2009-01-01T00:00:00Z', 'covered by /home');
    assert.equal(fresh.perPath.get('/opt'), undefined);
    assert.equal(fresh.parent?.name, '2009-01-04T00:00:00Z');
    assert.equal(choosePushBase(list, { host: 'new', paths: ['/opt'] }).parent, undefined);
  });

  it('checkHostName refuses names that cannot be a directory', () => {
    assert.equal(checkHostName('laptop'), 'laptop');
    for (const bad of ['', '..', 'a/b']) assert.throws(() => checkHostName(bad), (e: unknown) => isTimefsError(e) && e.code === 'usage');
  });
});
