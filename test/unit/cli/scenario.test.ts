import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildScenario, buildWhatIf } from '../../../local/cli/scenario.js';

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
    [
      { scenario: 'missing.json' },
      '--scenario: missing.json is neither a file (YAML or JSON) nor inline JSON',
    ],
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
    [
      {},
      'no what-if given: add --scenario SPEC, --surge, --ramp, --flash-crowd, --lose, --warmup or --outage',
    ],
    [{ flashCrowd: ['4@+1h/-5m'] }, '--flash-crowd 4@+1h/-5m: "-5m" is not a duration'],
    [{ flashCrowd: ['0.5@+1h'] }, '--flash-crowd 0.5@+1h: peak: Too small: expected number to be >=1'],
    [{ flashCrowd: ['4'] }, '--flash-crowd 4: write PEAK@TIME[/RISE[/DECAY]]'],
    [{ outage: ['+1h'] }, '--outage +1h: write TIME/DURATION'],
    [{ outage: ['+8d/1h'] }, '--outage +8d/1h: minute 11520 is after the replayed window'],
    [{ scenario: '{"days":1,"whatIf":{}}' }, "--scenario: days is a twin's (POST /twins/{id}/scenarios)"],
    [
      { scenario: '{"whatIf":{"metricOutages":[{"fromMinute":99999,"toMinute":100000}]}}' },
      '--scenario whatIf metricOutages.0: minute 99999 is after',
    ],
  ])('refuses %j naming what to fix', (spec, message) => {
    expect(() => buildWhatIf(spec, window)).toThrow(expect.objectContaining({ name: 'CliUsageError' }));
    expect(() => buildWhatIf(spec, window)).toThrow(message);
  });
});

/** A file in a fresh temporary folder. */
function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'scenario-')), name);
  writeFileSync(path, text);
  return path;
}

describe('Function: buildScenario', () => {
  it('reads a flash crowd and a metric outage from the shorthand flags', () => {
    const { whatIf } = buildScenario({ flashCrowd: ['4@+1d/2m/30m', '2@+2d'], outage: ['+1d/45m'] }, window);
    expect(whatIf.demand).toEqual([
      {
        kind: 'flash-crowd',
        atMinute: 1440,
        peak: 4,
        riseMinutes: 2,
        decayMinutes: 30,
        decay: 'exponential',
      },
      {
        kind: 'flash-crowd',
        atMinute: 2880,
        peak: 2,
        riseMinutes: 5,
        decayMinutes: 60,
        decay: 'exponential',
      },
    ]);
    expect(whatIf.metricOutages).toEqual([{ fromMinute: 1440, toMinute: 1485 }]);
  });

  it('reads a YAML file: a twin scenario document with its SLO', () => {
    const path = file(
      's.yaml',
      [
        'whatIf:',
        '  demand:',
        '    - { kind: flash-crowd, atMinute: 60, peak: 3, decay: linear }',
        'slo:',
        '  maxBreachMinutes: 5',
        '',
      ].join('\n'),
    );
    expect(buildScenario({ scenario: path }, window)).toEqual({
      whatIf: {
        failures: [],
        demand: [
          { kind: 'flash-crowd', atMinute: 60, peak: 3, riseMinutes: 5, decayMinutes: 60, decay: 'linear' },
        ],
        warmupChanges: [],
        metricOutages: [],
      },
      slo: { maxBreachMinutes: 5 },
    });
  });

  it('reads a bare what-if from a .yml file', () => {
    const path = file('w.yml', 'failures:\n  - kind: zone-loss\n    atMinute: 30\n    fraction: 0.5\n');
    expect(buildWhatIf({ scenario: path }, window).failures).toEqual([
      { kind: 'zone-loss', atMinute: 30, fraction: 0.5 },
    ]);
  });

  it('names the line and column of a YAML syntax error', () => {
    const path = file('bad.yaml', 'whatIf:\n  demand:\n    - kind: surge\n     factor: 2\n');
    expect(() => buildScenario({ scenario: path }, window)).toThrow(
      new RegExp(`^--scenario ${path}: not valid YAML at line 4, column 1: `),
    );
  });

  it('names the line of each bad field in a YAML file', () => {
    const path = file(
      'fields.yaml',
      [
        'whatIf:',
        '  metricOutages:',
        '    - fromMinute: 10',
        '      toMinute: 5',
        '  demand:',
        '    - { kind: surge, fromMinute: 1, toMinute: 2, facter: 2 }',
        '',
      ].join('\n'),
    );
    expect(() => buildScenario({ scenario: path }, window)).toThrow(
      `--scenario ${path}: line 6: whatIf.demand.0.factor: Invalid input: expected number, received undefined; line 6: whatIf.demand.0.facter: unknown field: remove it or check its spelling; line 4: whatIf.metricOutages.0.toMinute: toMinute must be after fromMinute`,
    );
  });
});
