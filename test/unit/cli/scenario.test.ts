import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWhatIf } from '../../../local/cli/scenario.js';

// The replayed window of data/traces/nab-elb-requests-8c0756.csv.
const window = { startMs: Date.parse('2014-04-17T00:04:00Z'), minutes: 10_120 };

describe('Function: buildWhatIf', () => {
  it('turns a surge time and duration into minutes from the window start', () => {
    const w = buildWhatIf({ surge: ['1.5@2014-04-17T12:04Z/2h'] }, window);
    expect(w.demand).toEqual([{ kind: 'surge', fromMinute: 720, toMinute: 840, factor: 1.5 }]);
  });

  it('reads +offsets, counts and percentages', () => {
    const w = buildWhatIf({ lose: ['3@+1d', '25%@+90m'], ramp: ['2@+0/6h'], warmup: ['10@+1.5d'] }, window);
    expect(w.failures).toEqual([
      { atMinute: 1440, count: 3 },
      { atMinute: 90, fraction: 0.25 },
    ]);
    expect(w.demand).toEqual([{ kind: 'ramp', fromMinute: 0, toMinute: 360, toFactor: 2 }]);
    expect(w.warmupChanges).toEqual([{ atMinute: 2160, warmupMinutes: 10 }]);
  });

  it('adds the shorthand flags to an inline JSON what-if', () => {
    const w = buildWhatIf(
      { scenario: '{"failures":[{"atMinute":5,"count":1}]}', surge: ['2@+10m/10m'] },
      window,
    );
    expect(w.failures).toEqual([{ atMinute: 5, count: 1 }]);
    expect(w.demand).toEqual([{ kind: 'surge', fromMinute: 10, toMinute: 20, factor: 2 }]);
  });

  it('reads a what-if from a JSON file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'what-if-')), 'w.json');
    writeFileSync(file, JSON.stringify({ warmupChanges: [{ atMinute: 0, warmupMinutes: 15 }] }));
    expect(buildWhatIf({ scenario: file }, window).warmupChanges).toEqual([
      { atMinute: 0, warmupMinutes: 15 },
    ]);
  });

  it.each([
    [
      { scenario: '{"demand":[{"kind":"surge","fromMinute":10,"toMinute":5,"factor":-1}]}' },
      '--scenario: demand.0.factor: Too small: expected number to be >=0; demand.0.toMinute: toMinute must be after fromMinute',
    ],
    [
      { scenario: '{"failures":[{"atMinute":1}]}' },
      '--scenario: failures.0.count: give exactly one of count or fraction',
    ],
    [{ scenario: '{oops' }, '--scenario: not valid JSON'],
    [{ scenario: 'missing.json' }, '--scenario: missing.json is neither a JSON file nor inline JSON'],
    [{ surge: ['2000@+1h/1h'] }, '--surge 2000@+1h/1h: factor: Too big: expected number to be <=1000'],
    [{ surge: ['2@+1h'] }, '--surge 2@+1h: write FACTOR@TIME/DURATION'],
    [{ lose: ['150%@+1h'] }, '--lose 150%@+1h: fraction: Too big'],
    [
      { surge: ['2@2014-04-01T00:00Z/1h'] },
      'is before the replayed window, which starts 2014-04-17T00:04:00Z',
    ],
    [{ lose: ['1@+8d'] }, '--lose 1@+8d: minute 11520 is after the replayed window (minutes 0 … 10119'],
    [
      { scenario: '{"failures":[{"atMinute":99999,"count":1}]}' },
      '--scenario failures.0: minute 99999 is after',
    ],
    [{}, 'no what-if given: add --scenario SPEC, --surge, --ramp, --lose or --warmup'],
  ])('refuses %j naming what to fix', (spec, message) => {
    expect(() => buildWhatIf(spec, window)).toThrow(expect.objectContaining({ name: 'CliUsageError' }));
    expect(() => buildWhatIf(spec, window)).toThrow(message);
  });
});
