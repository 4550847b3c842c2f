import fc from 'fast-check';
import { decodeSamples, encodeSamples } from '../../layers/core/series/codec.js';
import { readTrace, TraceFormatError } from '../../layers/core/series/read-trace.js';
import { trickyString } from './bad-values.js';

/**
 * Issue 11: the trace reader and the sample codec on hostile input. A trace is read (repaired and
 * counted) or refused with a TraceFormatError naming the line; a chunk decodes exactly what was
 * encoded, and random bytes decode to samples or a RangeError about the chunk: never a TypeError,
 * a hang, or a sample that was not written.
 */

const tried: Record<string, number> = {};
const count = (area: string) => {
  tried[area] = (tried[area] ?? 0) + 1;
};
afterAll(() => {
  const total = Object.values(tried).reduce((a, b) => a + b, 0);
  console.log(`bad series inputs tried: ${total} ${JSON.stringify(tried)}`);
});

/** Reads a trace; a refusal must be a TraceFormatError whose message starts with its line. */
function readOrRefuse(text: string) {
  try {
    return readTrace(text, { negative: 'clamp' });
  } catch (e) {
    if (!(e instanceof TraceFormatError)) throw new Error(`not a TraceFormatError: ${String(e)}`);
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.message).toMatch(/^line \d+: \S/);
    return undefined;
  }
}

/** What a read trace promises: time order without repeats, whole-ms times, finite values ≥ 0. */
function expectUsable(samples: { t: number; v: number }[]) {
  expect(samples.length).toBeGreaterThanOrEqual(2);
  samples.forEach((s, i) => {
    if (!Number.isSafeInteger(s.t) || !Number.isFinite(s.v) || s.v < 0)
      throw new Error(`sample ${i} unusable: ${JSON.stringify(s)}`);
    if (i > 0 && s.t <= samples[i - 1].t) throw new Error(`sample ${i} not after the one before`);
  });
}

const stamp = fc
  .integer({ min: Date.parse('1990-01-01T00:00:00Z'), max: Date.parse('2040-01-01T00:00:00Z') })
  .map((t) => new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000', ''));
const value = fc.oneof(
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom(
    '',
    ' ',
    'NaN',
    'nan',
    'Infinity',
    '-Infinity',
    '1e308',
    '-1e308',
    '1e400',
    '0x1F',
    '1,5',
    '"3"',
    '-0',
  ),
  trickyString,
);
const row = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(stamp, value).map(([t, v]) => `${t},${v}`) },
  { weight: 1, arbitrary: fc.tuple(trickyString, value).map(([t, v]) => `${t},${v}`) },
  { weight: 1, arbitrary: trickyString },
  { weight: 1, arbitrary: fc.constantFrom('', ',', ',,,', 'timestamp,value', '2014-04-10T00:00:00Z') },
);
const header = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'timestamp,value',
      'value,timestamp',
      ' Timestamp , VALUE ,extra',
      '\uFEFFtimestamp,value',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('', 'time,value', 'timestamp', 'value', 'timestamp;value') },
  { weight: 1, arbitrary: trickyString },
);

describe('Property: the trace reader reads or refuses by line, never crashes (issue 11)', () => {
  it('reads any CSV-like text into usable samples, or refuses it naming the line', () => {
    fc.assert(
      fc.property(header, fc.array(row, { maxLength: 40 }), fc.constantFrom('\n', '\r\n'), (h, rows, eol) => {
        count('trace text');
        const read = readOrRefuse([h, ...rows].join(eol));
        if (read) expectUsable(read.samples);
      }),
      { numRuns: 400 },
    );
  });

  it('refuses arbitrary text without a timestamp and value header on line 1', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        count('trace garbage');
        const firstLine = text
          .replace(/^\uFEFF/, '')
          .split(/\r?\n/)[0]
          .toLowerCase();
        const cols = firstLine.split(',').map((c) => c.trim());
        fc.pre(!(cols.includes('timestamp') && cols.includes('value')));
        expect(() => readTrace(text)).toThrow(TraceFormatError);
        expect(() => readTrace(text)).toThrow(/^line 1: header must name the columns timestamp and value/);
      }),
      { numRuns: 300 },
    );
  });

  it('reads rows in any order, and repeated stamps, as the sorted, averaged series', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 2, maxLength: 50 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 50, maxLength: 50 }),
        fc.integer({ min: 0, max: 1000 }),
        (minutes, values, seed) => {
          count('trace order');
          const rows = minutes.map((m, i) => ({ t: Date.UTC(2014, 3, 10) + m * 60_000, v: values[i] }));
          const shuffled = [...rows].sort(
            (a, b) => ((a.t * 7919 + seed) % 101) - ((b.t * 7919 + seed) % 101),
          );
          const text = [
            'timestamp,value',
            ...shuffled.map((r) => `${new Date(r.t).toISOString()},${r.v}`),
          ].join('\n');
          expect(readTrace(text).samples).toEqual([...rows].sort((a, b) => a.t - b.t));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses rows that all share one timestamp: one sample is no series (regression)', () => {
    const text = ['timestamp,value', '1990-01-01T00:00:00Z,0', '1990-01-01T00:00:00Z,0'].join('\n');
    expect(() => readTrace(text)).toThrow(
      /^line 3: fewer than two usable rows \(all 2 share the timestamp 1990/,
    );
  });

  it('averages repeated stamps of huge values without overflowing to Infinity (regression)', () => {
    const text = [
      'timestamp,value',
      '2014-04-10T00:00:00Z,1e308',
      '2014-04-10T00:00:00Z,1.5e308',
      '2014-04-10T00:01:00Z,1',
    ];
    const { samples, repairs } = readTrace(text.join('\n'));
    expect(samples[0].v).toBe(1.25e308);
    expect(repairs.duplicateTimestamps).toBe(1);
  });
});

const sameBits = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe('Property: the sample codec round-trips exactly and refuses garbage (issue 11)', () => {
  it('round-trips any whole-ms times, in any order, with any doubles', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ t: fc.integer({ min: 0, max: 2 ** 45 }), v: fc.double() }), { maxLength: 200 }),
        (samples) => {
          count('codec round trip');
          const back = decodeSamples(encodeSamples(samples));
          expect(back.map((s) => s.t)).toEqual(samples.map((s) => s.t));
          back.forEach((s, i) => {
            if (!sameBits(s.v, samples[i].v))
              throw new Error(`value ${i}: wrote ${samples[i].v}, read ${s.v}`);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  /** Decodes, or throws a RangeError about the chunk; what decodes has the count it claims. */
  function decodeOrRefuse(bytes: Uint8Array) {
    try {
      const samples = decodeSamples(bytes);
      for (const s of samples)
        if (typeof s.t !== 'number' || typeof s.v !== 'number') throw new Error('not a sample');
      return samples;
    } catch (e) {
      if (!(e instanceof RangeError) || !/sample chunk|sample codec mode/.test(e.message))
        throw new Error(`not a clear refusal: ${String(e)}`);
      return undefined;
    }
  }

  it('decodes random bytes to samples or a RangeError naming the chunk, promptly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(1, 2, undefined), (bytes, mode) => {
        count('codec random bytes');
        if (mode !== undefined && bytes.length) bytes[0] = mode;
        const started = performance.now();
        decodeOrRefuse(bytes);
        expect(performance.now() - started).toBeLessThan(1000);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a truncated or bit-flipped chunk with a RangeError, or decodes it to as many samples', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ t: fc.integer({ min: 0, max: 2 ** 42 }), v: fc.double() }), {
          minLength: 1,
          maxLength: 100,
        }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        fc.boolean(),
        (samples, at, bit, truncate) => {
          count('codec damaged chunk');
          const bytes = encodeSamples(samples);
          const i = at % bytes.length;
          const damaged = truncate
            ? bytes.subarray(0, i)
            : bytes.map((b, j) => (j === i ? b ^ (1 << bit) : b));
          decodeOrRefuse(damaged);
        },
      ),
      { numRuns: 400 },
    );
  });
});
