import { pushOptionsSuite } from '../../helpers/push-suite.js';
import { MemoryStore } from '../../../src/store/memory-store.js';

pushOptionsSuite('push (memory store)', async () => new MemoryStore());
