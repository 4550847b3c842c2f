import { type Progress, stderrProgress } from '../bench/progress.js';

/**
 * Where a command writes: results on stdout (with `--json`, only the JSON), progress and
 * messages on stderr. Tests pass one that captures both and draws no progress.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  progress(label: string): Progress;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  progress: stderrProgress,
};

/** Prints a result: the JSON alone with `--json`, else the text. */
export function printResult(io: CliIo, json: boolean, value: unknown, text: () => string): void {
  io.out(json ? `${JSON.stringify(value, null, 1)}\n` : text());
}
