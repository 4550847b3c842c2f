import { readFileSync } from 'node:fs';
import { describeRepairs, readTrace, TraceFormatError } from '../../../layers/core/series/read-trace.js';

const T = (min: number) => new Date(Date.UTC(2014, 3, 10) + min * 60_000).toISOString().replace('.000Z', 'Z');

describe('Function: readTrace', () => {
  it('reads a real NAB trace with nothing to repair', () => {
    const { samples, repairs } = readTrace(readFileSync('data/traces/nab-elb-requests-8c0756.csv', 'utf8'));
    expect(samples).toHaveLength(4032);
    expect(describeRepairs(repairs)).toBe('');
    expect(samples[0]).toEqual({ t: Date.parse('2014-04-10T00:04:00Z'), v: 94 });
  });

  it('refuses a header without timestamp and value, naming line 1', () => {
    expect(() => readTrace('time,count\n2014-04-10T00:00:00Z,1\n')).toThrow(TraceFormatError);
    expect(() => readTrace('time,count\n')).toThrow(
      /line 1: header must name the columns timestamp and value/,
    );
  });

  it('refuses a file with fewer than two usable rows, naming the first bad timestamp', () => {
    expect(() => readTrace('timestamp,value\nyesterday,1\n10/04/2014,2\n')).toThrow(
      /fewer than two usable rows .*first bad one line 2: "yesterday"/,
    );
  });

  it('averages duplicate timestamps and sorts unsorted rows, counting both', () => {
    const csv = ['timestamp,value', `${T(10)},4`, `${T(0)},1`, `${T(5)},2`, `${T(5)},4`].join('\n');
    const { samples, repairs } = readTrace(csv);
    expect(samples.map((s) => s.v)).toEqual([1, 3, 4]);
    expect(repairs.unsortedRows).toBe(3); // each row earlier than the latest seen
    expect(repairs.duplicateTimestamps).toBe(1);
  });

  it('drops empty, NaN and infinite values and unparsable timestamps, counting each', () => {
    const csv = [
      'timestamp,value',
      `${T(0)},1`,
      `${T(1)},`,
      `${T(2)},NaN`,
      `${T(3)},Infinity`,
      'garbage,7',
      `${T(4)},5`,
      '',
    ].join('\n');
    const { samples, repairs } = readTrace(csv);
    expect(samples.map((s) => s.v)).toEqual([1, 5]);
    expect(repairs).toMatchObject({ emptyValues: 2, nonFiniteValues: 1, badTimestamps: 1, blankLines: 0 });
    expect(describeRepairs(repairs)).toBe('2 empty values, 1 non finite values, 1 bad timestamps');
  });

  it('keeps negative values by default and clamps them to zero on request', () => {
    const csv = ['timestamp,value', `${T(0)},-2`, `${T(1)},3`].join('\n');
    expect(readTrace(csv).samples[0].v).toBe(-2);
    const clamped = readTrace(csv, { negative: 'clamp' });
    expect(clamped.samples[0].v).toBe(0);
    expect(clamped.repairs.negativeValues).toBe(1);
  });

  it('reads extra columns in any order and stamps without a zone as UTC', () => {
    const { samples } = readTrace(
      'host,value,timestamp\na,1,2014-04-10 00:00:00\nb,2,2014-04-10T00:05:00+00:00\n',
    );
    expect(samples).toEqual([
      { t: Date.parse('2014-04-10T00:00:00Z'), v: 1 },
      { t: Date.parse('2014-04-10T00:05:00Z'), v: 2 },
    ]);
  });
});
