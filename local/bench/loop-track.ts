import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { createTwinTable } from '../../layers/aws/dynamo/table.js';
import { inParallel } from '../../layers/core/in-parallel.js';
import { DAY_MS, MINUTE_MS } from '../../layers/core/series/grid.js';
import { startEmbeddedDynamo } from '../dynamo/embedded-dynamo.js';
import { requestCountTwin } from '../fixtures/twins.js';
import { SimulatedTargets } from '../targets/simulated-targets.js';
import { LocalStateMachine } from '../workflows/local-state-machine.js';
import { localLoopTasks } from '../workflows/loop-tasks.js';
import type { Progress } from './progress.js';

export interface LoopTrackOptions {
  twins: number;
  days: number;
}

interface CycleResult {
  seconds: number;
  twinsPerSecond: number;
  twins: number;
  failed: number;
  scaled: number;
}

const TABLE = 'twins-loop-bench';
const SCHEDULE_MINUTES = 5;

/** A day-shaped wave per twin (its own level, phase and noise), one sample a minute, deterministic. */
function requestsOf(twin: number, end: number, days: number) {
  const level = 200 + ((twin * 7919) % 1800);
  const phase = ((twin * 104729) % 1440) / 1440;
  let seed = twin + 1;
  const noise = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647 - 0.5;
  };
  const n = days * 1440;
  return Array.from({ length: n }, (_, i) => {
    const t = end - (n - i) * MINUTE_MS;
    const wave = 1 + 0.6 * Math.sin(2 * Math.PI * (t / DAY_MS + phase));
    return { t, v: Math.max(0, Math.round(level * wave * (1 + 0.1 * noise()))) };
  });
}

/**
 * The forecast-and-plan state machine file, run by the local engine over N twins with `days` of
 * 1-minute history each in dynalite, half of them scaling simulated targets: two cycles five
 * minutes apart (the second sees the first's decisions in its stabilization window).
 */
export async function runLoopTrack(o: LoopTrackOptions, setup: Progress, cycles: Progress) {
  const dynamo = await startEmbeddedDynamo();
  try {
    await createTwinTable(dynamo.client, TABLE);
    const store = new DynamoTwinStore(dynamo.client, { tableName: TABLE });
    const targets = new SimulatedTargets();
    const now = Math.floor(Date.now() / DAY_MS) * DAY_MS + 12 * 60 * MINUTE_MS;
    let ready = 0;
    const ids = Array.from({ length: o.twins }, (_, i) => i);
    await inParallel(ids, 16, async (i) => {
      const id = `twin-${i}`;
      const ref = { kind: 'asg' as const, autoScalingGroupName: id };
      targets.add(ref, { capacity: 5, running: 5, min: 1, max: 200, managed: true });
      await store.createTwin(
        requestCountTwin(id, 50, {
          policy: {
            mode: i % 2 === 0 ? 'forecast-and-scale' : 'forecast-only',
            targetUtilization: 0.6,
            maxStep: 20,
          },
        }),
      );
      await store.appendSamples(id, 'requests', requestsOf(i, now, o.days));
      setup.tick(++ready, o.twins);
    });
    setup.done(`${o.twins} twins × ${o.days} days of 1-minute samples`);

    const machine = new LocalStateMachine(
      'forecast-and-plan',
      localLoopTasks({
        store,
        dynamo: dynamo.client,
        tableName: TABLE,
        target: targets,
        scheduleMinutes: SCHEDULE_MINUTES,
      }),
    );
    const results: CycleResult[] = [];
    for (let c = 0; c < 2; c++) {
      const changesBefore = targets.changes.length;
      const started = performance.now();
      const out = (await machine.run({
        now: new Date(now + c * SCHEDULE_MINUTES * MINUTE_MS).toISOString(),
      })) as {
        batches: { twins: number; failed: number }[];
      };
      const seconds = (performance.now() - started) / 1000;
      const twins = out.batches.reduce((s, b) => s + b.twins, 0);
      const failed = out.batches.reduce((s, b) => s + b.failed, 0);
      results.push({
        seconds,
        twinsPerSecond: twins / seconds,
        twins,
        failed,
        scaled: targets.changes.length - changesBefore,
      });
      cycles.tick(c + 1, 2);
    }
    cycles.done(`cycle ${results.map((r) => `${r.seconds.toFixed(1)} s`).join(', ')}`);
    const markdown = [
      `Loop: forecast-and-plan over ${o.twins} twins (${o.days} days of 1-minute history each, half in forecast-and-scale mode on simulated targets), dynalite in process, the local Step Functions engine`,
      '',
      '| cycle | seconds | twins/s | twins decided | failed | capacity changes |',
      '|---|---|---|---|---|---|',
      ...results.map(
        (r, i) =>
          `| ${i + 1} | ${r.seconds.toFixed(1)} | ${r.twinsPerSecond.toFixed(1)} | ${r.twins} | ${r.failed} | ${r.scaled} |`,
      ),
      '',
    ].join('\n');
    return { json: { twins: o.twins, days: o.days, cycles: results }, markdown };
  } finally {
    await dynamo.stop();
  }
}
