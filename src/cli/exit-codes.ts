/** Exit codes of the `timefs` command, documented in the README. */
export const EXIT = {
  ok: 0,
  /** The command failed; nothing was changed, or the change was rolled back. */
  failure: 1,
  /** Bad command-line input. */
  usage: 2,
  /** The work was done, with warnings (e.g. files that could not be read). */
  warnings: 3,
  /** `check` found damaged or missing data. */
  damaged: 4,
  /** Interrupted by SIGINT/SIGTERM. */
  interrupted: 130,
} as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
