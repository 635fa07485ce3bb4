import { describe } from 'node:test';
import { createTestRepo } from '../../helpers/grid.js';
import { defineViewSuite } from '../../helpers/view-suite.js';

// The same read-model suite as test/unit/view/view.test.ts, against the real grid, with a chain
// whose versions span several 128 KiB Tahoe segments.
describe('read model on the real grid', () => {
  defineViewSuite(async () => {
    const repo = await createTestRepo();
    return { store: repo.store, snapshotsCap: repo.snapshotsCap };
  }, { chainBase: 700_000, chainDepth: 22, reads: 80 });
});
