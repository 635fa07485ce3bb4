import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edgeNameFor, edgeNamesFor, plainName, rawNameBytes } from '../../../src/model/names.js';

const cases: Array<{ label: string; raw: Buffer; plain: boolean }> = [
  { label: 'ascii', raw: Buffer.from('report.odt'), plain: true },
  { label: 'NFC accent', raw: Buffer.from('caf\u00e9', 'utf8'), plain: true },
  { label: 'NFD accent', raw: Buffer.from('cafe\u0301', 'utf8'), plain: false },
  { label: 'latin-1 byte', raw: Buffer.from([0x63, 0x61, 0x66, 0xe9]), plain: false },
  { label: 'lone continuation byte', raw: Buffer.from([0x80]), plain: false },
  { label: 'overlong encoding', raw: Buffer.from([0xc0, 0xaf]), plain: false },
  { label: 'newline', raw: Buffer.from('two\nlines'), plain: true },
  { label: 'tab and CR', raw: Buffer.from('a\tb\rc'), plain: true },
  { label: '255-byte ascii', raw: Buffer.alloc(255, 0x61), plain: true },
  { label: '255-byte non-UTF-8', raw: Buffer.alloc(255, 0xff), plain: false },
  { label: 'emoji', raw: Buffer.from('\u{1F600}.txt', 'utf8'), plain: true },
  { label: 'BOM prefix', raw: Buffer.from('\uFEFFbom', 'utf8'), plain: true },
  { label: 'hangul jamo (NFD)', raw: Buffer.from('\u1100\u1161', 'utf8'), plain: false },
];

for (const c of cases) {
  test(`names: ${c.label} round-trips byte-exactly`, () => {
    const edge = edgeNameFor(c.raw);
    assert.equal(edge.rawName === undefined, c.plain);
    assert.equal(edge.name.normalize('NFC'), edge.name, 'edge names are NFC-stable');
    assert.ok(!edge.name.includes('/'));
    assert.deepEqual(rawNameBytes(edge.name, edge.rawName), c.raw);
  });
}

test('names: plainName refuses names that would not survive Tahoe', () => {
  assert.equal(plainName(Buffer.from('ok')), 'ok');
  assert.equal(plainName(Buffer.from('cafe\u0301')), undefined);
  assert.equal(plainName(Buffer.from([0xff])), undefined);
});

test('names: a non-NFC name and its NFC twin get distinct edge names', () => {
  const nfc = Buffer.from('caf\u00e9');
  const nfd = Buffer.from('cafe\u0301');
  const edges = edgeNamesFor([nfc, nfd]);
  assert.equal(edges[0]!.name, 'caf\u00e9');
  assert.notEqual(edges[0]!.name, edges[1]!.name);
  assert.deepEqual(rawNameBytes(edges[1]!.name, edges[1]!.rawName), nfd);
});

test('names: different invalid names never share an escaped name', () => {
  const raws = [Buffer.from([0x61, 0xff]), Buffer.from([0x61, 0xfe]), Buffer.from([0x61, 0xfd])];
  const names = new Set(edgeNamesFor(raws).map((e) => e.name));
  assert.equal(names.size, raws.length);
});
