import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsqrModule from 'jsqr';
import { keyNotice } from '../../../src/cli/commands/init.js';
import { qrLines } from '../../../src/cli/qr-terminal.js';
import { createClientCommand, recoveryJson, recoverySheetLines, type RecoveryInfo } from '../../../src/cli/recovery-sheet.js';
import { assertCapsQuiet, wholeCapsIn } from '../../helpers/cli.js';

// jsqr is CommonJS: its module object is the function, typed as an ES default export.
const jsQR = (jsqrModule as unknown as { default: (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null }).default;

const READ = 'URI:DIR2-RO:fqbxkdopf456hmdlsxzwrweycm:434o6uvzw2nehfdunehtg2tacrbvzymawgclqwmul5dktntqdkla';
const WRITE = 'URI:DIR2:re5nzsc7j2ptycwzdimisiyirq:434o6uvzw2nehfdunehtg2tacrbvzymawgclqwmul5dktntqdkla';
const FURL = 'pb://imac5c6ittbszzxilbuo5kixrh65claj@tcp:127.0.0.1:47500/j7bo3tbf7mavfnl5a3zjocsw5tosfqzr';

const info: RecoveryInfo = {
  readCap: READ,
  introducer: FURL,
  nodeDirectory: '/home/me/.tahoe',
  encoding: { needed: 2, happy: 3, total: 3 },
  repoId: 'f8c20d5f49f72342e1a1a452',
  created: '2026-12-05T21:54:20.967Z',
  printedAt: '2026-12-05T21:54:24Z',
  host: 'laptop',
};

/** Reads a QR code drawn by {@link qrLines} back, the way a phone camera would see it. */
function decodeDrawn(lines: string[]): string | undefined {
  const plain = lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
  const scale = 4;
  const width = plain[0]!.length * scale;
  const height = plain.length * 2 * scale;
  const pixels = new Uint8ClampedArray(width * height * 4).fill(255);
  plain.forEach((line, row) => {
    [...line].forEach((ch, col) => {
      const halves = [ch === '█' || ch === '▀', ch === '█' || ch === '▄'];
      halves.forEach((dark, half) => {
        if (!dark) return;
        for (let y = 0; y < scale; y++) {
          for (let x = 0; x < scale; x++) {
            const at = (((row * 2 + half) * scale + y) * width + col * scale + x) * 4;
            pixels[at] = pixels[at + 1] = pixels[at + 2] = 0;
          }
        }
      });
    });
  });
  return jsQR(pixels, width, height)?.data;
}

describe('recovery sheet', () => {
  it('holds the read cap, the introducer, the repository id and the three restore commands', () => {
    const text = recoverySheetLines(info).join('\n');
    assert.ok(text.includes(READ));
    assert.ok(text.includes(FURL));
    assert.ok(text.includes(info.repoId));
    assert.ok(text.includes('2026-12-05T21:54:24Z'));
    assert.ok(text.includes(`1. tahoe create-client --introducer=${FURL} --shares-needed=2 --shares-happy=3 --shares-total=3 ~/.tahoe`));
    assert.ok(text.includes(`2. timefs snapshots --repo ${READ}`));
    assert.ok(text.includes(`3. timefs restore latest --repo ${READ} --target /`));
    assert.ok(!text.includes(WRITE), 'no write cap unless asked');
    assert.ok(!text.includes('URI:DIR2:'), 'no write cap of any kind unless asked');
  });

  it('adds the write cap and how to go on backing up only with writeCap', () => {
    const text = recoverySheetLines({ ...info, writeCap: WRITE }).join('\n');
    assert.ok(text.includes(`WRITE CAP`));
    assert.ok(text.includes(`tahoe add-alias backups ${WRITE}`));
  });

  it('says where it looked when the introducer is unknown', () => {
    const { introducer: _unused, ...rest } = info;
    const text = recoverySheetLines(rest).join('\n');
    assert.match(text, /not found in \/home\/me\/\.tahoe/);
    assert.equal(createClientCommand({}), 'tahoe create-client --introducer=INTRODUCER-FURL ~/.tahoe');
  });

  it('--json has readCap, introducer and repoId, and writeCap only when asked', () => {
    const json = recoveryJson(info);
    assert.equal(json.readCap, READ);
    assert.equal(json.introducer, FURL);
    assert.equal(json.repoId, info.repoId);
    assert.ok(!('writeCap' in json));
    assert.equal(recoveryJson({ ...info, writeCap: WRITE }).writeCap, WRITE);
  });

  it('draws a QR code that decodes to the read cap, plain and coloured', () => {
    assert.equal(decodeDrawn(qrLines(READ)), READ);
    const coloured = qrLines(READ, { colour: true });
    assert.ok(coloured.every((l) => l.startsWith('\x1b[30;47m') && l.endsWith('\x1b[0m')));
    assert.equal(decodeDrawn(coloured), READ);
    assert.notEqual(decodeDrawn(qrLines(WRITE)), READ, 'a different cap draws a different code');
  });

  it("init's notice says the cap is the only key and how to print the sheet", () => {
    const notice = keyNotice('backups:', '/home/me/.tahoe', true);
    assert.match(notice, /only key/);
    assert.match(notice, /timefs key --repo backups:/);
    assert.match(notice, /\/home\/me\/\.tahoe\/private\/aliases/);
    assert.deepEqual(wholeCapsIn(notice), []);
  });
});

describe('the caps-quiet check used by every CLI test', () => {
  it('finds whole caps of every kind and passes redacted ones and help text', () => {
    assert.deepEqual(wholeCapsIn(`repo ${READ} here`), [READ]);
    assert.deepEqual(wholeCapsIn('x URI:CHK:abcdefgh:ijkl:2:3:100 y'), ['URI:CHK:abcdefgh:ijkl:2:3:100']);
    assert.deepEqual(wholeCapsIn('URI:LIT:mfrgg'), ['URI:LIT:mfrgg'], 'a short literal cap is still whole without …');
    assert.deepEqual(wholeCapsIn('URI:DIR2:abcdefghi…'), ['URI:DIR2:abcdefghi…'], 'more than a redacted cap shows');
    assert.deepEqual(wholeCapsIn('URI:DIR2:re5nzs… and URI:DIR2-RO:… and a URI:DIR2: cap'), []);
    assert.throws(() => assertCapsQuiet(['ls'], `oops ${WRITE}`), /timefs ls` printed 1 whole cap/);
    assert.throws(() => assertCapsQuiet(['ls'], Buffer.from(`bytes ${WRITE}`)));
    assert.doesNotThrow(() => assertCapsQuiet(['ls'], Buffer.from('listing of URI:DIR2:re5nzs…: failed')), 'bytes are read as UTF-8, so … counts');
    assert.doesNotThrow(() => assertCapsQuiet(['key'], WRITE), 'only timefs key may');
  });
});
