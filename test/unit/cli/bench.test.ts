import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// What `npm run bench -- …` runs, through the bin launcher.
const bench = (...args: string[]) =>
  spawnSync(process.execPath, ['local/cli/twinscale.mjs', 'bench', ...args], { encoding: 'utf8' });

describe('Command: twinscale bench', () => {
  it('exits non-zero with a message naming the folder when the manifest is missing', () => {
    const r = bench('forecast', '--traces', '/nonexistent-traces');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('/nonexistent-traces/manifest.json not found');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits non-zero naming the file and line of a malformed trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'traces-'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ id: 'bad', file: 'bad.csv', kind: 'load' }]));
    writeFileSync(join(dir, 'bad.csv'), 'when,count\n2014-01-01T00:00:00Z,1\n');
    const r = bench('forecast', '--traces', dir, '--out', join(dir, 'out'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('bad.csv: line 1: header must name the columns timestamp and value');
  });

  it('refuses an unknown method, listing the known ones', () => {
    const r = bench('forecast', '--method', 'prophet', '--only', 'nab-elb-requests-8c0756');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown --method prophet; choose one of twin, seasonal-naive');
  });

  it('appends a day of samples per twin and metric into dynalite, every sample counted once', () => {
    const out = mkdtempSync(join(tmpdir(), 'store-'));
    const r = bench('store', '--twins', '5', '--out', out);
    expect(r.status).toBe(0);
    const row = JSON.parse(readFileSync(join(out, 'store-summary.json'), 'utf8'));
    expect(row).toMatchObject({ twins: 5, metrics: 3, samples: 5 * 3 * 1440, chunks: 15 });
    expect(row.dataBytesPerSample).toBeGreaterThan(0.1);
    expect(row.dataBytesPerSample).toBeLessThan(8);
    expect(bench('store', '--twins', 'many').stderr).toContain('--twins: a whole number');
  });

  it('runs the forecast-and-plan state machine over a few twins, two cycles, every twin decided', () => {
    const out = mkdtempSync(join(tmpdir(), 'loop-'));
    const r = bench('loop', '--twins', '4', '--days', '2', '--out', out);
    expect(r.status).toBe(0);
    const { cycles } = JSON.parse(readFileSync(join(out, 'loop-summary.json'), 'utf8'));
    expect(cycles).toHaveLength(2);
    for (const c of cycles) expect(c).toMatchObject({ twins: 4, failed: 0 });
    expect(cycles[0].scaled).toBeGreaterThan(0);
    expect(bench('loop', '--days', '0').stderr).toContain('--days: a whole number ≥ 1');
  });

  it('measures the twin forecaster on a trace and writes speed-summary.json', () => {
    const out = mkdtempSync(join(tmpdir(), 'speed-'));
    const r = bench('speed', '--only', 'nab-nyc-taxi', '--out', out);
    expect(r.status).toBe(0);
    const { rows } = JSON.parse(readFileSync(join(out, 'speed-summary.json'), 'utf8'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ trace: 'nab-nyc-taxi', horizon: 48 });
    expect(rows[0].fitMs).toBeGreaterThan(rows[0].incrementalMs);
  });

  it('replays a load trace per policy and writes one decision per scored minute', () => {
    const dir = mkdtempSync(join(tmpdir(), 'traces-'));
    const rows = ['timestamp,value'];
    for (let i = 0; i < 2 * 288; i++) {
      const t = new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString();
      rows.push(`${t},${100 + 50 * Math.sin((2 * Math.PI * i) / 288)}`);
    }
    writeFileSync(join(dir, 'load.csv'), `${rows.join('\n')}\n`);
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify([
        { id: 'load', file: 'load.csv', kind: 'load' },
        { id: 'cpu', file: 'load.csv', kind: 'utilization' },
      ]),
    );
    const out = join(dir, 'out');
    const r = bench('scaling', '--traces', dir, '--out', out, '--policy', 'target-tracking');
    expect(r.status).toBe(0);
    const decisions = readFileSync(join(out, 'load.target-tracking.decisions.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(decisions[0]).toBe('timestamp,desired');
    expect(decisions).toHaveLength(1 + 24 * 60); // a 2-day trace scores its second day
    expect(decisions[1]).toMatch(/^2024-01-02T00:00:00Z,\d+$/);
    const { runs } = JSON.parse(readFileSync(join(out, 'scaling-summary.json'), 'utf8'));
    expect(runs.map((x: { trace: string }) => x.trace)).toEqual(['load']); // utilization traces are not replayed
  });

  it('refuses an unknown track, listing the tracks', () => {
    const r = bench('latency');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Allowed choices are forecast, scaling, capacity, codec, speed, store, loop');
  });

  it('refuses an unknown policy, listing the known ones', () => {
    const r = bench('scaling', '--policy', 'magic', '--only', 'wc98-requests-dev');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      'unknown --policy magic; choose one of twin, target-tracking, predictive-hourly, oracle',
    );
  });
});
