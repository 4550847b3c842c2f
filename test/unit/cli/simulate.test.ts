import { runCli } from '../../../local/cli/main.js';
import { simulateText, simulateTrace } from '../../../local/cli/simulate.js';
import { readTraceFile } from '../../../local/cli/trace-file.js';
import { captureIo } from './capture-io.js';

const ELB = 'data/traces/nab-elb-requests-8c0756.csv';

describe('Command: twinscale simulate', () => {
  it('changes nothing under a surge of factor 1', () => {
    const r = simulateTrace(readTraceFile(ELB), { surge: ['1@+1d/6h'] }, ['target-tracking'], captureIo());
    expect(r.runs[0].whatIf).toEqual(r.runs[0].asItWas);
  });

  it('costs even the oracle its 5-minute warm-up in breach when half the fleet is lost', () => {
    const r = simulateTrace(readTraceFile(ELB), { lose: ['50%@+3d'] }, ['oracle'], captureIo());
    expect(r.runs[0].asItWas.breachMinutes).toBe(0);
    expect(r.runs[0].whatIf.breachMinutes).toBe(5);
  });

  it('makes the reactive policy pay for a doubled demand', () => {
    const r = simulateTrace(readTraceFile(ELB), { surge: ['2@+3d/6h'] }, ['target-tracking'], captureIo());
    const { asItWas, whatIf } = r.runs[0];
    expect(whatIf.instanceHours).toBeGreaterThan(asItWas.instanceHours);
    expect(whatIf.unservedPct).toBeGreaterThan(asItWas.unservedPct);
  });

  it('lets the oracle see the surge it is scored on', () => {
    const r = simulateTrace(readTraceFile(ELB), { surge: ['3@+1d/1d'] }, ['oracle'], captureIo());
    expect(r.runs[0].whatIf.breachMinutes).toBe(0);
  });

  it('prints each score as it was, under the what-if and the change', () => {
    const r = simulateTrace(readTraceFile(ELB), { lose: ['50%@+3d'] }, ['oracle'], captureIo());
    expect(simulateText(r)).toMatch(/^breach min +0 +5 +\+5$/m);
  });

  it('prints only the JSON on stdout with --json', async () => {
    const io = captureIo();
    const code = await runCli(
      [
        'simulate',
        '--trace',
        ELB,
        '--policy',
        'oracle',
        '--scenario',
        '{"failures":[{"atMinute":60,"count":2}]}',
        '--json',
      ],
      io,
    );
    expect(code).toBe(0);
    const json = JSON.parse(io.stdout);
    expect(json.whatIf.failures).toEqual([{ atMinute: 60, count: 2 }]);
    expect(json.runs[0]).toMatchObject({ policy: 'oracle', asItWas: { breachMinutes: 0 } });
  });

  it('refuses an invalid scenario with exit code 2, naming the issue path', async () => {
    const io = captureIo();
    const code = await runCli(
      ['simulate', '--trace', ELB, '--scenario', '{"warmupChanges":[{"atMinute":0,"warmupMinutes":999}]}'],
      io,
    );
    expect(code).toBe(2);
    expect(io.stderr).toBe(
      'twinscale simulate: --scenario: warmupChanges.0.warmupMinutes: Too big: expected number to be <=240\n',
    );
  });
});
