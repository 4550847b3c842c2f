import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDriftDetector, scoreDrift, summarizeDrift } from '../../../local/bench/drift-track.js';
import { loadTrace, readManifest } from '../../../local/bench/trace-set.js';

const STEP = 300_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

/** Five days of a 5-minute daily cycle with a small wobble; from day 4 noon the level jumps by 60 %. */
function writeSet(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drift-set-'));
  const rows = ['timestamp,value'];
  const shift = T0 + 3.5 * 86_400_000;
  for (let i = 0; i < 5 * 288; i++) {
    const t = T0 + i * STEP;
    const base = 100 + 40 * Math.sin((2 * Math.PI * i) / 288) + 3 * Math.sin(i * 1.7);
    rows.push(`${iso(t)},${(t >= shift ? base * 1.6 : base).toFixed(3)}`);
  }
  writeFileSync(join(dir, 'shift.csv'), `${rows.join('\n')}\n`);
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify([
      {
        id: 'shift',
        file: 'shift.csv',
        kind: 'load',
        anomalyWindows: [[iso(shift - 3_600_000), iso(shift + 6 * 3_600_000)]],
      },
    ]),
  );
  return dir;
}

describe('Bench: drift track', () => {
  it('scores flags as the referee does: inside a window a hit with its delay, outside a false alarm', () => {
    // Prepare: a 2-day trace of 5-minute slots, one window
    const trace = {
      entry: { anomalyWindows: [['2024-01-01T10:00:00Z', '2024-01-01T12:00:00Z']] },
      grid: { t0: T0, stepMs: STEP, values: new Float64Array(576) },
    } as unknown as Parameters<typeof scoreDrift>[0];
    const flags = [
      '2024-01-01T10:30:00Z',
      '2024-01-01T11:00:00Z',
      '2024-01-01T12:05:00Z',
      '2024-01-03T00:00:00Z',
    ];
    // Act
    const s = scoreDrift(trace, flags.map(Date.parse));
    // Assess: the last flag is past the trace's end and ignored
    expect(s).toMatchObject({ windows: 1, hits: 1, recall: 1, flags: 3, falseAlarms: 1, days: 2 });
    expect(s.falseAlarmsPerDay).toBe(0.5);
    expect(s.medianDelayMin).toBe(30);
  });

  it('finds the level shift of a synthetic trace with both detectors and writes flags the referee reads', () => {
    // Prepare
    const dir = writeSet();
    const out = mkdtempSync(join(tmpdir(), 'drift-out-'));
    const trace = loadTrace(dir, readManifest(dir)[0]);
    // Act
    const runs = [runDriftDetector(trace, 'twin', out), runDriftDetector(trace, 'three-sigma', out)];
    // Assess
    expect(runs[0]).toMatchObject({ windows: 1, hits: 1, recall: 1 });
    expect(runs[0].medianDelayMin).toBeLessThanOrEqual(90);
    const csv = readFileSync(join(out, 'shift.twin.flags.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('timestamp');
    expect(csv).toHaveLength(runs[0].flags + 1);
    expect(summarizeDrift(runs).map((s) => s.detector)).toEqual(['twin', 'three-sigma']);
  });
});
