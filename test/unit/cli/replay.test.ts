import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScalingPolicy } from '../../../local/bench/scaling-track.js';
import { buildProgram, runCli } from '../../../local/cli/main.js';
import { replayText, replayTrace } from '../../../local/cli/replay.js';
import { readTraceFile } from '../../../local/cli/trace-file.js';
import { captureIo } from './capture-io.js';

const ELB = 'data/traces/nab-elb-requests-8c0756.csv';
const silent = { tick() {}, done() {} };

describe('Command: twinscale replay', () => {
  it('scores a policy exactly as the bench scaling track does', async () => {
    // Prepare
    const trace = readTraceFile(ELB);
    const bench = await runScalingPolicy(
      trace,
      'target-tracking',
      mkdtempSync(join(tmpdir(), 'cli-')),
      silent,
    );

    // Act
    const r = replayTrace(trace, ['target-tracking'], captureIo());

    // Assess
    const { trace: _t, policy: _p, k, file: _f, seconds: _s, ...scores } = bench;
    expect(r.runs).toEqual([{ policy: 'target-tracking', ...scores }]);
    expect(r.capacityPerInstance).toBe(k);
  });

  it('replays the scored window: the second week of a two-week trace', () => {
    const r = replayTrace(readTraceFile(ELB), ['oracle'], captureIo());
    // 2014-04-10T00:04Z + 7 days; the last 5-minute step ends at 00:44.
    expect(r.window).toEqual({ start: '2014-04-17T00:04:00Z', end: '2014-04-24T00:44:00Z', minutes: 10_120 });
    expect(r.runs[0]).toMatchObject({ policy: 'oracle', breachMinutes: 0, minutes: 10_120 });
  });

  // The twin policy replays ten times slower under jest's VM than under node: it runs in test/integration/cli.test.ts.
  it('prints only the JSON on stdout with --json', async () => {
    const io = captureIo();
    expect(await runCli(['replay', '--trace', ELB, '--policy', 'predictive-hourly', '--json'], io)).toBe(0);
    const json = JSON.parse(io.stdout);
    expect(json.runs.map((r: { policy: string }) => r.policy)).toEqual(['predictive-hourly']);
    expect(json.runs[0]).toMatchObject({
      breachMinutes: expect.any(Number),
      instanceHours: expect.any(Number),
    });
  });

  it('replays the twin policy unless told otherwise', () => {
    const replay = buildProgram(captureIo(), () => {}).commands.find((c) => c.name() === 'replay');
    expect(replay?.options.find((o) => o.long === '--policy')?.defaultValue).toBe('twin');
  });

  it('refuses an unknown policy with exit code 2, naming the allowed ones', async () => {
    const io = captureIo();
    expect(await runCli(['replay', '--trace', ELB, '--policy', 'magic'], io)).toBe(2);
    expect(io.stderr).toContain(
      "argument 'magic' is invalid. Allowed choices are twin, target-tracking, predictive-hourly, oracle, all.",
    );
  });

  it('refuses a trace its manifest calls utilization', async () => {
    const io = captureIo();
    expect(await runCli(['replay', '--trace', 'data/traces/nab-ec2-cpu-24ae8d.csv'], io)).toBe(2);
    expect(io.stderr).toContain('is a utilization trace in its manifest: replay takes a load trace');
  });

  it('formats the scores it was given', () => {
    const r = replayTrace(readTraceFile(ELB), ['oracle'], captureIo());
    expect(replayText(r)).toMatch(/^oracle +0 +0\.00 +0\.000 /m);
  });
});
