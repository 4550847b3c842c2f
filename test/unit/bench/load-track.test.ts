import {
  LOAD_DEFAULTS,
  loadMarkdown,
  loadVerdict,
  type RouteLoad,
  type RunBacklog,
  routeLoad,
} from '../../../local/bench/load-track.js';

const autocannonResult = (
  over: Partial<Record<'errors' | 'timeouts' | 'non2xx' | '4xx' | '5xx', number>> = {},
) => ({
  requests: { total: 1500 } as never,
  latency: { p50: 58, p90: 107, p99: 153, max: 217 } as never,
  duration: 10.02,
  errors: 0,
  timeouts: 0,
  non2xx: 0,
  '4xx': 0,
  '5xx': 0,
  ...over,
});
const get = { route: 'GET /twins/{id}/forecast', method: 'GET' as const, path: '/twins/checkout/forecast' };
const post = {
  route: 'POST /twins/{id}/scenarios',
  method: 'POST' as const,
  path: '/twins/checkout/scenarios',
};
const drained: RunBacklog = {
  started: 65,
  peakUnderWay: 25,
  underWayAtEnd: 23,
  drainSeconds: 4.4,
  succeeded: 65,
  failed: 0,
  refused: 0,
};
const load = (route: typeof get | typeof post, over = {}): RouteLoad =>
  routeLoad(route, LOAD_DEFAULTS, autocannonResult(over));

describe('the load track’s summary', () => {
  test('a route’s figures: requests per second over the measured duration, latency percentiles as measured', () => {
    expect(load(get)).toEqual({
      ...get,
      seconds: 10,
      connections: 10,
      requests: 1500,
      requestsPerSecond: 149.7,
      latencyMs: { p50: 58, p90: 107, p99: 153, max: 217 },
      errors: 0,
      timeouts: 0,
      non2xx: 0,
      status4xx: 0,
      status5xx: 0,
    });
  });

  test('passes with no errors, no 5xx and every background run finished', () => {
    expect(loadVerdict([load(get), load(post)], drained)).toEqual({ verdict: 'pass', why: [] });
  });

  test('POSTs refused at the bound of runs under way (429) are not failures; any other 4xx is', () => {
    const refused = { ...drained, refused: 16 };
    const routes = [load(get), load(post, { non2xx: 16, '4xx': 16 })];
    expect(loadVerdict(routes, refused).verdict).toBe('pass');
    const bad = loadVerdict([load(get, { non2xx: 3, '4xx': 3 }), load(post)], drained);
    expect(bad).toEqual({ verdict: 'fail', why: ['GET /twins/{id}/forecast: 3 answers 4xx'] });
  });

  test('fails on errors, timeouts, 5xx, runs left under way or failed, each named', () => {
    const v = loadVerdict([load(get, { errors: 2, timeouts: 1 }), load(post, { non2xx: 4, '5xx': 4 })], {
      ...drained,
      drainSeconds: undefined,
      underWayAtEnd: 30,
      failed: 2,
    });
    expect(v.verdict).toBe('fail');
    expect(v.why).toEqual([
      'GET /twins/{id}/forecast: 2 errors, 1 timeouts',
      'POST /twins/{id}/scenarios: 4 answers 5xx',
      'scenario runs: 30 under way did not finish in time',
      'scenario runs: 2 failed',
    ]);
  });

  test('a route that answered nothing fails', () => {
    expect(loadVerdict([load(get, {}), { ...load(post), requests: 0 }], drained).why).toEqual([
      'POST /twins/{id}/scenarios: no request was answered',
    ]);
  });

  test('the markdown has one row per route and the runs’ backlog', () => {
    const md = loadMarkdown(LOAD_DEFAULTS, [load(get), load(post)], drained, { verdict: 'pass', why: [] });
    expect(md).toContain('| GET /twins/{id}/forecast | 1500 | 149.7 | 58 | 107 | 153 | 217 | 0 | 0 | 0 |');
    expect(md).toContain('at most 25 under way at once');
    expect(md).toContain('Verdict: **pass**');
  });
});
