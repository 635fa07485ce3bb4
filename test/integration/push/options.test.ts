import { pushOptionsSuite } from '../../helpers/push-suite.js';
import { TahoeStore } from '../../../src/store/tahoe/tahoe-store.js';
import { nodeUrl } from './push-fixture.js';

pushOptionsSuite('push (grid)', async () => new TahoeStore({ nodeUrl: nodeUrl() }));
