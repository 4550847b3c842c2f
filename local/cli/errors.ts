import { CommanderError } from 'commander';
import { TraceSetError } from '../bench/trace-set.js';

/** What the process exit code means; `--help` prints the same table. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  done
  1  failed while running (the message says what broke)
  2  bad usage or bad input: an unknown command or flag, a bad value, a missing or malformed file`;

/** A flag, value or input file the user must fix: the message names it and says how. Exit 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** The exit code an error ends the command with. */
export function exitCodeOf(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (e instanceof CliUsageError || e instanceof TraceSetError) return EXIT.usage;
  return EXIT.failed;
}
