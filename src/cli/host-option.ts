import type { Command } from 'commander';
import { checkHostName } from '../model/source.js';
import type { ViewOptions } from '../view/snapshot-view.js';

/** Adds `--host NAME`: only snapshots pushed from that host (see docs/format.md, "Several sources"). */
export function addHostOption(cmd: Command): Command {
  return cmd.option('--host <name>', 'only snapshots of this host (latest, days and times then merge that host\'s sources only)', checkHostName);
}

/** The view options of a command's flags (`--utc`, `--host`). */
export function viewOptions(flags: { utc?: boolean; host?: string }): ViewOptions {
  return { utc: flags.utc === true, ...(flags.host !== undefined ? { host: flags.host } : {}) };
}
