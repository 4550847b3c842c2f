import type { CliIo } from '../../../local/cli/io.js';

/** A CliIo that keeps what a command writes and draws no progress. */
export function captureIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
    progress: () => ({ tick() {}, done() {} }),
  };
  return io;
}
