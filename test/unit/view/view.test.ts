import { describe } from 'node:test';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { memoryRepo } from '../../helpers/view-fixture.js';
import { defineViewSuite } from '../../helpers/view-suite.js';

describe('read model on MemoryStore', () => {
  defineViewSuite(async () => {
    const store = new MemoryStore();
    const { snapshotsCap } = await memoryRepo(store);
    return { store, snapshotsCap };
  }, { chainBase: 150_000, chainDepth: 22, reads: 150 });
});
