/** Progress on stderr: a line that rewrites itself on a terminal, a line per 10 % elsewhere. */
export interface Progress {
  tick(done: number, total: number): void;
  done(message: string): void;
}

export function stderrProgress(label: string): Progress {
  const tty = process.stderr.isTTY;
  let lastTenth = -1;
  let lastDraw = 0;
  return {
    tick(done, total) {
      const tenth = Math.floor((10 * done) / total);
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        process.stderr.write(`\r${label} ${done}/${total}`);
      } else if (tenth !== lastTenth) {
        lastTenth = tenth;
        process.stderr.write(`${label} ${done}/${total}\n`);
      }
    },
    done(message) {
      process.stderr.write(`${tty ? '\r' : ''}${label} ${message}\n`);
    },
  };
}
