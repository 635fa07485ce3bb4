import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyForgetPolicy } from '../../../src/maint/forget-policy.js';
import { decideByGroup, forgetSnapshots, type ForgetCandidate } from '../../../src/maint/forget.js';
import { isTimefsError } from '../../../src/model/errors.js';
import { GROUP_BY_SOURCE, parseGroupBy } from '../../../src/model/source.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { GridSnapshotCatalogue } from '../../../src/view/snapshot-catalogue.js';
import { addSnapshot, buildTree, makeRepo } from '../../helpers/maint-fixtures.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const A = { host: 'laptop', paths: ['/home/me/docs'] };
const B = { host: 'laptop', paths: ['/home'] };

/** Ten simulated days: `~/docs` (A) every hour, `/home` (B) every night at 02:30. */
function tenDays(): ForgetCandidate[] {
  const out: ForgetCandidate[] = [];
  for (let day = 1; day <= 10; day++) {
    const d = String(day).padStart(2, '0');
    for (let hour = 0; hour < 24; hour++) {
      const name = `2009-01-${d}T${String(hour).padStart(2, '0')}:05:00Z`;
      out.push({ name, time: new Date(name), ...A, paths: [...A.paths] });
    }
    const name = `2009-01-${d}T02:30:00Z`;
    out.push({ name, time: new Date(name), ...B, paths: [...B.paths] });
  }
  return out;
}

const keptOf = (decisions: { snapshot: ForgetCandidate; keep: boolean }[], source: { paths: string[] }) =>
  decisions.filter((d) => d.keep && d.snapshot.paths[0] === source.paths[0]).map((d) => d.snapshot.name);

describe('forget per source', () => {
  it('--keep-daily 7 keeps 7 days of an hourly and of a nightly source', () => {
    const groups = decideByGroup(tenDays(), { daily: 7 }, GROUP_BY_SOURCE, NOW);
    assert.deepEqual(groups.map((g) => g.label), ['laptop:/home/me/docs', 'laptop:/home']);
    const all = groups.flatMap((g) => g.decisions);
    const keptA = keptOf(all, A);
    const keptB = keptOf(all, B);
    assert.deepEqual(keptB, ['2009-01-10T02:30:00Z', '2009-01-09T02:30:00Z', '2009-01-08T02:30:00Z', '2009-01-07T02:30:00Z',
      '2009-01-06T02:30:00Z', '2009-01-05T02:30:00Z', '2009-01-04T02:30:00Z']);
    assert.deepEqual(keptA, ['10', '09', '08', '07', '06', '05', '04'].map((d) => `2009-01-${d}T23:05:00Z`));
    assert.equal(all.length, 250);
  });

  it('--group-by none reproduces the old decisions, but still keeps the newest of each source', () => {
    const candidates = tenDays();
    const old = applyForgetPolicy(candidates, { daily: 7 }, NOW);
    // The old behaviour: every daily snapshot is an hourly ~/docs one; of /home only the oldest survives.
    assert.deepEqual(keptOf(old.decisions, B), []);
    const groups = decideByGroup(candidates, { daily: 7 }, parseGroupBy('none'), NOW);
    assert.equal(groups.length, 1);
    assert.equal(groups[0]!.label, 'all snapshots');
    const decided = groups[0]!.decisions;
    const changed = decided.filter((d, i) => d.keep !== old.decisions[i]!.keep);
    assert.deepEqual(changed.map((d) => [d.snapshot.name, d.reasons]), [['2009-01-10T02:30:00Z', ['newest of laptop:/home (always kept)']]]);
  });

  it('--group-by host puts two sources of one host together; --group-by paths merges hosts', () => {
    const c = (name: string, host: string, path: string): ForgetCandidate => ({ name, time: new Date(name), host, paths: [path] });
    const list = [c('2009-01-01T00:00:00Z', 'a', '/x'), c('2009-01-02T00:00:00Z', 'b', '/x'), c('2009-01-03T00:00:00Z', 'a', '/y')];
    assert.deepEqual(decideByGroup(list, { last: 1 }, parseGroupBy('host'), NOW).map((g) => [g.label, g.decisions.length]), [['host a', 2], ['host b', 1]]);
    assert.deepEqual(decideByGroup(list, { last: 1 }, parseGroupBy('paths'), NOW).map((g) => [g.label, g.decisions.length]), [['paths /y', 1], ['paths /x', 2]]);
    const byPaths = decideByGroup(list, { last: 1 }, parseGroupBy('paths'), NOW).flatMap((g) => g.decisions);
    assert.ok(byPaths.every((d) => d.keep), 'a:/x is the newest of its source, so it stays though b:/x is newer');
  });

  it('rejects an unknown --group-by field', () => {
    assert.throws(() => parseGroupBy('hosts'), (e: unknown) => isTimefsError(e) && e.code === 'usage' && /host,paths/.test(e.message));
    assert.deepEqual(parseGroupBy('paths,host'), { host: true, paths: true });
  });

  it('four snapshots alternating between two paths: --keep-daily 7 removes none (grid layout in a MemoryStore)', async () => {
    const store = new MemoryStore();
    const repo = await makeRepo(store);
    const root = await buildTree(store, {});
    const times = ['2009-01-01T10:00:00Z', '2009-01-01T11:00:00Z', '2009-01-01T12:00:00Z', '2009-01-01T13:00:00Z'];
    for (const [i, time] of times.entries()) await addSnapshot(store, repo, time, root, i % 2 === 0 ? A : B);
    const dry = await forgetSnapshots(store, repo.snapshotsCap, { daily: 7 }, { dryRun: true, now: NOW });
    assert.deepEqual(dry.decisions.filter((d) => !d.keep), []);
    assert.equal(dry.groups.length, 2);
    const old = await forgetSnapshots(store, repo.snapshotsCap, { daily: 7 }, { now: NOW, groupBy: parseGroupBy('none') });
    // Old rule: the day's newest and the oldest; the two middle ones go, but the newest of /home/me/docs
    // (the third) is its source's newest and stays.
    assert.deepEqual(old.removed, ['2009-01-01T11:00:00Z']);
    const left = (await new GridSnapshotCatalogue(store, repo.snapshotsCap).list()).map((s) => s.name);
    assert.deepEqual(left, [times[0], times[2], times[3]]);
  });
});
