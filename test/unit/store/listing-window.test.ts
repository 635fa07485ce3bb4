import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListingWindow, walkBreadthFirst } from '../../../src/store/listing-window.js';

/** A tree of `fanout` children per node down to `depth`, names like "0/2/1". */
function childrenOf(node: string, fanout: number, depth: number): string[] {
  const level = node === '' ? 0 : node.split('/').length;
  if (level >= depth) return [];
  return Array.from({ length: fanout }, (_, i) => (node === '' ? `${i}` : `${node}/${i}`));
}

const tick = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('ListingWindow', () => {
  it('visits every node once, breadth first, never more than the window at a time', async () => {
    const visited: string[] = [];
    let inFlight = 0;
    let most = 0;
    await walkBreadthFirst([''], async (node) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await tick(1);
      visited.push(node);
      inFlight--;
      return childrenOf(node, 3, 4);
    }, { concurrency: 5 });
    assert.equal(visited.length, 1 + 3 + 9 + 27 + 81);
    assert.equal(new Set(visited).size, visited.length);
    assert.equal(most, 5, 'the window is kept full and never exceeded');
    const depths = visited.map((n) => (n === '' ? 0 : n.split('/').length));
    // breadth first: with a window of 5 a node can finish before at most a window's worth of shallower ones
    for (let i = 0; i < depths.length; i++) {
      const deeperBefore = depths.slice(0, i).filter((d) => d > (depths[i] as number) + 1).length;
      assert.equal(deeperBefore, 0, `node ${visited[i]} came after nodes two levels deeper`);
    }
  });

  it('keeps refilling: thousands of discovered directories are all listed, none dropped', async () => {
    let listed = 0;
    await walkBreadthFirst([''], async (node) => {
      listed++;
      return node === '' ? Array.from({ length: 5000 }, (_, i) => `d${i}`) : [];
    }, { concurrency: 4 });
    assert.equal(listed, 5001);
  });

  it('lists a shared subtree once', async () => {
    const seen: string[] = [];
    await walkBreadthFirst(['a', 'b'], async (node) => {
      seen.push(node);
      return node === 'a' || node === 'b' ? ['shared'] : [];
    });
    assert.deepEqual(seen.sort(), ['a', 'b', 'shared']);
  });

  it('stops at the first failure and rejects with it', async () => {
    let after = 0;
    await assert.rejects(walkBreadthFirst([''], async (node) => {
      if (node === '1') throw new Error('listing 1 failed');
      if (node.startsWith('2/')) after++;
      await tick(2);
      return childrenOf(node, 3, 3);
    }, { concurrency: 1 }), /listing 1 failed/);
    assert.equal(after, 0, 'nothing queued after the failure is visited');
  });

  it('goes on past failures in ignore mode and reports them', async () => {
    const errors: unknown[] = [];
    let visited = 0;
    const window: ListingWindow<number> = new ListingWindow(async (n) => {
      visited++;
      if (n % 2 === 0) throw new Error(`bad ${n}`);
    }, { failures: 'ignore', onError: (err) => errors.push(err), concurrency: 2 });
    for (let i = 0; i < 10; i++) window.add(i);
    await window.done();
    assert.equal(visited, 10);
    assert.equal(errors.length, 5);
  });

  it('rejects with an aborted error when its signal fires', async () => {
    const controller = new AbortController();
    const walk = walkBreadthFirst([''], async (node) => {
      await tick(2);
      if (node === '0') controller.abort();
      return childrenOf(node, 2, 10);
    }, { signal: controller.signal, concurrency: 2 });
    await assert.rejects(walk, (err: { code?: string }) => err.code === 'aborted');
  });
});
