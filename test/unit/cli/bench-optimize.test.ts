import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criterion, verdict } from '../../../local/bench/optimize-track.js';

// What `npm run bench -- optimize …` runs, through the bin launcher.
const bench = (...args: string[]) =>
  spawnSync(process.execPath, ['local/cli/twinscale.mjs', 'bench', 'optimize', ...args], {
    encoding: 'utf8',
  });

describe('Command: twinscale bench optimize', () => {
  it('searches a trace’s train window and scores the default and the winner on the last 3 days', () => {
    const out = mkdtempSync(join(tmpdir(), 'optimize-'));
    const r = bench('--only', 'nab-nyc-taxi', '--population', '6', '--generations', '2', '--out', out);
    expect(r.status).toBe(0);
    const { search, runs } = JSON.parse(readFileSync(join(out, 'optimize-summary.json'), 'utf8'));
    expect(search).toEqual({ seed: 1, population: 6, generations: 2 });
    expect(runs).toHaveLength(1);
    const run = runs[0];
    expect(run).toMatchObject({
      trace: 'nab-nyc-taxi',
      windows: { trainDays: 7, validationDays: 3, to: '2015-02-01T00:00:00Z' },
      default: {
        settings: {
          quantile: 0.9,
          targetUtilization: 0.6,
          headroom: 0,
          stabilizationMinutes: 15,
          maxStep: 10,
        },
      },
      breachBudgetMinutes: expect.any(Number),
      verdict: expect.any(String),
      criterion: expect.stringMatching(/^(lower cost|fewer breaches|both|neither)$/),
    });
    expect(run.optimized.train.breachMinutes).toBeLessThanOrEqual(run.breachBudgetMinutes);
    expect(run.optimized.train.instanceHours).toBeLessThanOrEqual(run.default.train.instanceHours);
    expect(readFileSync(join(out, 'optimize-summary.md'), 'utf8')).toContain('| nab-nyc-taxi | 7 |');
    expect(readFileSync(join(out, 'optimize-summary.md'), 'utf8')).toMatch(/Met on [01] of 1 traces/);
  });

  it('exits 2 naming the trace when it is too short for a week of history, a train day and 3 validation days', () => {
    const dir = mkdtempSync(join(tmpdir(), 'traces-'));
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify([{ id: 'short', file: 'short.csv', kind: 'load' }]),
    );
    const rows = Array.from(
      { length: 10 * 288 },
      (_, i) => `${new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString()},${100 + (i % 288)}`,
    );
    writeFileSync(join(dir, 'short.csv'), `timestamp,value\n${rows.join('\n')}\n`);
    const r = bench('--traces', dir, '--out', join(dir, 'out'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('short.csv (trace short): 10.0 days, too short for 7 days of history');
  });
});

describe('Function: verdict', () => {
  const at = (instanceHours: number, breachMinutes: number) => ({
    instanceHours,
    breachMinutes,
    unservedPct: 0,
    costVsOracle: 1,
  });

  it('names the way the optimized policy wins, comparing whole instance-minutes', () => {
    expect(verdict(at(100, 10), at(90, 10))).toBe('lower cost at no more breach minutes');
    expect(verdict(at(100, 10), at(100 + 1e-12, 4))).toBe('fewer breaches at no more cost');
    expect(verdict(at(100, 10), at(90, 4))).toBe('lower cost and fewer breaches');
    expect(verdict(at(100, 10), at(100, 10))).toBe('the same');
  });

  it('says so when it wins neither way', () => {
    expect(verdict(at(100, 10), at(90, 12))).toBe('neither: -10.0 % cost, +2 breach minutes');
    expect(verdict(at(100, 10), at(110, 4))).toBe('neither: +10.0 % cost, -6 breach minutes');
  });
});

describe('Function: criterion', () => {
  const at = (instanceHours: number, breachMinutes: number) => ({
    instanceHours,
    breachMinutes,
    unservedPct: 0,
    costVsOracle: 1,
  });

  it('names which of the two criteria held, both when it is cheaper and breaches less', () => {
    expect(criterion(at(100, 10), at(90, 10))).toBe('lower cost');
    expect(criterion(at(100, 10), at(100 + 1e-12, 4))).toBe('fewer breaches');
    expect(criterion(at(100, 10), at(90, 4))).toBe('both');
  });

  it('says neither when it is the same, or wins one way at a price the other', () => {
    expect(criterion(at(100, 10), at(100, 10))).toBe('neither');
    expect(criterion(at(100, 10), at(90, 12))).toBe('neither');
    expect(criterion(at(100, 10), at(110, 4))).toBe('neither');
  });
});
