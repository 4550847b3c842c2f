import { seededRandom } from '../../../layers/core/seeded-random.js';
import {
  CusumDetector,
  cusumOptionsFor,
  cusumRunLength,
  detectDrift,
  ThreeSigmaDetector,
} from '../../../layers/core/twin/drift-detector.js';

const FIVE_MIN = 300_000;
const PER_DAY = 288;

/** Gaussian noise from a seeded generator (mulberry32 + Box–Muller): the same series every run. */
function gaussian(n: number, seed: number): Float64Array {
  const u = seededRandom(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return out;
}

describe('Class: CusumDetector', () => {
  const options = cusumOptionsFor(FIVE_MIN);

  it('chooses h so that a calibrated Gaussian residual alarms at most once per 14 days', () => {
    // Assess
    expect(cusumRunLength(options.allowance, options.threshold) / 2).toBeGreaterThanOrEqual(14 * PER_DAY);
    expect(cusumRunLength(options.allowance, options.threshold - 0.05) / 2).toBeLessThan(14 * PER_DAY);
  });

  it('flags a 3-sigma level shift within 6 points, and nothing before it', () => {
    // Prepare
    const r = gaussian(4 * PER_DAY, 1);
    const at = 3 * PER_DAY;
    for (let i = at; i < r.length; i++) r[i] += 3;
    // Act
    const flags = detectDrift(r, options);
    // Assess
    expect(flags[0]?.index).toBeGreaterThanOrEqual(at);
    expect(flags[0]?.index).toBeLessThanOrEqual(at + 6);
    expect(flags[0]?.direction).toBe('up');
  });

  it('flags a downward shift as down', () => {
    const r = gaussian(4 * PER_DAY, 2);
    for (let i = 3 * PER_DAY; i < r.length; i++) r[i] -= 3;
    expect(detectDrift(r, options)[0]).toMatchObject({ direction: 'down' });
  });

  it('raises no more false alarms on 60 days of stationary noise than the stated rate allows (1 per 14 days, doubled)', () => {
    // Prepare
    const r = gaussian(60 * PER_DAY, 3);
    // Act
    const flags = detectDrift(r, options);
    // Assess: 60/14 ≈ 4.3 expected at most
    expect(flags.length).toBeLessThanOrEqual(8);
  });

  it('adapts to the scale: the same series a thousand times larger flags at the same points', () => {
    // Prepare
    const r = gaussian(4 * PER_DAY, 4);
    for (let i = 3 * PER_DAY; i < r.length; i++) r[i] += 2;
    // Act
    const small = detectDrift(r, options).map((f) => f.index);
    const large = detectDrift(
      r.map((v) => v * 1000),
      options,
    ).map((f) => f.index);
    // Assess
    expect(small.length).toBeGreaterThan(0);
    expect(large).toEqual(small);
  });

  it('learns a noisier regime instead of alarming on it for ever', () => {
    // Prepare: noise ten times larger from day 2 on
    const r = gaussian(12 * PER_DAY, 5).map((v, i) => (i >= 2 * PER_DAY ? 10 * v : v));
    const d = new CusumDetector(options);
    // Act
    const flags: number[] = [];
    for (let i = 0; i < r.length; i++) if (d.push(i, r[i])) flags.push(i);
    // Assess: after the change, σ̂ converges to about 10 and the last week alarms no more than
    // stationary noise would (at most once)
    expect(d.scale).toBeGreaterThan(7);
    expect(d.scale).toBeLessThan(13);
    expect(flags.filter((i) => i >= 5 * PER_DAY).length).toBeLessThanOrEqual(1);
  });

  it('uses a given sigma instead of its own estimate, with no warm-up needed', () => {
    const d = new CusumDetector({ ...options, warmup: 0 });
    const flags = [0, 1, 2, 3, 4, 5].map((i) => d.push(i, 30, 10));
    expect(flags.findIndex((f) => f !== undefined)).toBeGreaterThanOrEqual(2);
    expect(flags.some((f) => f !== undefined)).toBe(true);
  });

  it('ignores missing residuals', () => {
    const d = new CusumDetector({ ...options, warmup: 0 });
    expect(d.push(0, Number.NaN)).toBeUndefined();
    expect(Number.isNaN(d.scale)).toBe(true);
  });
});

describe('Class: ThreeSigmaDetector', () => {
  it('flags a spike above three weekly standard deviations of the seasonal-naive residual, not before a day of them', () => {
    // Prepare: a daily sine plus noise, a spike on day 3
    const P = 24;
    const y = gaussian(4 * P, 6).map((v, i) => 100 + 10 * Math.sin((2 * Math.PI * i) / P) + v);
    y[3 * P + 5] += 20;
    const d = new ThreeSigmaDetector(P);
    // Act
    const flags: number[] = [];
    for (let i = 0; i < y.length; i++) if (d.push(i, y[i])) flags.push(i);
    // Assess: the spike, and the day after it (whose seasonal-naive forecast is the spike)
    expect(flags).toContain(3 * P + 5);
    expect(flags.every((i) => i >= 2 * P)).toBe(true);
  });
});
