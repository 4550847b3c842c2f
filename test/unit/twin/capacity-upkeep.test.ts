import {
  CAPACITY_FIT_RETRY_MS,
  capacityFitAttemptDue,
  capacityFitVerdict,
  capacityFitWanted,
  noCapacityModel,
} from '../../../layers/core/twin/capacity-upkeep.js';
import {
  type Calibration,
  type CapacityModelRecord,
  MetricQuerySchema,
} from '../../../layers/core/twin/twin.js';
import { REQUEST_COUNT } from '../../../local/fixtures/twins.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const iso = (t: number) => new Date(t).toISOString();

/** A fitted model: capacity `k`, its interval ±`share`, with its line, fitted `ageMs` before NOW. */
function fitted(k: number, ageMs: number, share = 0.05): CapacityModelRecord {
  return {
    capacityPerInstance: k,
    low: k * (1 - share),
    high: k * (1 + share),
    fittedAt: iso(NOW - ageMs),
    idleUtilization: 5,
    utilizationPerLoad: 95 / k,
    kneeUtilization: null,
    residualSigma: 1,
    explained: 0.9,
    points: 800,
  };
}
/** A model set by hand: no line. */
const handSet: CapacityModelRecord = {
  capacityPerInstance: 100,
  low: 90,
  high: 110,
  fittedAt: iso(NOW - DAY),
};

const episode = (metric: string): Calibration => ({
  since: iso(NOW - 2 * HOUR),
  widenUntil: iso(NOW + 4 * HOUR),
  metric,
  direction: 'up',
  bandScale: 1.5,
});

/** Two weeks of load, no drift, the CPU metric `cpu`. */
const wanted = (over: Partial<Parameters<typeof capacityFitWanted>[0]>) =>
  capacityFitWanted({
    model: undefined,
    calibration: null,
    cpuKey: 'cpu',
    loadFrom: NOW - 14 * DAY,
    now: NOW,
    ...over,
  });

describe('Function: capacityFitWanted', () => {
  it('wants a fit for a twin with no capacity model at all', () => {
    expect(wanted({ model: undefined })).toBe('no-line');
  });

  it('wants a fit for a model set by hand, which has no line', () => {
    expect(wanted({ model: handSet })).toBe('no-line');
  });

  it('leaves a line fitted within the refit period alone', () => {
    expect(wanted({ model: fitted(100, 6 * DAY) })).toBeUndefined();
  });

  it('wants a refit once the line is older than the refit period', () => {
    expect(wanted({ model: fitted(100, 8 * DAY) })).toBe('stale');
  });

  it('does not fit while the utilization drift episode of its CPU metric is open (the drift watch refits then)', () => {
    expect(wanted({ model: fitted(100, 8 * DAY), calibration: episode('cpu') })).toBeUndefined();
    expect(wanted({ model: undefined, calibration: episode('cpu') })).toBeUndefined();
  });

  it('still fits while only a load drift episode is open', () => {
    expect(wanted({ model: undefined, calibration: episode('requests') })).toBe('no-line');
  });

  it('waits for 12 hours of load history, when a young twin has too few recorded fleet sizes to fit on', () => {
    expect(wanted({ loadFrom: NOW - 11 * HOUR })).toBeUndefined();
    expect(wanted({ loadFrom: undefined })).toBeUndefined();
    expect(wanted({ loadFrom: NOW - 12 * HOUR })).toBe('no-line');
  });
});

describe('Function: capacityFitAttemptDue', () => {
  it('is due when the twin was never attempted', () => {
    expect(capacityFitAttemptDue(undefined, NOW)).toBe(true);
  });

  it('is not due again within the day of the last attempt, whatever came of it', () => {
    expect(capacityFitAttemptDue(iso(NOW - HOUR), NOW)).toBe(false);
    expect(capacityFitAttemptDue(iso(NOW - CAPACITY_FIT_RETRY_MS + 1), NOW)).toBe(false);
  });

  it('is due a day after the last attempt', () => {
    expect(capacityFitAttemptDue(iso(NOW - CAPACITY_FIT_RETRY_MS), NOW)).toBe(true);
  });
});

describe('Function: capacityFitVerdict', () => {
  it('says why when nothing could be fitted', () => {
    expect(
      capacityFitVerdict({ problem: '12 usable samples: the capacity fit needs at least 30' }, handSet),
    ).toEqual({
      outcome: 'failed',
      problem: '12 usable samples: the capacity fit needs at least 30',
    });
  });

  it('stores any fit on a twin without a model', () => {
    const model = fitted(100, 0, 0.4);
    expect(capacityFitVerdict({ model }, undefined)).toEqual({ outcome: 'fitted', model });
  });

  it('stores a fit within a factor of 2 of the current model, however wide its interval', () => {
    const model = fitted(180, 0, 0.4);
    expect(capacityFitVerdict({ model }, handSet).outcome).toBe('fitted');
  });

  it('keeps the current model when a fit more than 2× from it has a loose interval, and says why', () => {
    const model = fitted(250, 0, 0.2);
    const verdict = capacityFitVerdict({ model }, handSet);
    expect(verdict).toMatchObject({ outcome: 'kept', model });
    expect('message' in verdict && verdict.message).toMatch(/more than 2× from the current model's 100/);
  });

  it('stores a fit more than 2× from the current model when its interval is within ±10 %', () => {
    expect(capacityFitVerdict({ model: fitted(250, 0, 0.08) }, handSet).outcome).toBe('fitted');
    expect(capacityFitVerdict({ model: fitted(40, 0, 0.08) }, handSet).outcome).toBe('fitted');
    expect(capacityFitVerdict({ model: fitted(40, 0, 0.15) }, handSet).outcome).toBe('kept');
  });
});

describe('Function: noCapacityModel', () => {
  const requests = MetricQuerySchema.parse(REQUEST_COUNT);
  const cpu = MetricQuerySchema.parse({ ...REQUEST_COUNT, key: 'cpu', role: 'utilization' });

  it('tells a twin with a CPU metric that the loop fits one, and how to set one meanwhile', () => {
    const message = noCapacityModel({ id: 'web', metrics: [requests, cpu] });
    expect(message).toMatch(
      /the forecast-and-plan loop fits one in its hourly check once it has 12 hours of load/,
    );
    expect(message).toContain('PUT /twins/{id}/capacity-model');
  });

  it('tells a twin without a CPU metric that only a model set by hand or a utilization metric will do', () => {
    const message = noCapacityModel({ id: 'web', metrics: [requests] });
    expect(message).toMatch(/no capacity model: set one with PUT/);
    expect(message).toContain('role "utilization"');
  });
});
