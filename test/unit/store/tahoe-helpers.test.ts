import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTimefsError } from '../../../src/model/errors.js';
import { canonicalJson } from '../../../src/store/tahoe/canonical-json.js';
import { isImmutableCap, knownReadOnlyCap, literalData, sizeFromCap } from '../../../src/store/tahoe/caps.js';
import { checkChildName } from '../../../src/store/tahoe/child-name.js';
import { errorFromNetwork, errorFromResponse, isRetryable } from '../../../src/store/tahoe/errors.js';
import { TahoeHttp } from '../../../src/store/tahoe/http.js';
import { parseDeepCheckLine, parseListing } from '../../../src/store/tahoe/json-shapes.js';
import { parseRepoSpec } from '../../../src/store/repo-location.js';

const CHK = 'URI:CHK:5qpmknmlefvp4ggov3ax2oz5cy:toro4g46cyeq7iicrcf735samkyxg7hftluyaaakdyolsvti37eq:2:3:10240';

describe('cap facts', () => {
  it('decodes LIT caps and reads sizes from caps', () => {
    assert.equal(Buffer.from(literalData('URI:LIT:nbswy3dp')).toString(), 'hello');
    assert.equal(literalData('URI:LIT:').length, 0);
    assert.equal(sizeFromCap('URI:LIT:nbswy3dp'), 5);
    assert.equal(sizeFromCap(CHK), 10240);
    assert.equal(sizeFromCap('URI:SSK:aaa:bbb'), undefined);
    assert.equal(isImmutableCap(CHK), true);
    assert.equal(isImmutableCap('URI:DIR2:aaa:bbb'), false);
    assert.equal(knownReadOnlyCap('URI:DIR2-RO:aaa:bbb'), 'URI:DIR2-RO:aaa:bbb');
    assert.equal(knownReadOnlyCap('URI:DIR2:aaa:bbb'), undefined);
  });

  it('child names: NFC, and no "/", ".", ".." or empty names', () => {
    assert.equal(checkChildName('e\u0301'), '\u00e9');
    for (const bad of ['', 'a/b', '.', '..', 'a\0b']) assert.throws(() => checkChildName(bad), (err) => isTimefsError(err, 'usage'));
  });

  it('canonical JSON sorts keys at every level', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('repository names: alias:, alias:path, dircaps; other caps refused', () => {
    assert.deepEqual(parseRepoSpec('backups:'), { kind: 'alias', alias: 'backups', path: [] });
    assert.deepEqual(parseRepoSpec('tahoe:a/b c/'), { kind: 'alias', alias: 'tahoe', path: ['a', 'b c'] });
    assert.deepEqual(parseRepoSpec('URI:DIR2-RO:aaa:bbb'), { kind: 'cap', cap: 'URI:DIR2-RO:aaa:bbb' });
    assert.throws(() => parseRepoSpec(CHK), (err) => isTimefsError(err, 'repo.bad-name') && !(err as Error).message.includes(CHK));
    assert.throws(() => parseRepoSpec('no-colon'), (err) => isTimefsError(err, 'repo.bad-name'));
  });
});

describe('Tahoe answers to typed errors', () => {
  it('maps statuses and exception names, keeping caps out of messages', () => {
    assert.equal(errorFromResponse(404, '<html><p>No such child: x</p></html>', 'op').code, 'grid.not-found');
    assert.match(errorFromResponse(404, '<html><p>No such child: x</p></html>', 'op').message, /No such child: x/);
    assert.equal(errorFromResponse(410, 'NoSharesError: no shares', 'op').code, 'grid.gone');
    assert.equal(errorFromResponse(409, 'There was already a child', 'op').code, 'grid.conflict');
    assert.equal(errorFromResponse(500, 'Traceback...\nallmydata.interfaces.UploadUnhappinessError: shares could be placed on only 1 server(s)', 'op').code, 'grid.unhappy');
    assert.equal(errorFromResponse(500, 'Traceback\nallmydata.interfaces.NotWriteableError:', 'op').code, 'grid.not-writeable');
    const other = errorFromResponse(400, `GET unknown URI type ${CHK}`, 'op');
    assert.equal(other.code, 'grid.refused');
    assert.ok(!other.message.includes(CHK));
  });

  it('network failures name the node URL; only safe ones are retried', () => {
    const refused = errorFromNetwork(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'op', 'http://127.0.0.1:3456/');
    assert.equal(refused.code, 'grid.unreachable');
    assert.match(refused.message, /http:\/\/127\.0\.0\.1:3456\/.*connection refused/);
    assert.equal(isRetryable(refused, false), true, 'a refused connection never reached the node');
    const timeout = errorFromNetwork(Object.assign(new Error('t'), { code: 'ETIMEDOUT', name: 'TimeoutError' }), 'op', 'http://n/');
    assert.equal(timeout.code, 'grid.timeout');
    assert.equal(isRetryable(timeout, true), true);
    assert.equal(isRetryable(timeout, false), false, 'unknown outcome: not repeated for non-idempotent operations');
    assert.equal(isRetryable(errorFromResponse(502, 'bad gateway', 'op'), true), true);
    assert.equal(isRetryable(errorFromResponse(404, '', 'op'), true), false);
    const noShares = errorFromResponse(410, 'NoSharesError: no shares could be found', 'op');
    assert.equal(isRetryable(noShares, true), false, 'missing shares are not a passing failure');
    assert.equal(isRetryable(noShares, true, true), true, 'a node that was just down may not have reached its servers yet');
    assert.equal(isRetryable(noShares, false, true), false);
  });

  it('after a refused connection, "no shares" from the node coming back is retried; without one it is not', async () => {
    const http = new TahoeHttp({ nodeUrl: 'http://127.0.0.1:1/', timeoutMs: 1000, retries: 5, retryDelayMs: 1 });
    const refused = errorFromNetwork(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'op', http.nodeUrl);
    const noShares = errorFromResponse(410, 'NoSharesError', 'op');
    const failures = [refused, noShares, noShares];
    let calls = 0;
    const answer = await http.withRetries({ idempotent: true }, async () => {
      calls++;
      const failure = failures.shift();
      if (failure) throw failure;
      return 'data';
    });
    assert.equal(answer, 'data');
    assert.equal(calls, 4);
    await assert.rejects(http.withRetries({ idempotent: true }, async () => { throw noShares; }), (err) => isTimefsError(err, 'grid.gone'));
  });

  it('parses listings and deep-check lines, refusing unknown shapes', () => {
    const listing = parseListing(JSON.stringify(['dirnode', { children: { 'e\u0301': ['filenode', { ro_uri: CHK, size: 10240, mutable: false, metadata: { k: 1 } }] } }]), 'op');
    assert.deepEqual(listing.get('\u00e9'), { name: '\u00e9', kind: 'file', cap: CHK, readCap: CHK, mutable: false, size: 10240, metadata: { k: 1 } });
    assert.throws(() => parseListing('["unknown", {}]', 'op'), (err) => isTimefsError(err, 'grid.gone'));
    assert.throws(() => parseListing('<html>', 'op'), (err) => isTimefsError(err, 'grid.bad-response'));
    const event = parseDeepCheckLine(JSON.stringify({ path: ['a'], type: 'file', cap: CHK, 'check-results': { results: { healthy: false, 'count-shares-good': 1, 'count-shares-needed': 2 } } }), 'op');
    assert.deepEqual(event, { path: ['a'], type: 'file', cap: CHK, healthy: false, recoverable: false });
    assert.throws(() => parseDeepCheckLine('ERROR: UnrecoverableFileError', 'op'), (err) => isTimefsError(err, 'grid.gone'));
  });
});
