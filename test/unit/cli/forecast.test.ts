import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forecastText, forecastTrace } from '../../../local/cli/forecast.js';
import { runCli } from '../../../local/cli/main.js';
import { readTraceFile } from '../../../local/cli/trace-file.js';
import { captureIo } from './capture-io.js';

// 4032 points, 5 minutes apart, 2014-04-10T00:04Z … 2014-04-24T00:39Z.
const ELB = 'data/traces/nab-elb-requests-8c0756.csv';

describe('Command: twinscale forecast', () => {
  it('forecasts the last day by default, one point per 5-minute step, each beside its actual', () => {
    // Act
    const r = forecastTrace(readTraceFile(ELB), { horizonHours: 24 });

    // Assess
    expect(r.origin).toBe('2014-04-23T00:44:00Z');
    expect(r.points).toHaveLength(288);
    expect(r.points.at(-1)?.t).toBe('2014-04-24T00:39:00Z');
    expect(r.points.every((p) => p.actual !== undefined && p.p10 <= p.p50 && p.p50 <= p.p90)).toBe(true);
    expect(r.coverage).toBeGreaterThan(0);
  });

  it('computes coverage as the share of actuals inside p10–p90', () => {
    const r = forecastTrace(readTraceFile(ELB), { horizonHours: 6 });
    const inside = r.points.filter((p) => p.p10 <= (p.actual ?? -1) && (p.actual ?? -1) <= p.p90).length;
    expect(r.coverage).toBe(inside / r.points.length);
  });

  it('starts at the origin given, rounded up to the next step, without actuals past the end', () => {
    const r = forecastTrace(readTraceFile(ELB), { horizonHours: 1, origin: Date.parse('2014-04-24T00:40Z') });
    expect(r.origin).toBe('2014-04-24T00:44:00Z');
    expect(r.points.some((p) => p.actual !== undefined)).toBe(false);
    expect(r.coverage).toBeNull();
    expect(forecastText(r)).toContain('No actuals after the origin');
  });

  it('reads a trace outside data/traces without a manifest, inferring its step from the timestamps', () => {
    // Prepare: the real trace's first 864 rows (to 2014-04-13T00:04Z), alone in a folder
    const dir = mkdtempSync(join(tmpdir(), 'cli-forecast-'));
    const file = join(dir, 'three-days.csv');
    writeFileSync(
      file,
      readFileSync(ELB, 'utf8')
        .split('\n')
        .slice(0, 1 + 3 * 288)
        .join('\n'),
    );

    // Act
    const r = forecastTrace(readTraceFile(file), { horizonHours: 12 });

    // Assess
    expect(r).toMatchObject({ trace: 'three-days', stepMs: 300_000, origin: '2014-04-12T12:09:00Z' });
    expect(r.points).toHaveLength(144);
    expect(r.points.at(-1)).toMatchObject({ t: '2014-04-13T00:04:00Z', actual: 1 });
  });

  it('prints hourly means of the steps beside the actuals', () => {
    const r = forecastTrace(readTraceFile(ELB), { horizonHours: 2 });
    const text = forecastText(r);
    const first = r.points.slice(0, 12);
    const mean = first.reduce((a, p) => a + (p.actual ?? 0), 0) / 12;
    expect(text).toContain(`2014-04-23 22:44  ${mean.toFixed(1).padStart(12)}`);
    expect(text).toMatch(/Coverage: \d+\.\d % of the steps/);
  });

  it('prints only the JSON on stdout with --json', async () => {
    const io = captureIo();
    const code = await runCli(['forecast', '--trace', ELB, '--horizon', '3', '--json'], io);
    expect(code).toBe(0);
    const json = JSON.parse(io.stdout);
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['trace', 'model', 'origin', 'points']));
    expect(json.points).toHaveLength(36);
    expect(json.points[0]).toEqual({
      t: '2014-04-23T21:44:00Z',
      p10: expect.any(Number),
      p50: expect.any(Number),
      p90: expect.any(Number),
      actual: 68, // data/traces/nab-elb-requests-8c0756.csv line 3998
    });
  });

  it.each([
    [
      ['--origin', '2020-01-01T00:00Z'],
      '--origin: 2020-01-01T00:00:00Z is outside nab-elb-requests-8c0756.csv',
    ],
    [['--origin', 'yesterday'], '--origin: an ISO-8601 time'],
    [['--horizon', 'abc'], '--horizon: hours to forecast, a number above 0; got "abc"'],
    [['--horizon', '-3'], '--horizon: hours to forecast, a number above 0'],
    [['--horizon', '400'], '--horizon: nab-elb-requests-8c0756.csv holds 336.7 h'],
  ])('refuses %j with exit code 2 and one line naming the flag', async (args, message) => {
    const io = captureIo();
    const code = await runCli(['forecast', '--trace', ELB, ...args], io);
    expect(code).toBe(2);
    expect(io.stderr).toContain(`twinscale forecast: ${message}`);
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
    expect(io.stdout).toBe('');
  });

  it('refuses a malformed trace with exit code 2, naming the file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-forecast-'));
    writeFileSync(join(dir, 'bad.csv'), 'when,count\n2014-01-01T00:00:00Z,1\n');
    const io = captureIo();
    const code = await runCli(['forecast', '--trace', join(dir, 'bad.csv')], io);
    expect(code).toBe(2);
    expect(io.stderr).toContain('bad.csv: line 1: header must name the columns timestamp and value');
  });

  it('refuses a missing trace with exit code 2, naming the file', async () => {
    const io = captureIo();
    expect(await runCli(['forecast', '--trace', 'data/traces/nope.csv'], io)).toBe(2);
    expect(io.stderr).toBe(
      'twinscale forecast: data/traces/nope.csv not found: --trace takes a CSV file with timestamp,value columns\n',
    );
  });
});
