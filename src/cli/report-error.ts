import { redactCaps } from '../model/cap.js';
import { isTimefsError, type ErrorCode } from '../model/errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';

const HINTS: Partial<Record<ErrorCode, string>> = {
  'grid.unreachable': 'is the Tahoe client node running? Start the local grid with `npm run grid:start`, or pass --node-url',
  'grid.unhappy': 'not enough storage servers are connected; check the grid with `npm run grid:status`',
  'grid.timeout': 'the grid did not answer in time; check that its storage servers are up, then retry',
  'repo.not-initialised': 'create a repository first with `timefs init --repo ALIAS:`',
  'catalog.locked': 'another timefs process is using this repository; wait for it to finish',
};

/**
 * Turns any error into the one or two lines the user sees and the exit code, in one place.
 * Never prints a stack trace (set TIMEFS_DEBUG=1 to see one) and never a whole cap.
 */
export function reportError(err: unknown, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): ExitCode {
  if (isTimefsError(err)) {
    write(`timefs: ${redactCaps(err.message)}`);
    const hint = err.hint ?? HINTS[err.code];
    if (hint) write(`  ${redactCaps(hint)}`);
    writeDebug(err, write);
    if (err.code === 'usage') return EXIT.usage;
    if (err.code === 'aborted') return EXIT.interrupted;
    return EXIT.failure;
  }
  const message = err instanceof Error ? err.message : String(err);
  write(`timefs: unexpected error: ${redactCaps(message)}`);
  write('  this is a bug in timefs; please report it with the command you ran (TIMEFS_DEBUG=1 shows details)');
  writeDebug(err, write);
  return EXIT.failure;
}

function writeDebug(err: unknown, write: (line: string) => void): void {
  if (!process.env.TIMEFS_DEBUG) return;
  let current: unknown = err;
  while (current instanceof Error) {
    write(redactCaps(current.stack ?? current.message));
    current = current.cause;
  }
}
