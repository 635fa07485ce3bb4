import type { Command } from 'commander';

/** A CLI command: adds itself (with its options, help text and action) to the program. */
export interface CommandModule {
  register(program: Command): void;
}

/**
 * Every command by name, in the order `timefs --help` lists them. Each lives in its own file
 * under cli/commands/ and is imported only when needed, so `timefs rdiff …` does not pay for
 * loading FUSE, LevelDB or the HTTP client.
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<CommandModule>]> = [
  ['init', async () => (await import('./init.js')).initCommand],
  ['key', async () => (await import('./key.js')).keyCommand],
  ['push', async () => (await import('./push.js')).pushCommand],
  ['snapshots', async () => (await import('./snapshots.js')).snapshotsCommand],
  ['ls', async () => (await import('./ls.js')).lsCommand],
  ['cat', async () => (await import('./cat.js')).catCommand],
  ['log', async () => (await import('./log.js')).logCommand],
  ['find', async () => (await import('./find.js')).findCommand],
  ['diff', async () => (await import('./diff.js')).diffCommand],
  ['mount', async () => (await import('./mount.js')).mountCommand],
  ['serve', async () => (await import('./serve.js')).serveCommand],
  ['restore', async () => (await import('./restore.js')).restoreCommand],
  ['forget', async () => (await import('./forget.js')).forgetCommand],
  ['check', async () => (await import('./check.js')).checkCommand],
  ['renew', async () => (await import('./renew.js')).renewCommand],
  ['rebase', async () => (await import('./rebase.js')).rebaseCommand],
  ['doctor', async () => (await import('./doctor.js')).doctorCommand],
  ['index', async () => (await import('./build-index.js')).indexCommand],
  ['rdiff', async () => (await import('./rdiff.js')).rdiffCommand],
];

/**
 * The command modules to register: only `name`'s when it names a command, else all of them
 * (for `--help`, `help` and unknown commands, which list every command).
 */
export async function loadCommands(name?: string): Promise<CommandModule[]> {
  const known = COMMANDS.find(([commandName]) => commandName === name);
  const selected = known ? [known] : COMMANDS;
  return Promise.all(selected.map(([, load]) => load()));
}
