import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { nameJson, quoteName, quotePath } from '../../../src/cli/quote-name.js';
import { snapshotPathOfBytes } from '../../../src/cli/argv-bytes.js';

const NAMES: Buffer[] = [
  'plain', 'a b', "it's", "it's a", 'x"y', 'd$x', 'new\nline', '\nlead', 'trail\n', 'tab\tx', '#hash', 'a#b', '~t', 'a~',
  '{', '}', 'a{', 'back\\slash', 'q?', 'st*r', 'a=b', 'x!y', "it's!", "it's$", 'é', 'a\x01b', "'", 'a b\nc', "x'y\nz",
  '^up', 'a:b,c%+@', '-dash', 'semi;', 'br]', 'br[', 'c&d', 'p(q)', 'l<g>', 'pi|pe', 'back`tick', 'del\x7f', 'snow☃man', 'cr\r',
].map((name) => Buffer.from(name, 'utf8')).concat([
  Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from([0xff]), Buffer.from([0x61, 0xc3]), Buffer.from([0xc2, 0x85, 0x61]),
  Buffer.from([0x27, 0xe9, 0x27]), Buffer.from([0xe2, 0x80, 0xa8]),
]);

describe('quoteName', () => {
  it('quotes every name exactly as GNU ls --quoting-style=shell-escape does in a UTF-8 locale', () => {
    const dir = mkdtempSync(join(tmpdir(), 'timefs-quote-'));
    try {
      const dirs = NAMES.map((name, i) => {
        const sub = join(dir, `d${i}`);
        mkdirSync(sub);
        writeFileSync(Buffer.concat([Buffer.from(`${sub}/`), name]), '');
        return `d${i}`;
      });
      const out = execFileSync('ls', ['--quoting-style=shell-escape', ...dirs], { cwd: dir, env: { ...process.env, LC_ALL: 'C.UTF-8' } }).toString('utf8');
      const shown = new Map<string, string>();
      for (const block of out.split('\n\n')) {
        const [head, ...rest] = block.split('\n');
        shown.set((head as string).replace(/:$/, ''), rest.join('\n').trimEnd());
      }
      const wrong = NAMES.flatMap((name, i) => (quoteName(name) === shown.get(`d${i}`) ? [] : [`${name.toString("hex")}: ${quoteName(name)} vs ${shown.get(`d${i}`)}`]));
      assert.deepEqual(wrong, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never puts a newline in a quoted name, and a shell reads the quoted form back to the same bytes', () => {
    for (const name of NAMES) {
      const quoted = quoteName(name);
      assert.ok(!quoted.includes('\n'));
      const back = execFileSync('bash', ['-c', `printf %s ${quoted}`]);
      assert.deepEqual(back, name, `round trip of ${quoted}`);
    }
  });

  it('quotes each name of a path and keeps the slashes', () => {
    assert.equal(quotePath(Buffer.from('/data/caf\xe9/new\nline', 'latin1')), "/data/'caf'$'\\351'/'new'$'\\n''line'");
  });

  it('carries bytes that are not UTF-8 in base64 for JSON, and exact text otherwise', () => {
    assert.deepEqual(nameJson(Buffer.from('new\nline')), { name: 'new\nline' });
    assert.deepEqual(nameJson(Buffer.from([0x63, 0xe9])), { name: 'c\uFFFD', rawName: Buffer.from([0x63, 0xe9]).toString('base64') });
  });
});

describe('snapshot paths from argument bytes', () => {
  it('keeps UTF-8 names as text and the others as exact bytes', () => {
    const bytes = Buffer.concat([Buffer.from('/data//caf'), Buffer.from([0xe9]), Buffer.from('/x.txt')]);
    assert.deepEqual(snapshotPathOfBytes(bytes), ['data', Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'x.txt']);
  });
});
