// End to end through the CLI on the shared grid: what `timefs push` made, `timefs mount` shows exactly.
import { describePushThenMount } from '../helpers/push-mount-suite.js';

describePushThenMount('timefs mount of what timefs push made (CLI, real grid)');
