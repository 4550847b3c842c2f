import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../local/cli/main.js';
import { replayText, replayTrace } from '../../../local/cli/replay.js';
import { simulateText, simulateTrace } from '../../../local/cli/simulate.js';
import { readTraceFile } from '../../../local/cli/trace-file.js';
import { captureIo } from './capture-io.js';

const ELB = 'data/traces/nab-elb-requests-8c0756.csv';

describe('Command: twinscale simulate, with the scenario language', () => {
  it('holds each policy to the SLO under the what-if', () => {
    // Act: half the fleet lost on day 3 costs even the oracle its 5-minute warm-up
    const strict = simulateTrace(readTraceFile(ELB), { lose: ['50%@+3d'] }, ['oracle'], captureIo());
    const path = join(mkdtempSync(join(tmpdir(), 'slo-')), 's.yaml');
    writeFileSync(
      path,
      'whatIf:\n  failures:\n    - { kind: zone-loss, atMinute: 4320, fraction: 0.5 }\nslo:\n  maxBreachMinutes: 4\n',
    );
    const tight = simulateTrace(readTraceFile(ELB), { scenario: path }, ['oracle'], captureIo());

    // Assess: 1 % of 10,120 minutes is 101; 5 breach minutes fit in it, not in 4
    expect(strict.slo).toEqual({ budgetMinutes: 101 });
    expect(strict.runs[0]).toMatchObject({ whatIf: { breachMinutes: 5 }, holds: true });
    expect(tight.slo).toEqual({ maxBreachMinutes: 4, budgetMinutes: 4 });
    expect(tight.runs[0].holds).toBe(false);
    expect(simulateText(tight)).toContain('SLO: at most 4 breach minutes under the what-if: does not hold');
  });

  it('makes a reactive policy pay for a flash crowd it cannot see coming during a metric outage', () => {
    const seeing = simulateTrace(
      readTraceFile(ELB),
      { flashCrowd: ['6@+3d/1m/2h'] },
      ['target-tracking'],
      captureIo(),
    );
    const blind = simulateTrace(
      readTraceFile(ELB),
      { flashCrowd: ['6@+3d/1m/2h'], outage: ['+3d/30m'] },
      ['target-tracking'],
      captureIo(),
    );
    expect(blind.runs[0].whatIf.unservedPct).toBeGreaterThan(seeing.runs[0].whatIf.unservedPct);
  });

  it('refuses a YAML scenario with a syntax error, with exit code 2 and the line', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bad-')), 'bad.yaml');
    writeFileSync(path, 'whatIf:\n  failures: [\n');
    const io = captureIo();
    const code = await runCli(['simulate', '--trace', ELB, '--scenario', path], io);
    expect(code).toBe(2);
    expect(io.stderr).toMatch(
      new RegExp(`^twinscale simulate: --scenario ${path}: not valid YAML at line 3, column 1: `),
    );
  });
});

describe('Command: twinscale replay, with a scenario', () => {
  it('replays under the scenario only, and says whether each policy holds the SLO', () => {
    // Act
    const r = replayTrace(readTraceFile(ELB), ['oracle'], captureIo(), { lose: ['50%@+3d'] });

    // Assess
    expect(r.whatIf?.failures).toEqual([{ atMinute: 4320, fraction: 0.5 }]);
    expect(r.runs[0]).toMatchObject({ policy: 'oracle', breachMinutes: 5, holds: true });
    expect(replayText(r)).toMatch(/^oracle +5 .* holds$/m);
  });

  it('prints the scenario and the verdict in its JSON', async () => {
    const io = captureIo();
    const code = await runCli(
      [
        'replay',
        '--trace',
        ELB,
        '--policy',
        'oracle',
        '--outage',
        '+1d/1h',
        '--scenario',
        '{"slo":{"maxBreachMinutes":0}}',
        '--json',
      ],
      io,
    );
    expect(code).toBe(0);
    const json = JSON.parse(io.stdout);
    expect(json.whatIf.metricOutages).toEqual([{ fromMinute: 1440, toMinute: 1500 }]);
    expect(json.slo).toEqual({ maxBreachMinutes: 0, budgetMinutes: 0 });
    expect(json.runs[0]).toMatchObject({ policy: 'oracle', holds: true });
  });
});
