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
  return modules;
}
