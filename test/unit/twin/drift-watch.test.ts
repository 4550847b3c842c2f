import { DRIFT_WIDEN_MS, driftStep, residualsOf } from '../../../layers/core/twin/drift-watch.js';
import type { Calibration } from '../../../layers/core/twin/twin.js';

const SLOT = 300_000;
const NOW = Date.parse('2026-11-23T12:00:00.000Z');

/** 36 slots before NOW forecast at p50 = 100 with a band of ±12.8 (σ = 10); observed `level` + a wobble. */
function window(level: (i: number) => number) {
  const predicted = Array.from({ length: 36 }, (_, i) => ({
    t: NOW - (36 - i) * SLOT,
    p10: 100 - 12.8155,
    p50: 100,
    p90: 100 + 12.8155,
  }));
  const demand = predicted.flatMap((p, i) => [
    { t: p.t, v: level(i) - 3 },
    { t: p.t + 60_000, v: level(i) + 4 * Math.sin(i) },
  ]);
  return residualsOf(predicted, demand, SLOT, NOW);
}

const calibration = (widenUntil: number): Calibration => ({
  since: new Date(NOW - 3_600_000).toISOString(),
  widenUntil: new Date(widenUntil).toISOString(),
  metric: 'requests',
  direction: 'up',
  bandScale: 1.5,
});

describe('Function: driftStep', () => {
  it('pairs each finished slot with its observed peak and standardizes by the band', () => {
    const w = window(() => 130);
    expect(w.residuals).toHaveLength(36);
    expect(w.sigmas[0]).toBeCloseTo(10, 3);
    expect(w.residuals[0]).toBeCloseTo(30, 6);
  });

  it('flags a level 2 σ above the forecast, widening the band for the hold-off', () => {
    const step = driftStep(
      window((i) => (i >= 24 ? 120 : 100)),
      undefined,
      'requests',
      SLOT,
      NOW,
    );
    expect(step.kind).toBe('flag');
    if (step.kind !== 'flag') return;
    expect(step.flag.direction).toBe('up');
    expect(Date.parse(step.calibration.widenUntil)).toBe(NOW + DRIFT_WIDEN_MS);
    expect(Date.parse(step.calibration.since)).toBeGreaterThanOrEqual(NOW - 12 * SLOT);
  });

  it('does nothing for residuals within the band', () => {
    expect(
      driftStep(
        window(() => 100),
        undefined,
        'requests',
        SLOT,
        NOW,
      ),
    ).toEqual({ kind: 'none' });
  });

  it('raises nothing new while the band is widened, even if the window still flags', () => {
    const w = window(() => 130);
    expect(driftStep(w, calibration(NOW + 60_000), 'requests', SLOT, NOW)).toEqual({ kind: 'none' });
  });

  it('settles once the widening is over and the window no longer flags', () => {
    expect(
      driftStep(
        window(() => 100),
        calibration(NOW - 60_000),
        'requests',
        SLOT,
        NOW,
      ),
    ).toEqual({
      kind: 'settled',
    });
  });

  it('flags a new episode when the drift outlasts the widening', () => {
    const step = driftStep(
      window(() => 130),
      calibration(NOW - 60_000),
      'requests',
      SLOT,
      NOW,
    );
    expect(step.kind).toBe('flag');
  });
});
