import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assessReadiness, worstStatus, type Finding, type ReadinessFacts } from '../../../src/maint/readiness.js';

const now = new Date('2026-12-05T12:00:00Z');
const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000).toISOString();
const servers = (up: number, down = 0) => [
  ...Array.from({ length: up }, (_, i) => ({ nickname: `s${i}`, connected: true, status: 'connected' })),
  ...Array.from({ length: down }, (_, i) => ({ nickname: `d${i}`, connected: false, status: 'Trying to connect' })),
];

function facts(overrides: Partial<ReadinessFacts> = {}): ReadinessFacts {
  return {
    now,
    nodeUrl: 'http://127.0.0.1:3456/',
    nodeDirectory: '/home/me/.tahoe',
    node: { introducers: ['Connected to tcp:127.0.0.1:47000 via tcp'], servers: servers(3) },
    introducer: 'pb://x@tcp:127.0.0.1:47000/y',
    encoding: { needed: 2, happy: 3, total: 3 },
    repository: { repoId: 'abc', notes: { keyPrintedAt: daysAgo(1), leasesRenewedAt: daysAgo(2) }, snapshots: 4, oldestSnapshot: daysAgo(100) },
    ...overrides,
  };
}
const find = (all: Finding[], check: Finding['check']) => all.find((f) => f.check === check)!;

describe('doctor: could the backups be restored without this machine?', () => {
  it('all ok when the sheet was printed, the node sees every server and leases are fresh', () => {
    const all = assessReadiness(facts());
    assert.equal(worstStatus(all), 'ok', JSON.stringify(all));
    assert.deepEqual(all.map((f) => f.check), ['repository', 'recovery-sheet', 'introducer', 'node', 'servers', 'leases']);
  });

  it('warns until a recovery sheet is known to have been printed', () => {
    const all = assessReadiness(facts({ repository: { repoId: 'abc', notes: { leasesRenewedAt: daysAgo(1) }, snapshots: 1, oldestSnapshot: daysAgo(1) } }));
    const sheet = find(all, 'recovery-sheet');
    assert.equal(sheet.status, 'warn');
    assert.match(sheet.hint!, /timefs key/);
    assert.equal(worstStatus(all), 'warn');
  });

  it('judges the servers against the encoding: below needed or happy fails, below total warns', () => {
    const servered = (up: number, down: number) => find(assessReadiness(facts({ node: { introducers: ['Connected to x'], servers: servers(up, down) } })), 'servers');
    assert.equal(servered(1, 2).status, 'fail');
    assert.equal(servered(2, 1).status, 'fail');
    assert.match(servered(2, 1).hint!, /pushes need 3/);
    assert.match(servered(2, 1).message, /2 of 3 known storage server\(s\) connected \(not: d0\)/);
    const fiveTotal = find(assessReadiness(facts({ encoding: { needed: 2, happy: 3, total: 5 }, node: { introducers: ['Connected to x'], servers: servers(4) } })), 'servers');
    assert.equal(fiveTotal.status, 'warn');
    assert.equal(find(assessReadiness(facts({ node: { introducers: [], servers: [] } })), 'servers').status, 'fail');
  });

  it('a node that does not answer fails, naming its URL', () => {
    const all = assessReadiness(facts({ node: { error: 'cannot connect' } }));
    assert.equal(find(all, 'node').status, 'fail');
    assert.match(find(all, 'node').message, /127\.0\.0\.1:3456/);
    assert.equal(all.some((f) => f.check === 'servers'), false);
  });

  it('a node that reaches no introducer warns', () => {
    assert.equal(find(assessReadiness(facts({ node: { introducers: ['Trying to connect'], servers: servers(3) } })), 'node').status, 'warn');
  });

  it('leases: fresh ok, a week old due, 31 days possibly expired; without a recorded renewal, from the oldest snapshot', () => {
    const leases = (renewed: string | undefined, oldest: string | undefined) =>
      find(assessReadiness(facts({ repository: { repoId: 'a', notes: { keyPrintedAt: daysAgo(1), ...(renewed ? { leasesRenewedAt: renewed } : {}) }, snapshots: 1, ...(oldest ? { oldestSnapshot: oldest } : {}) } })), 'leases');
    assert.equal(leases(daysAgo(3), daysAgo(300)).status, 'ok');
    assert.equal(leases(daysAgo(8), daysAgo(300)).status, 'warn');
    assert.match(leases(daysAgo(8), daysAgo(300)).hint!, /timefs renew/);
    assert.equal(leases(daysAgo(40), daysAgo(300)).status, 'fail');
    assert.equal(leases(undefined, daysAgo(2)).status, 'ok');
    assert.equal(leases(undefined, daysAgo(20)).status, 'warn');
    assert.match(leases(undefined, daysAgo(20)).message, /no lease renewal recorded on this machine/);
    assert.equal(leases(undefined, daysAgo(32)).status, 'fail');
    assert.equal(leases(undefined, undefined).status, 'ok');
  });

  it('no introducer fURL in the node directory warns; a repository that cannot be opened fails', () => {
    const { introducer: _unused, ...rest } = facts();
    assert.equal(find(assessReadiness(rest), 'introducer').status, 'warn');
    const { repository: _gone, ...noRepo } = facts();
    const all = assessReadiness({ ...noRepo, repositoryError: 'no alias "backups:"' });
    assert.equal(find(all, 'repository').status, 'fail');
    assert.equal(all.some((f) => f.check === 'leases' || f.check === 'recovery-sheet'), false);
  });
});
