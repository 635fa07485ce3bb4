import type { Command } from 'commander';

/** A CLI command: adds itself (with its options, help text and action) to the program. */
export interface CommandModule {
  register(program: Command): void;
}

/**
 * Every command, in the order `timefs --help` lists them.
 * Each lives in its own file under cli/commands/; add one line here per command.
 */
export async function loadCommands(): Promise<CommandModule[]> {
  const modules: CommandModule[] = [];
  modules.push((await import('./init.js')).initCommand);
  modules.push((await import('./rdiff.js')).rdiffCommand);
  modules.push((await import('./push.js')).pushCommand);
  modules.push((await import('./snapshots.js')).snapshotsCommand);
  modules.push((await import('./ls.js')).lsCommand);
  modules.push((await import('./cat.js')).catCommand);
  modules.push((await import('./mount.js')).mountCommand);
  modules.push((await import('./restore.js')).restoreCommand);
  modules.push((await import('./forget.js')).forgetCommand);
  modules.push((await import('./check.js')).checkCommand);
  modules.push((await import('./renew.js')).renewCommand);
  modules.push((await import('./rebase.js')).rebaseCommand);
  return modules;
}
