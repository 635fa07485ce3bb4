import { testStore } from '../../helpers/grid.js';
import { storeContract } from '../../helpers/store-contract.js';

storeContract('TahoeStore on the real grid', () => testStore());
