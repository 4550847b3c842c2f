import {
  combineForecasts,
  dailyResiduals,
  GROUP_SLOT_MS,
  type MemberForecast,
  residualCorrelation,
} from '../../../layers/core/groups/group-forecast.js';
import { seededRandom } from '../../../layers/core/seeded-random.js';
import { DAY_MS } from '../../../layers/core/series/grid.js';

const SLOTS_PER_DAY = DAY_MS / GROUP_SLOT_MS;

/** A member with a constant forecast band (p10, p50, p90) and the given residuals. */
const member = (twinId: string, band: [number, number, number], residuals: Float64Array): MemberForecast => ({
  twinId,
  t0: 0,
  p10: Float64Array.of(band[0]),
  p50: Float64Array.of(band[1]),
  p90: Float64Array.of(band[2]),
  model: 'test',
  residuals,
  capacityPerInstance: 1,
});

/** Gaussian noise (Box–Muller) from a seeded generator. */
function noise(seed: number, n: number): Float64Array {
  const r = seededRandom(seed);
  return Float64Array.from(
    { length: n },
    () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()),
  );
}

describe('Function: combineForecasts (group forecast with dependence)', () => {
  const a = [80, 100, 130] as [number, number, number];
  const b = [40, 50, 70] as [number, number, number];

  test('independent members: the group band is narrower than the sum of quantiles', () => {
    // Prepare: a week of residuals drawn independently
    const n = 7 * SLOTS_PER_DAY;
    const members = [member('a', a, noise(1, n)), member('b', b, noise(2, n))];

    // Act
    const corr = residualCorrelation(members);
    const g = combineForecasts(members, corr);

    // Assess
    expect(corr.method).toBe('estimated');
    expect(Math.abs(corr.matrix[0][1])).toBeLessThan(0.05);
    expect(g.p50[0]).toBeCloseTo(150, 9);
    expect(g.p90[0]).toBeLessThan(g.sumOfQuantiles.p90[0] - 10);
    expect(g.p10[0]).toBeGreaterThan(g.sumOfQuantiles.p10[0] + 5);
    // √(30² + 20²) ≈ 36.06 above the median
    expect(g.p90[0] - g.p50[0]).toBeCloseTo(Math.hypot(30, 20), 0);
  });

  test('perfectly correlated members: the group band equals the sum of quantiles', () => {
    const shared = noise(3, 7 * SLOTS_PER_DAY);
    const members = [
      member('a', a, shared),
      member(
        'b',
        b,
        shared.map((v) => 2 * v),
      ),
    ];

    const corr = residualCorrelation(members);
    const g = combineForecasts(members, corr);

    expect(corr.matrix[0][1]).toBeCloseTo(1, 9);
    expect(g.p90[0]).toBeCloseTo(200, 9);
    expect(g.p10[0]).toBeCloseTo(120, 9);
  });

  test('too little shared history assumes perfect correlation (the sum of quantiles)', () => {
    const short = noise(4, SLOTS_PER_DAY / 2);
    const members = [member('a', a, short), member('b', b, noise(5, SLOTS_PER_DAY / 2))];

    const corr = residualCorrelation(members);
    const g = combineForecasts(members, corr);

    expect(corr).toMatchObject({ method: 'assumed-perfect', points: SLOTS_PER_DAY / 2 });
    expect(g.p90[0]).toBeCloseTo(200, 9);
  });
});

describe('Function: dailyResiduals', () => {
  test('a purely daily series has no residual; a one-off spike stands out', () => {
    const days = 5;
    const y = Float64Array.from(
      { length: days * SLOTS_PER_DAY },
      (_, i) => 100 + 50 * Math.sin((2 * Math.PI * i) / SLOTS_PER_DAY),
    );
    y[3 * SLOTS_PER_DAY + 10] += 40;

    const r = dailyResiduals(y);

    expect(r[SLOTS_PER_DAY + 5]).toBeCloseTo(0, 9);
    expect(r[3 * SLOTS_PER_DAY + 10]).toBeCloseTo(40, 9);
  });
});
