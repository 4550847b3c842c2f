import { TwinForecaster } from '../layers/core/forecast/twin/index.js';
import { slotsPerHour } from '../layers/core/series/grid.js';
import { loadTrace, readManifest, TraceSetError } from './bench/trace-set.js';

/**
 * `npm start` until the embedded runtime lands (issue 7): a day-ahead forecast of a bundled
 * real trace, hour by hour beside what actually happened, so a new user sees the twin work.
 */
const TRACE = process.env.TWINSCALE_DEMO_TRACE ?? 'wc98-requests-dev';

try {
  const entry = readManifest('data/traces').find((e) => e.id === TRACE);
  if (!entry) throw new TraceSetError(`trace ${TRACE} is not in data/traces/manifest.json`);
  const { grid } = loadTrace('data/traces', entry);
  const perHour = slotsPerHour(grid.stepMs);
  const day = 24 * perHour;
  const origin = grid.values.length - day;
  const started = performance.now();
  const f = new TwinForecaster().forecast({
    history: grid.values.subarray(0, origin),
    t0: grid.t0,
    stepMs: grid.stepMs,
    horizon: day,
  });
  const ms = performance.now() - started;
  console.log(`Twinscale — day-ahead forecast of ${entry.id} (${entry.metric ?? ''}, ${entry.unit ?? ''})`);
  console.log(`model ${f.model}, fitted and forecast in ${ms.toFixed(0)} ms\n`);
  console.log('hour (UTC)         actual        p10        p50        p90');
  let inside = 0;
  for (let h = 0; h < day; h += perHour) {
    const sum = (a: ArrayLike<number>) => {
      let s = 0;
      for (let k = h; k < h + perHour; k++) s += a[k];
      return s;
    };
    const actual = sum(grid.values.subarray(origin));
    const [p10, p50, p90] = [sum(f.p10), sum(f.p50), sum(f.p90)];
    if (p10 <= actual && actual <= p90) inside++;
    const t = new Date(grid.t0 + (origin + h) * grid.stepMs).toISOString().slice(0, 16).replace('T', ' ');
    console.log(`${t}  ${[actual, p10, p50, p90].map((v) => v.toFixed(0).padStart(9)).join('  ')}`);
  }
  console.log(`\n${inside} of 24 hourly totals inside the summed p10–p90 band.`);
  console.log('The embedded runtime (API, dashboard, state machines) arrives with issue 7; see README.');
} catch (e) {
  if (e instanceof TraceSetError) {
    console.error(`start: ${e.message}`);
    process.exit(2);
  }
  throw e;
}
