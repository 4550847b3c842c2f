import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bench = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'local/bench/cli.ts', ...args], { encoding: 'utf8' });

describe('Command: npm run bench', () => {
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

  it('measures the twin forecaster on a trace and writes speed-summary.json', () => {
    const out = mkdtempSync(join(tmpdir(), 'speed-'));
    const r = bench('speed', '--only', 'nab-nyc-taxi', '--out', out);
    expect(r.status).toBe(0);
    const { rows } = JSON.parse(readFileSync(join(out, 'speed-summary.json'), 'utf8'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ trace: 'nab-nyc-taxi', horizon: 48 });
    expect(rows[0].fitMs).toBeGreaterThan(rows[0].incrementalMs);
  });
});
