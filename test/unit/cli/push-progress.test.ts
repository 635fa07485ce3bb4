import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { emptyStats } from '../../../src/backup/events.js';
import { formatBytes } from '../../../src/cli/format-bytes.js';
import { progressLine, pushReporter, writeSummary } from '../../../src/cli/push-progress.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

test('formatBytes', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GiB');
});

test('progressLine shows files, bytes, rate and ETA', () => {
  const stats = { ...emptyStats(), files: 10, newFiles: 4, bytesToRead: 4 * 1024 * 1024, bytesRead: 1024 * 1024 };
  const line = progressLine('upload', stats, 1000);
  assert.match(line, /10 files scanned, 4 to store/);
  assert.match(line, /1\.0 MiB\/4\.0 MiB read/);
  assert.match(line, /1\.0 MiB\/s ETA 3s/);
});

test('reporter: plain mode prints warnings only; json mode prints events and a summary; no cap ever', () => {
  const out = capture();
  const err = capture();
  const plain = pushReporter('plain', out.stream, err.stream);
  plain.onProgress!('scan', emptyStats());
  plain.onWarning!({ path: '/x/y', reason: 'permission denied' });
  assert.equal(out.text(), '');
  assert.equal(err.text(), 'timefs: warning: /x/y: permission denied\n');
  const json = pushReporter('json', out.stream, err.stream);
  json.onWarning!({ path: '/x/z', reason: 'vanished since the scan' });
  writeSummary('json', { snapshot: '2009-01-09T01:49:00Z', stats: { ...emptyStats(), warnings: 1 } }, out.stream, 1234);
  const events = out.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(events.map((e) => e.event), ['warning', 'summary']);
  assert.equal(events[1]!.snapshot, '2009-01-09T01:49:00Z');
  assert.equal(events[1]!.warnings, 1);
});

test('summary in text mode names the counts', () => {
  const out = capture();
  writeSummary('plain', { snapshot: 's', resumed: 'r', stats: { ...emptyStats(), newFiles: 2, changedFiles: 1, unchangedFiles: 7, files: 10 } }, out.stream, 2500);
  assert.match(out.text(), /finished the interrupted snapshot r/);
  assert.match(out.text(), /files: 2 new, 1 changed, 7 unchanged \(10 total/);
});
