import { Command, Option } from 'commander';
import {
  isLoopback,
  type RuntimeOptions,
  RuntimeOptionsSchema,
  RuntimeStartError,
  runLocal,
} from '../runtime/run-local.js';
import { CliUsageError, EXIT } from './errors.js';
import type { CliIo } from './io.js';

const DEFAULTS = RuntimeOptionsSchema.parse({});
const SETTINGS = ['home', 'port', 'host', 'speed'] as const;
const envOf = (key: (typeof SETTINGS)[number]) => `TWINSCALE_${key.toUpperCase()}`;
/** The schema's description of a setting, without the variable's name (commander shows it). */
const describe = (key: (typeof SETTINGS)[number]) =>
  (RuntimeOptionsSchema.shape[key].description ?? key).replace(/ \(TWINSCALE_\w+\)/, '');
const ARGS = { home: '<dir>', port: '<port>', host: '<address>', speed: '<ratio>' };

/**
 * The runtime's settings from flags, else the environment, else the schema's defaults, checked
 * by RuntimeOptionsSchema; a bad value is refused naming the flag or variable it came from.
 */
export function runtimeOptions(cmd: Command): RuntimeOptions {
  const raw: Record<string, unknown> = {};
  for (const key of SETTINGS) {
    const value = cmd.getOptionValue(key);
    // An empty variable is an unset one (`TWINSCALE_PORT= npm start`), not port 0.
    if (!(cmd.getOptionValueSource(key) === 'env' && value === '')) raw[key] = value;
  }
  const parsed = RuntimeOptionsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue.path[0] as (typeof SETTINGS)[number];
  const what = `the ${describe(key).split(':')[0]}`;
  throw new CliUsageError(
    cmd.getOptionValueSource(key) === 'env'
      ? `${envOf(key)}=${String(raw[key])}: ${issue.message} (${what}; fix or unset the variable)`
      : `--${key} ${String(raw[key])}: ${issue.message} (${what})`,
  );
}

/** Runs the runtime until it is stopped, writing its lines through `log`. */
export type RunLocal = (o: RuntimeOptions, log: (line: string) => void) => Promise<void>;

export function startCommand(io: CliIo, done: (code: number) => void, run: RunLocal = runLocal): Command {
  const cmd = new Command('start')
    .summary('run Twinscale on this machine: API, dashboard and workflows over replayed traces')
    .description(
      'Runs the embedded runtime (what `npm start` runs) until Ctrl-C: dynalite on disk under --home, ' +
        'the same state machines as on AWS, simulated fleets fed by the bundled traces, and the HTTP API ' +
        'and dashboard on --host:--port. Each flag defaults to its environment variable, then to the ' +
        'default shown. A port in use or a data directory this version cannot read ends it with exit code 2.',
    );
  for (const key of SETTINGS) {
    cmd.addOption(new Option(`--${key} ${ARGS[key]}`, describe(key)).env(envOf(key)).default(DEFAULTS[key]));
  }
  cmd.addOption(
    new Option(
      '--allow-remote',
      'serve the API on a --host other than loopback: it has no authentication locally, anyone who reaches the port may change twins and policies',
    ).env('TWINSCALE_ALLOW_REMOTE'),
  );
  return cmd.action(async () => {
    const o = runtimeOptions(cmd);
    if (!isLoopback(o.host)) {
      if (!cmd.getOptionValue('allowRemote'))
        throw new CliUsageError(
          `--host ${o.host} is not a loopback address, and the local API has no authentication: ` +
            'bind 127.0.0.1 (the default), or pass --allow-remote (TWINSCALE_ALLOW_REMOTE=1) to serve it to the network anyway',
        );
      io.err(
        `warning: serving the API without authentication on ${o.host}: anyone who reaches port ${o.port} may read and change twins and policies\n`,
      );
    }
    try {
      await run(o, (line) => io.out(`${line}\n`));
    } catch (e) {
      // A port in use, a damaged data directory: fixed by changing the flags or the files, so exit 2.
      if (e instanceof RuntimeStartError) throw new CliUsageError(e.message);
      throw e;
    }
    done(EXIT.ok);
  });
}
