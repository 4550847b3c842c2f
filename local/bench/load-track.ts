import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { type Runtime, startRuntime } from '../runtime/runtime.js';

/** What the load track runs: each route for `seconds` with `connections` at once, on loopback. */
export interface LoadSettings {
  /** Seconds each route is loaded for. */
  seconds: number;
  /** Connections kept open at once (each sends its next request when the last is answered). */
  connections: number;
  /** The twin both routes address (a sample twin of the local runtime). */
  twin: string;
  /** The runtime's trace seconds per real second, as `npm start` runs it (its cycles run during the load). */
  speed: number;
  /** Seconds allowed after the load for the scenario runs it started to finish. */
  drainSeconds: number;
}

export const LOAD_DEFAULTS: LoadSettings = {
  seconds: 10,
  connections: 10,
  twin: 'checkout',
  speed: 1440,
  drainSeconds: 120,
};

/** The smallest useful what-if: the twin's last day replayed as it was (its policy and target tracking). */
export const LOAD_SCENARIO = { days: 1 };

/** One route under load: throughput, latency in ms, and every answer that was not a success. */
export interface RouteLoad {
  route: string;
  method: 'GET' | 'POST';
  path: string;
  seconds: number;
  connections: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Connection errors (refused, reset) and timeouts: requests that got no answer. */
  errors: number;
  timeouts: number;
  /** Answers outside 2xx, and of them the server's failures. */
  non2xx: number;
  status5xx: number;
  status4xx: number;
}

/** The background runs POST /scenarios starts: how many were under way at most, and whether they all finished. */
export interface RunBacklog {
  started: number;
  /** Most runs under way at once, sampled every 100 ms during the load and the drain. */
  peakUnderWay: number;
  /** Runs still under way when the load stopped. */
  underWayAtEnd: number;
  /** Seconds from the end of the load until none was under way (undefined: not within drainSeconds). */
  drainSeconds?: number;
  succeeded: number;
  failed: number;
  /** POSTs answered 429: the engine was at its bound of runs under way and refused more. */
  refused: number;
}

export type LoadVerdict = 'pass' | 'fail';

/** The target: no request without an answer, no 5xx, and every background run finished. */
export function loadVerdict(
  routes: RouteLoad[],
  backlog: RunBacklog,
): { verdict: LoadVerdict; why: string[] } {
  const why: string[] = [];
  for (const r of routes) {
    if (r.requests === 0) why.push(`${r.route}: no request was answered`);
    if (r.errors + r.timeouts > 0) why.push(`${r.route}: ${r.errors} errors, ${r.timeouts} timeouts`);
    if (r.status5xx > 0) why.push(`${r.route}: ${r.status5xx} answers 5xx`);
    // a 4xx other than the bound's 429 means the bench sent a bad request
    const unexpected4xx = r.status4xx - (r.method === 'POST' ? backlog.refused : 0);
    if (unexpected4xx > 0) why.push(`${r.route}: ${unexpected4xx} answers 4xx`);
  }
  if (backlog.drainSeconds === undefined)
    why.push(`scenario runs: ${backlog.underWayAtEnd} under way did not finish in time`);
  if (backlog.failed > 0) why.push(`scenario runs: ${backlog.failed} failed`);
  return { verdict: why.length === 0 ? 'pass' : 'fail', why };
}

/** What autocannon reports, reduced to the figures the summary keeps. */
export function routeLoad(
  route: Pick<RouteLoad, 'route' | 'method' | 'path'>,
  s: Pick<LoadSettings, 'seconds' | 'connections'>,
  r: Pick<autocannon.Result, 'requests' | 'latency' | 'errors' | 'timeouts' | 'non2xx' | 'duration'> & {
    '4xx': number;
    '5xx': number;
  },
): RouteLoad {
  return {
    ...route,
    seconds: s.seconds,
    connections: s.connections,
    requests: r.requests.total,
    requestsPerSecond: round(r.requests.total / Math.max(r.duration, 1e-9), 1),
    latencyMs: {
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      max: r.latency.max,
    },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    status4xx: r['4xx'],
    status5xx: r['5xx'],
  };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function loadMarkdown(
  s: LoadSettings,
  routes: RouteLoad[],
  backlog: RunBacklog,
  verdict: { verdict: LoadVerdict; why: string[] },
): string {
  const rows = routes.map(
    (r) =>
      `| ${r.route} | ${r.requests} | ${r.requestsPerSecond} | ${r.latencyMs.p50} | ${r.latencyMs.p90} | ${r.latencyMs.p99} | ${r.latencyMs.max} | ${r.errors + r.timeouts} | ${r.non2xx} | ${r.status5xx} |`,
  );
  return [
    '# Load: the local API on loopback',
    '',
    `autocannon, ${s.connections} connections, ${s.seconds} s per route, against the local runtime (dynalite, ` +
      `the state machines in process, its cycles running at ${s.speed}× real time); twin \`${s.twin}\`.`,
    '',
    '| route | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | non-2xx | 5xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Scenario runs started by the POSTs: ${backlog.started}; at most ${backlog.peakUnderWay} under way at once, ` +
      `${backlog.underWayAtEnd} when the load stopped, ` +
      (backlog.drainSeconds === undefined
        ? `not all finished within ${s.drainSeconds} s`
        : `all finished ${backlog.drainSeconds} s later`) +
      `; ${backlog.succeeded} succeeded, ${backlog.failed} failed; ${backlog.refused} POSTs refused (429) at the bound.`,
    '',
    `Verdict: **${verdict.verdict}**${verdict.why.length ? ` (${verdict.why.join('; ')})` : ' (no errors, no 5xx, every run finished)'}`,
    '',
  ].join('\n');
}

/** Polls until `probe` answers, or throws after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`load: ${what} not ready after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The local runtime on a temporary home and a free loopback port, once its first cycle has
 * collected the twin's history and forecast it; then autocannon on GET /twins/{id}/forecast and on
 * POST /twins/{id}/scenarios, one after the other, while the runs the POSTs start are counted.
 */
export async function runLoadTrack(s: LoadSettings, log: (line: string) => void) {
  const home = mkdtempSync(join(tmpdir(), 'twinscale-load-'));
  let rt: Runtime | undefined;
  try {
    log(`load: starting the local runtime in ${home}`);
    rt = await startRuntime({ home, host: '127.0.0.1', port: 0, speed: s.speed }, () => {});
    const base = rt.url;
    await until(
      `a forecast of ${s.twin}`,
      async () => {
        const r = await fetch(`${base}/twins/${s.twin}/forecast`);
        const body = (await r.json()) as { latest?: unknown };
        return r.ok && body.latest ? true : undefined;
      },
      120_000,
    );
    const workflows = rt.workflows;
    const routes: RouteLoad[] = [];
    const backlog: RunBacklog = {
      started: 0,
      peakUnderWay: 0,
      underWayAtEnd: 0,
      succeeded: 0,
      failed: 0,
      refused: 0,
    };
    const sampler = setInterval(() => {
      backlog.peakUnderWay = Math.max(backlog.peakUnderWay, workflows.underWay());
    }, 100);
    try {
      const targets = [
        { route: 'GET /twins/{id}/forecast', method: 'GET' as const, path: `/twins/${s.twin}/forecast` },
        { route: 'POST /twins/{id}/scenarios', method: 'POST' as const, path: `/twins/${s.twin}/scenarios` },
      ];
      for (const t of targets) {
        log(`load: ${t.route} for ${s.seconds} s, ${s.connections} connections`);
        const result = await autocannon({
          url: `${base}${t.path}`,
          method: t.method,
          connections: s.connections,
          duration: s.seconds,
          ...(t.method === 'POST'
            ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(LOAD_SCENARIO) }
            : {}),
        });
        const r = routeLoad(t, s, result);
        if (t.method === 'POST') backlog.refused = result.statusCodeStats?.['429']?.count ?? 0;
        routes.push(r);
        log(
          `load: ${t.route}: ${r.requestsPerSecond} req/s, p99 ${r.latencyMs.p99} ms, ${r.errors} errors, ${r.non2xx} non-2xx`,
        );
      }
      backlog.underWayAtEnd = workflows.underWay();
      const drainStart = performance.now();
      log(`load: waiting for ${backlog.underWayAtEnd} scenario runs under way`);
      while (workflows.underWay() > 0 && performance.now() - drainStart < s.drainSeconds * 1000)
        await new Promise((r) => setTimeout(r, 100));
      if (workflows.underWay() === 0)
        backlog.drainSeconds = round((performance.now() - drainStart) / 1000, 1);
    } finally {
      clearInterval(sampler);
    }
    // counted on the engine: POSTs the server answered after autocannon stopped counting started runs too
    const runs = workflows.tally('scenario');
    backlog.started = runs.running + runs.succeeded + runs.failed;
    backlog.succeeded = runs.succeeded;
    backlog.failed = runs.failed;
    const verdict = loadVerdict(routes, backlog);
    const markdown = loadMarkdown(s, routes, backlog, verdict);
    return { json: { settings: s, routes, scenarioRuns: backlog, ...verdict }, markdown, verdict };
  } finally {
    log('load: stopping the runtime');
    await rt?.stop();
    rmSync(home, { recursive: true, force: true });
  }
}
