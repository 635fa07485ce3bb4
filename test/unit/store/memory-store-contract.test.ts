import { MemoryStore } from '../../../src/store/memory-store.js';
import { storeContract } from '../../helpers/store-contract.js';

storeContract('MemoryStore', () => new MemoryStore());
