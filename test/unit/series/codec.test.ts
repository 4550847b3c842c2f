import fc from 'fast-check';
import { codecModeOf, decodeSamples, encodeSamples } from '../../../layers/core/series/codec.js';
import type { Sample } from '../../../layers/core/series/read-trace.js';

const sameBits = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

function expectRoundTrip(samples: Sample[]): void {
  const back = decodeSamples(encodeSamples(samples));
  expect(back.map((s) => s.t)).toEqual(samples.map((s) => s.t));
  samples.forEach((s, i) => {
    if (!sameBits(back[i].v, s.v)) throw new Error(`value ${i}: wrote ${s.v}, read ${back[i].v}`);
  });
}

const increasingTimes = (n: number) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: 2 ** 42 }),
      fc.array(fc.integer({ min: 1, max: 2 ** 33 }), { minLength: n, maxLength: n }),
    )
    .map(([t0, gaps]) => {
      let t = t0;
      return gaps.map((g) => (t += g));
    });

describe('Module: sample codec', () => {
  it('round-trips any doubles at irregular timestamps exactly (NaN, ±0, ±Infinity, huge, tiny)', () => {
    const value = fc.oneof(
      fc.double(),
      fc.constantFrom(
        0,
        -0,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        5e-324,
        1.7976931348623157e308,
      ),
    );
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 300 })
          .chain((n) => fc.tuple(increasingTimes(n), fc.array(value, { minLength: n, maxLength: n }))),
        ([ts, vs]) => expectRoundTrip(ts.map((t, i) => ({ t, v: vs[i] }))),
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips decimal-looking metrics exactly, including values with float artefacts', () => {
    const decimals = fc.integer({ min: 0, max: 6 });
    fc.assert(
      fc.property(
        decimals,
        fc.array(fc.integer({ min: -1e9, max: 1e9 }), { minLength: 1, maxLength: 300 }),
        fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 300, maxLength: 300 }),
        (d, ints, nudges) => {
          const values = ints.map((n, i) => {
            const v = n / 10 ** d;
            // a neighbouring double, as 94.79799999999999 neighbours 94.798
            return nudges[i] === 0 || v === 0 ? v : v * (1 + nudges[i] * Number.EPSILON);
          });
          expectRoundTrip(values.map((v, i) => ({ t: 1_400_000_000_000 + i * 60_000, v })));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stores a regular series of small integers in well under 2 bytes a sample', () => {
    const samples = Array.from({ length: 1440 }, (_, i) => ({
      t: 1_400_000_000_000 + i * 60_000,
      v: 1000 + Math.round(200 * Math.sin(i / 100)) + (i % 7),
    }));
    const bytes = encodeSamples(samples);
    expect(codecModeOf(bytes)).toBe('decimal');
    expect(bytes.length / samples.length).toBeLessThan(1.5);
    expectRoundTrip(samples);
  });

  it('falls back to XOR for arbitrary doubles and still round-trips', () => {
    const samples = Array.from({ length: 500 }, (_, i) => ({ t: i * 1000, v: Math.sin(i) * Math.PI }));
    const bytes = encodeSamples(samples);
    expect(codecModeOf(bytes)).toBe('xor');
    expectRoundTrip(samples);
  });

  it('round-trips an empty chunk and a single sample', () => {
    expectRoundTrip([]);
    expectRoundTrip([{ t: 0, v: -0 }]);
    expectRoundTrip([{ t: 1, v: 3.25 }]);
  });

  it('throws on a truncated chunk instead of inventing samples', () => {
    const bytes = encodeSamples(Array.from({ length: 100 }, (_, i) => ({ t: i * 60_000, v: i * 1.5 })));
    expect(() => decodeSamples(bytes.subarray(0, bytes.length - 10))).toThrow(/truncated/);
  });
});
