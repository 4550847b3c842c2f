import { z } from 'zod';
import { TraceSetError } from '../bench/trace-set.js';
import { type Runtime, startRuntime, type TickReport } from './runtime.js';
import { RuntimeStateError } from './runtime-state.js';
import { unitReaderFromEnv } from './unit-reader-env.js';

/** The embedded runtime's settings: environment variables, overridden by `twinscale start` flags. */
export const RuntimeOptionsSchema = z.object({
  home: z.string().min(1).default('.twinscale').describe('data directory (TWINSCALE_HOME)'),
  port: z.coerce.number().int().min(0).max(65535).default(8787).describe('HTTP port (TWINSCALE_PORT)'),
  host: z.string().min(1).default('127.0.0.1').describe('address to bind (TWINSCALE_HOST)'),
  speed: z.coerce
    .number()
    .positive()
    .max(1_000_000)
    .default(1440)
    .describe(
      'trace seconds per real second (TWINSCALE_SPEED): 1440 passes a day in a minute, 1 is real time',
    ),
});
export type RuntimeOptions = z.infer<typeof RuntimeOptionsSchema>;

/**
 * Whether an address to bind is this machine's loopback only. The local API has no authentication
 * (IAM guards it in AWS), so it binds loopback unless the user asks for more (`--allow-remote`).
 */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(h);
}

/** A problem the user can fix before starting (a port in use, a damaged data directory). */
export class RuntimeStartError extends Error {
  override readonly name = 'RuntimeStartError';
}

const HOUR_MS = 3_600_000;

/** One line per trace hour: the clock, each fleet, breaches and decisions in that hour. */
function hourlyProgress(log: (line: string) => void) {
  let hour: { breaches: Map<string, number>; decisions: number; failed: number } | undefined;
  return (r: TickReport) => {
    hour ??= { breaches: new Map(), decisions: 0, failed: 0 };
    for (const f of r.fleets)
      hour.breaches.set(f.twinId, (hour.breaches.get(f.twinId) ?? 0) + f.breachMinutes);
    hour.decisions += r.decisions;
    hour.failed += r.failed;
    if (r.clock % HOUR_MS !== 0) return;
    const fleets = r.fleets
      .map(
        (f) =>
          `${f.twinId} ${f.capacity} inst${hour?.breaches.get(f.twinId) ? ` (${hour.breaches.get(f.twinId)} breach min)` : ''}`,
      )
      .join(' · ');
    const failed = hour.failed ? `, ${hour.failed} failed` : '';
    log(
      `${new Date(r.clock).toISOString().slice(0, 16).replace('T', ' ')}  ${fleets}  | ${hour.decisions} decisions${failed}`,
    );
    hour = undefined;
  };
}

/** Runs the local runtime until SIGINT/SIGTERM; resolves once it has stopped cleanly. */
export async function runLocal(o: RuntimeOptions, log: (line: string) => void = console.log): Promise<void> {
  let rt: Runtime;
  try {
    rt = await startRuntime({ ...o, units: unitReaderFromEnv() }, hourlyProgress(log));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new RuntimeStartError(
        `port ${o.port} on ${o.host} is in use: set TWINSCALE_PORT or --port to another`,
      );
    if (code === 'EACCES')
      throw new RuntimeStartError(`may not listen on ${o.host}:${o.port}: choose a port above 1023`);
    if (e instanceof RuntimeStateError || e instanceof TraceSetError) throw new RuntimeStartError(e.message);
    throw e;
  }
  log(
    `Twinscale local runtime: data in ${o.home}, trace clock at ${new Date(rt.now()).toISOString()}, ${o.speed}× real time`,
  );
  log(`  dashboard  ${rt.url}/`);
  log(`  API        ${rt.url}/twins   (OpenAPI: ${rt.url}/openapi.json)`);
  log(`  twins      ${rt.samples.map((s) => `${s.twin.id} (${s.about})`).join('; ')}`);
  log('Ctrl-C stops; the next start resumes where this one stopped.');
  await new Promise<void>((resolve, reject) => {
    const stop = () => {
      log('stopping: finishing the cycle under way…');
      process.once('SIGINT', () => process.exit(130));
      rt.stop().then(() => {
        log(`stopped at trace time ${new Date(rt.now()).toISOString()}`);
        resolve();
      }, reject);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    rt.loop.catch(async (e) => {
      await rt.stop().catch(() => {});
      reject(e);
    });
  });
}
