import { Command, CommanderError } from 'commander';
import { loadCommands } from './commands/index.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

/**
 * Builds the `timefs` program. With `commandName`, only that command is registered (fast start);
 * without it (or for an unknown name) every command is, so help lists them all.
 */
export async function buildProgram(commandName?: string): Promise<Command> {
  const program = new Command('timefs')
    .description('Versioned backups in a Tahoe-LAFS grid: rdiff deltas on push, every snapshot browsable with FUSE')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  for (const command of await loadCommands(commandName)) command.register(program);
  return program;
}

let pipeHandlersInstalled = false;

/** A reader that closed our output early (`timefs … | head`) ends the command quietly. */
function exitQuietlyOnClosedPipe(): void {
  if (pipeHandlersInstalled) return; // main() may run many times in one process (tests, benchmarks)
  pipeHandlersInstalled = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
      throw err;
    });
  }
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  try {
    const program = await buildProgram(argv[0]);
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.ok;
    }
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return EXIT.ok; // --help, --version
      return EXIT.usage;
    }
    return reportError(err);
  }
}
