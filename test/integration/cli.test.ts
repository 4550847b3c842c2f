import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The bin launcher as `npx twinscale` runs it: node registers tsx, then runs the TypeScript CLI.
const twinscale = (...args: string[]) =>
  spawnSync(process.execPath, ['local/cli/twinscale.mjs', ...args], { encoding: 'utf8' });

const ELB = 'data/traces/nab-elb-requests-8c0756.csv';
const STACK_FRAME = /\n\s+at /;

describe('Command line: twinscale (spawned)', () => {
  it('forecasts a trace with --json: exit 0, stdout holds only the JSON', () => {
    const r = twinscale('forecast', '--trace', ELB, '--horizon', '6', '--json');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ trace: 'nab-elb-requests-8c0756', origin: '2014-04-23T18:44:00Z' });
    expect(json.points).toHaveLength(72);
  });

  it('replays every policy with --policy all, the twin policy among them', () => {
    const r = twinscale('replay', '--trace', ELB, '--policy', 'all', '--json');
    expect(r.status).toBe(0);
    const { runs } = JSON.parse(r.stdout);
    expect(runs.map((x: { policy: string }) => x.policy)).toEqual([
      'twin',
      'target-tracking',
      'predictive-hourly',
      'oracle',
    ]);
    expect(runs[0].breachMinutes).toBeLessThan(runs[1].breachMinutes); // the twin beats the reactive rule here
    expect(r.stderr).toContain('replay nab-elb-requests-8c0756 twin: minutes 10120/10120'); // progress on stderr
  });

  it('ends a malformed trace with exit code 2 and one line naming the file and line, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    writeFileSync(join(dir, 'bad.csv'), 'timestamp,value\nyesterday,1\n');
    const r = twinscale('simulate', '--trace', join(dir, 'bad.csv'), '--surge', '2@+1h/1h');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^twinscale simulate: .*bad\.csv: line 3: fewer than two usable rows .*line 2: "yesterday"/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('ends an unknown flag with exit code 2', () => {
    const r = twinscale('forecast', '--trace', ELB, '--horizon-hours', '3');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--horizon-hours'");
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });
});
