import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { benchCommand } from './bench.js';
import { EXIT, EXIT_CODES_HELP, exitCodeOf } from './errors.js';
import { forecastCommand } from './forecast.js';
import { type CliIo, processIo } from './io.js';
import { replayCommand } from './replay.js';
import { simulateCommand } from './simulate.js';
import { type RunLocal, startCommand } from './start.js';
import { unitsCommand } from './units.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export interface CliDeps {
  /** What `start` runs; tests pass a fake. @default runLocal from local/runtime/run-local.ts */
  runLocal?: RunLocal;
}

/** The `twinscale` program; `done` receives the exit code an action ends with. */
export function buildProgram(io: CliIo, done: (code: number) => void, deps: CliDeps = {}): Command {
  const program = new Command('twinscale')
    .description(
      'Predictive autoscaling on a digital twin of each service. Run the local runtime, forecast a ' +
        'trace, replay it against a simulated fleet, try a what-if, twin a stack, template or task family, or run ' +
        'the benchmarks.',
    )
    .version(version)
    .addCommand(startCommand(io, done, deps.runLocal))
    .addCommand(forecastCommand(io, done))
    .addCommand(replayCommand(io, done))
    .addCommand(simulateCommand(io, done))
    .addCommand(unitsCommand(io, done))
    .addCommand(benchCommand(io, done));
  for (const cmd of [program, ...program.commands]) {
    const name = cmd === program ? 'twinscale' : `twinscale ${cmd.name()}`;
    cmd
      .exitOverride()
      .allowExcessArguments(false)
      .configureOutput({
        writeOut: io.out,
        writeErr: io.err,
        // Commander's "error: …" and its "(Did you mean …?)" as one line naming the command.
        outputError: (text, write) =>
          write(
            `${name}: ${text
              .replace(/^error: /, '')
              .trim()
              .replace(/\n/g, ' ')} (see ${name} --help)\n`,
          ),
      })
      .addHelpText('after', EXIT_CODES_HELP);
  }
  return program;
}

/** Runs the command line (arguments after the program name); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo = processIo, deps: CliDeps = {}): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c), deps);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    // Commander has already printed its own errors (and help, when asked for).
    if (e instanceof CommanderError) return exitCodeOf(e);
    const command = program.commands.find((c) => c.name() === argv[0]);
    const name = command ? `twinscale ${command.name()}` : 'twinscale';
    const failed = exitCodeOf(e);
    io.err(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    if (failed === EXIT.failed && e instanceof Error && e.stack) {
      io.err(process.env.TWINSCALE_DEBUG ? `${e.stack}\n` : '(set TWINSCALE_DEBUG=1 to see where)\n');
    }
    return failed;
  }
}

/** Exits once stdout has drained, so piped JSON is never cut short. */
export async function main(argv: string[]): Promise<void> {
  const code = await runCli(argv);
  process.stdout.write('', () => process.exit(code));
}

// `tsx local/cli/main.ts …` (npm start, npm run bench); the bin launcher imports main() instead.
const invokedAs = (path: string | undefined) => {
  try {
    return path ? realpathSync(path) : undefined;
  } catch {
    return undefined;
  }
};
if (invokedAs(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
