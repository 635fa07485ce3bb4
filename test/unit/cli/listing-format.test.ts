import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entryJson, formatTime, longListing, modeString, snapshotJson, snapshotTable } from '../../../src/cli/listing-format.js';
import type { EntryMeta } from '../../../src/model/entry.js';
import type { TreeEntry } from '../../../src/view/index.js';

const entry = (name: string, meta: Partial<EntryMeta>, raw?: Uint8Array): TreeEntry => ({
  name, rawName: raw ?? new Uint8Array(Buffer.from(name)), cap: 'URI:CHK:secretsecret:key:2:3:5',
  meta: { type: 'file', mode: 0o644, uid: 1000, gid: 100, mtime: '1231465740000000000', size: 5, ...meta },
});

describe('listing format', () => {
  const modes: Array<[EntryMeta['type'], number, string]> = [
    ['file', 0o644, '-rw-r--r--'], ['dir', 0o755, 'drwxr-xr-x'], ['symlink', 0o777, 'lrwxrwxrwx'],
    ['file', 0o4755, '-rwsr-xr-x'], ['file', 0o2644, '-rw-r-Sr--'], ['dir', 0o1777, 'drwxrwxrwt'], ['dir', 0o1770, 'drwxrwx--T'],
    ['fifo', 0o600, 'prw-------'], ['socket', 0o755, 'srwxr-xr-x'], ['chardev', 0o620, 'crw--w----'], ['blockdev', 0o660, 'brw-rw----'],
  ];
  for (const [type, mode, text] of modes) it(`${type} ${mode.toString(8)} is ${text}`, () => assert.equal(modeString({ type, mode }), text));

  it('formats nanosecond times in UTC', () => {
    assert.equal(formatTime('1231465740999999999', true), '2009-01-09 01:49:00');
    assert.equal(formatTime('0', true), '1970-01-01 00:00:00');
  });

  it('quotes names as GNU ls does (one line each), aligns columns, shows symlink targets, and no caps', () => {
    const raw = new Uint8Array([0x61, 0xff, 0x62]);
    const link = entry('l', { type: 'symlink', mode: 0o777, size: 6 });
    const newline = entry('new\nline', {});
    const out = longListing([entry('a.txt', { size: 12345 }), entry('x_esc', { uid: 0 }, raw), link, newline], new Map([[link, new Uint8Array(Buffer.from('tar get'))]]), true);
    const lines = out.toString('utf8').split('\n');
    assert.equal(lines[0], '-rw-r--r-- 1000 100 12345 2009-01-09 01:49:00 a.txt');
    assert.equal(lines[1], "-rw-r--r--    0 100     5 2009-01-09 01:49:00 'a'$'\\377''b'");
    assert.equal(lines[2], "lrwxrwxrwx 1000 100     6 2009-01-09 01:49:00 l -> 'tar get'");
    assert.equal(lines[3], "-rw-r--r-- 1000 100     5 2009-01-09 01:49:00 'new'$'\\n''line'");
    assert.equal(lines.length, 5);
    assert.ok(!out.includes('URI:'));
  });

  it('gives JSON with exact names, rawName only when not UTF-8, and no cap', () => {
    const json = entryJson(entry('x_esc', {}, new Uint8Array([0xff])));
    assert.equal(json.name, 'x_esc');
    assert.equal(json.rawName, '/w==');
    assert.equal(entryJson(entry('caf\u00e9', {})).rawName, undefined);
    assert.ok(!JSON.stringify(json).includes('URI:'));
  });

  it('tabulates snapshots without caps', () => {
    const s = { name: '2009-01-09T01:49:00Z', timeMs: 0, time: '2009-01-09T01:49:00Z', cap: 'URI:DIR2-CHK:secret', host: 'h', paths: ['/a', '/b'], stats: { files: 3 } };
    const table = snapshotTable([s, { ...s, name: '2009-01-10T00:00:00Z', host: 'g' }, { ...s, name: '2009-01-11T00:00:00Z', paths: ['/b', '/a'] }]);
    assert.equal(table, [
      'h:/a,/b (2 snapshots)', '  TIME                  STATS', '  2009-01-09T01:49:00Z  files=3', '  2009-01-11T00:00:00Z  files=3', '',
      'g:/a,/b (1 snapshot)', '  TIME                  STATS', '  2009-01-10T00:00:00Z  files=3', '',
    ].join('\n'));
    assert.equal(snapshotJson(s).source, 'h:/a,/b');
    assert.ok(!JSON.stringify(snapshotJson(s)).includes('URI:'));
    assert.equal(snapshotTable([]), 'no snapshots yet\n');
  });
});
