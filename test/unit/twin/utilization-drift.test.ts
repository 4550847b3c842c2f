import { driftStep, episodeStep, episodesOf, latestDrift } from '../../../layers/core/twin/drift-watch.js';
import type { Calibration } from '../../../layers/core/twin/twin.js';
import {
  type FleetSize,
  latestUtilizationDrift,
  lineOf,
  predictedUtilization,
  refitCapacity,
  type UtilizationLine,
  utilizationCheckDue,
  utilizationResiduals,
  utilizationSlots,
} from '../../../layers/core/twin/utilization-drift.js';

const MIN = 60_000;
const SLOT = 5 * MIN;
const HOUR = 60 * MIN;
const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const FROM = NOW - 6 * HOUR;

/** CPU % = 10 + 0.5 × load per instance (per minute): capacity (100 − 10) / 0.5 = 180 per instance. */
const LINE: UtilizationLine = {
  idleUtilization: 10,
  utilizationPerLoad: 0.5,
  kneeUtilization: null,
  residualSigma: 2,
};

/** Per-minute fleet load over the six hours before NOW: 600 ± 240 over the window, plus a wobble. */
const loadAt = (t: number) => {
  const i = (t - FROM) / MIN;
  return 600 + 240 * Math.sin((2 * Math.PI * i) / 360) + 20 * Math.sin(i * 2.3);
};
const minutes = Array.from({ length: 6 * 60 }, (_, i) => FROM + i * MIN);

/**
 * One-minute CPU from the line at `slopeAt(t)` × the model's slope, with `fleetAt(t)` instances
 * and a deterministic ±1.5 % wobble.
 */
function cpuOf(fleetAt: (t: number) => number, slopeAt: (t: number) => number = () => 1) {
  return minutes.map((t, i) => ({
    t,
    v: 10 + 0.5 * slopeAt(t) * (loadAt(t) / fleetAt(t)) + 1.5 * Math.sin(i * 1.7) * Math.cos(i * 0.31),
  }));
}

const load = minutes.map((t) => ({ t, v: loadAt(t) }));
const fleetOf = (fleetAt: (t: number) => number): FleetSize[] =>
  Array.from({ length: 73 }, (_, i) => FROM - SLOT + i * SLOT).map((at) => ({ at, instances: fleetAt(at) }));
const six = () => 6;

function window(fleetAt: (t: number) => number, cpu: { t: number; v: number }[], fleet = fleetOf(fleetAt)) {
  const slots = utilizationSlots({ load, cpu, fleet, from: FROM, to: NOW, slotMs: SLOT });
  return { slots, residuals: utilizationResiduals(slots, LINE) };
}

describe('Function: utilizationResiduals', () => {
  it('pairs each slot mean of CPU with the line at that slot’s load per instance, in the fit’s σ', () => {
    // Act
    const { slots, residuals } = window(six, cpuOf(six));
    // Assess: 72 slots, residuals only the wobble
    expect(slots.times).toHaveLength(72);
    expect(slots.instances.every((n) => n === 6)).toBe(true);
    expect(Math.max(...residuals.residuals.map(Math.abs))).toBeLessThan(1.5);
    expect(residuals.sigmas[0]).toBe(2);
  });

  it('floors the σ of a very quiet fit at one CPU point', () => {
    const { slots } = window(six, cpuOf(six));
    expect(utilizationResiduals(slots, { ...LINE, residualSigma: 0.1 }).sigmas[0]).toBe(1);
  });

  it('flattens the prediction above the knee', () => {
    expect(predictedUtilization({ ...LINE, kneeUtilization: 80 }, 100)).toBe(60);
    expect(predictedUtilization({ ...LINE, kneeUtilization: 80 }, 300)).toBe(80);
  });

  it('leaves out the slots before the first fleet size known', () => {
    const fleet = fleetOf(six).filter((f) => f.at >= NOW - 3 * HOUR);
    expect(window(six, cpuOf(six), fleet).slots.times[0]).toBe(NOW - 3 * HOUR);
  });
});

describe('Function: latestUtilizationDrift', () => {
  it('flags nothing while CPU follows the model', () => {
    expect(latestUtilizationDrift(window(six, cpuOf(six)).residuals, SLOT)).toBeUndefined();
  });

  it('flags nothing on noise that spikes up only, where a CUSUM of the plain residuals climbs', () => {
    // Prepare: a spike of +4 σ one slot in four on the line: a mean of +1 σ, a Huber score of +0.34
    const { residuals } = window(six, cpuOf(six));
    const spiky = { ...residuals, residuals: residuals.residuals.map((_, i) => (i % 4 === 0 ? 8 : 0)) };
    // Act / Assess
    expect(latestDrift(spiky, SLOT)?.direction).toBe('up');
    expect(latestUtilizationDrift(spiky, SLOT)).toBeUndefined();
  });

  it('flags a 30 % dearer request (capacity per instance down to 1/1.3) as up within 9 slots, its onset at the change', () => {
    // Prepare: from three hours before NOW each request costs 30 % more CPU
    const change = NOW - 3 * HOUR;
    const { residuals } = window(
      six,
      cpuOf(six, (t) => (t >= change ? 1.3 : 1)),
    );
    const at = residuals.times.indexOf(change);
    // Act
    const flag = latestUtilizationDrift(
      { ...residuals, residuals: residuals.residuals.slice(0, at + 9) },
      SLOT,
    );
    // Assess
    expect(flag).toMatchObject({ direction: 'up', onset: at });
    expect(flag?.index).toBeLessThanOrEqual(at + 8);
  });

  it('flags nothing when the fleet doubles and CPU halves as the model says', () => {
    // Prepare: 6 instances, then 12 for the last three hours; CPU follows the line with the real fleet
    const fleetAt = (t: number) => (t >= NOW - 3 * HOUR ? 12 : 6);
    const cpu = cpuOf(fleetAt);
    // Act
    const flag = latestUtilizationDrift(window(fleetAt, cpu).residuals, SLOT);
    // Assess: and the fleet is what explains it: read as six instances throughout, it would be a drift down
    expect(flag).toBeUndefined();
    expect(latestUtilizationDrift(window(fleetAt, cpu, fleetOf(six)).residuals, SLOT)?.direction).toBe(
      'down',
    );
  });
});

describe('Function: refitCapacity', () => {
  it('refits on the slots since the drift began: capacity per instance moves to the new truth', () => {
    // Prepare: dearer from the start of the window's second hour
    const change = NOW - 5 * HOUR;
    const { slots } = window(
      six,
      cpuOf(six, (t) => (t >= change ? 1.3 : 1)),
    );
    // Act
    const refit = refitCapacity(slots, change, new Date(NOW).toISOString());
    // Assess: (100 − 10) / (0.5 × 1.3) = 138.5
    expect('model' in refit && refit.model.capacityPerInstance).toBeCloseTo(138.5, -1);
    expect(lineOf('model' in refit ? refit.model : undefined)?.utilizationPerLoad).toBeCloseTo(0.65, 1);
  });

  it('keeps the old model, saying why, when too little has arrived since the drift', () => {
    const { slots } = window(six, cpuOf(six));
    const refit = refitCapacity(slots, NOW - HOUR, new Date(NOW).toISOString());
    expect(refit).toEqual({ problem: expect.stringContaining('at least 30') });
  });
});

describe('Function: utilizationCheckDue', () => {
  it('runs in the first cycle of the hour when CPU of the last hour has arrived', () => {
    expect(utilizationCheckDue(NOW + 2 * MIN, 5, NOW - 10 * MIN)).toBe(true);
  });
  it('does not run in the hour’s other cycles', () => {
    expect(utilizationCheckDue(NOW + 5 * MIN, 5, NOW)).toBe(false);
  });
  it('does not run when no CPU arrived since the previous check', () => {
    expect(utilizationCheckDue(NOW, 5, NOW - 61 * MIN)).toBe(false);
    expect(utilizationCheckDue(NOW, 5, undefined)).toBe(false);
  });
});

describe('Function: episodeStep, a load and a utilization episode at once', () => {
  const open = (metric: string, widenUntil: number): Calibration => ({
    since: new Date(NOW - 2 * HOUR).toISOString(),
    widenUntil: new Date(widenUntil).toISOString(),
    metric,
    direction: 'up',
    bandScale: 1.5,
  });
  const dearer = window(
    six,
    cpuOf(six, (t) => (t >= NOW - HOUR ? 1.3 : 1)),
  ).residuals;
  const steady = window(six, cpuOf(six)).residuals;

  it('adds the utilization episode beside an open load episode, the widening lasting to the later end', () => {
    // Act
    const step = episodeStep(dearer, open('requests', NOW + HOUR), 'cpu', SLOT, NOW);
    // Assess
    expect(step.kind).toBe('flag');
    if (step.kind !== 'flag') return;
    expect(episodesOf(step.calibration).map((e) => e.metric)).toEqual(['requests', 'cpu']);
    expect(Date.parse(step.calibration.widenUntil)).toBe(NOW + 6 * HOUR);
  });

  it('settles only its own episode, leaving the load episode open', () => {
    // Prepare: both open, the utilization one over
    const both = episodeStep(dearer, open('requests', NOW + HOUR), 'cpu', SLOT, NOW - 7 * HOUR);
    if (both.kind !== 'flag') throw new Error('expected a flag');
    // Act
    const step = episodeStep(steady, both.calibration, 'cpu', SLOT, NOW);
    // Assess
    expect(step).toEqual({ kind: 'settled', calibration: open('requests', NOW + HOUR) });
  });

  it('keeps the load watch, which clears the whole calibration, from settling while the utilization episode is open', () => {
    // Prepare: the load episode's widening is over, the utilization one's is not
    const both = episodeStep(dearer, open('requests', NOW - HOUR), 'cpu', SLOT, NOW);
    if (both.kind !== 'flag') throw new Error('expected a flag');
    // Act / Assess
    expect(driftStep(steady, both.calibration, 'requests', SLOT, NOW)).toEqual({ kind: 'none' });
    expect(driftStep(steady, open('requests', NOW - HOUR), 'requests', SLOT, NOW)).toEqual({
      kind: 'settled',
    });
  });
});
