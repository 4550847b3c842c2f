import { parseTimestamp } from '../../layers/core/series/read-trace.js';
import { CliUsageError } from './errors.js';

/**
 * Parsers for commander options. Each throws a CliUsageError naming the flag and what it takes,
 * so a bad value ends the command with exit code 2 and one line.
 */
export const positiveNumber =
  (flag: string, what: string) =>
  (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
      throw new CliUsageError(`${flag}: ${what}, a number above 0; got "${value}"`);
    return n;
  };

export const wholeNumber =
  (flag: string, min: number) =>
  (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min)
      throw new CliUsageError(`${flag}: a whole number ≥ ${min}, got ${value}`);
    return n;
  };

/** An ISO-8601 time (UTC unless it names a zone), as epoch milliseconds. */
export const isoTime =
  (flag: string) =>
  (value: string): number => {
    const t = parseTimestamp(value);
    if (t === undefined)
      throw new CliUsageError(`${flag}: an ISO-8601 time such as 2014-04-20T12:00Z, got "${value}"`);
    return t;
  };

/** Collects a repeatable option's values in order. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
