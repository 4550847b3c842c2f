import { seededRandom } from '../../../layers/core/seeded-random.js';
import {
  COLDSTART_DEFAULTS,
  chooseDonor,
  coldstartVerdict,
  donorPrior,
  runColdstartTrace,
  summarizeColdstart,
} from '../../../local/bench/coldstart-track.js';
import type { LoadedTrace, ManifestEntry } from '../../../local/bench/trace-set.js';

const STEP = 5 * 60_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-02T00:00:00Z'); // a Monday

const entry = (id: string, over: Partial<ManifestEntry> = {}): ManifestEntry => ({
  id,
  file: `${id}.csv`,
  kind: 'load',
  anomalyWindows: [],
  ...over,
});

/** A load trace with a strong daily wave (lowest at midnight UTC) at `level`, ±5 % noise. */
const trace = (id: string, level: number, days: number, seed: number): LoadedTrace => {
  const random = seededRandom(seed);
  const values = Float64Array.from({ length: (days * 24 * HOUR) / STEP }, (_, i) => {
    const h = ((i * STEP) % (24 * HOUR)) / HOUR;
    return level * (1 + 0.7 * Math.sin((2 * Math.PI * (h - 6)) / 24)) * (1 + 0.1 * (random() - 0.5));
  });
  return {
    entry: entry(id),
    grid: { t0: T0, stepMs: STEP, values },
    stats: {},
    repairs: '',
  } as unknown as LoadedTrace;
};

describe('Bench track: coldstart', () => {
  it('chooses the donor by metric, then source collection, then unit, else the next of its kind; none when alone', () => {
    const all = [
      entry('elb', { metric: 'RequestCount', source: 'NAB, data/aws/elb.csv', unit: 'requests/5min' }),
      entry('taxi', { metric: 'passengers', source: 'NAB, data/known/taxi.csv' }),
      entry('cpu', { kind: 'utilization', metric: 'CPU', source: 'NAB, data/aws/cpu.csv' }),
      entry('tweets-a', { metric: 'tweets', source: 'NAB, data/tweets/a.csv' }),
      entry('tweets-b', { metric: 'tweets', source: 'NAB, data/tweets/b.csv' }),
      entry('net', { metric: 'NetworkIn', source: 'NAB, data/aws/net.csv', unit: 'bytes/5min' }),
    ];
    const pick = (id: string) => {
      const p = chooseDonor(all.find((e) => e.id === id) as ManifestEntry, all);
      return p && `${p.donor.id} (${p.rule})`;
    };
    expect(pick('tweets-a')).toBe('tweets-b (same metric)');
    expect(pick('elb')).toBe('net (same source collection)');
    expect(pick('taxi')).toBe('tweets-a (next of its kind in the manifest)');
    expect(pick('cpu')).toBeUndefined();
  });

  it('scores a young trace better with a donor of the same shape at 2 h, and the same as without from a week on', () => {
    // Prepare: 10 days each, the donor at a tenth of the level
    const target = trace('target', 1000, 10, 1);
    const donor = trace('donor', 100, 10, 2);
    const prior = donorPrior(donor, 14);
    if (!prior) throw new Error('the donor gives a prior');
    const settings = { ...COLDSTART_DEFAULTS, cutsHours: [2, 168], birthsPerBase: 6, maxBases: 1 };
    // Act
    const run = runColdstartTrace(target, { id: 'donor', rule: 'test', prior }, settings);
    // Assess
    const [young, old] = run.cuts;
    expect([young.origins, old.origins]).toEqual([6, 6]);
    expect(young.relMAE.prior ?? 9).toBeLessThan(0.9 * (young.relMAE.none ?? 0));
    expect(old.relMAE.prior).toBe(old.relMAE.none);
    expect(old.priorWeight).toBe(0);
    const rows = summarizeColdstart([run], settings);
    expect(coldstartVerdict(rows).line).toMatch(/^prior helps at 2, 6, 24 h; never hurts after: met \(/);
  });
});
