import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { createTwinTable } from '../../layers/aws/dynamo/table.js';
import { idempotentActuate } from '../../layers/aws/idempotent-actuate.js';
import { applyMix } from '../../layers/core/act/mixed-instances.js';
import { createApi } from '../../layers/core/api/router.js';
import { collectOnce } from '../../layers/core/collect/collect.js';
import { syncCallerEdges } from '../../layers/core/graph/sync-upstreams.js';
import { DAY_MS, MINUTE_MS } from '../../layers/core/series/grid.js';
import { TwinExistsError } from '../../layers/core/store/twin-store.js';
import type { UnitReader } from '../../layers/core/units/unit-reader.js';
import { startEmbeddedDynamo } from '../dynamo/embedded-dynamo.js';
import { SimulatedFleets } from '../targets/simulated-fleets.js';
import { LocalStateMachine, localLambdaContext } from '../workflows/local-state-machine.js';
import { LocalWorkflowRuns } from '../workflows/local-workflow-runs.js';
import { localLoopTasks } from '../workflows/loop-tasks.js';
import { startHttpServer } from './http-server.js';
import { type RuntimeState, readRuntimeState, writeRuntimeState } from './runtime-state.js';
import { type LoadedSample, loadSampleTwins } from './sample-twins.js';
import { TraceMetricSource } from './trace-metric-source.js';
import { loadWebAssets } from './web-assets.js';

const TABLE = 'twinscale';
const SCHEDULE_MINUTES = 5;
/** The clock starts here on a fresh home (a Monday): every sample trace has a week of history before it. */
const CLOCK_START = Date.parse('2026-11-02T00:00:00.000Z');
const HISTORY_DAYS = 7;

export interface RuntimeSettings {
  home: string;
  host: string;
  port: number;
  /** Trace seconds per real second. */
  speed: number;
  traces?: string;
  /** Reads stacks and task families for POST /units; absent, only templates are read (the others answer 501). */
  units?: UnitReader;
}

/** One scheduled cycle's outcome, for the progress line. */
export interface TickReport {
  clock: number;
  fleets: { twinId: string; capacity: number; inService: number; demand: number; breachMinutes: number }[];
  decisions: number;
  failed: number;
}

/**
 * The whole loop on one machine: dynalite on disk under `home`, the sample twins fed by real
 * traces, simulated fleets as their scaling targets, and the schedules on a clock that replays the
 * traces `speed` times faster than real time: every 5 trace minutes the collector, then the
 * forecast-and-plan state machine file (actuating the fleets), as EventBridge Scheduler runs them.
 * The API and dashboard are served over HTTP. The clock and fleets are saved after every cycle.
 */
export async function startRuntime(
  s: RuntimeSettings,
  onTick: (r: TickReport) => void = () => {},
  onCycleError: (e: unknown) => void = (e) => console.error('cycle failed:', (e as Error).message),
) {
  mkdirSync(s.home, { recursive: true });
  const dynamo = await startEmbeddedDynamo({ path: join(s.home, 'dynamo') });
  const stops: (() => Promise<void>)[] = [() => dynamo.stop()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const fresh = await ensureTable(dynamo.client);
    const saved = fresh ? undefined : readRuntimeState(s.home);
    const state: RuntimeState = saved ?? {
      version: 1,
      clockStart: CLOCK_START,
      clock: CLOCK_START,
      fleets: {},
    };
    const samples = loadSampleTwins(s.traces ?? 'data/traces', state.clockStart, HISTORY_DAYS);
    let clock = state.clock;
    const store = new DynamoTwinStore(dynamo.client, { tableName: TABLE }, () => clock);
    const fleets = new SimulatedFleets(() => Math.floor(clock / MINUTE_MS));
    for (const sample of samples) {
      await store.createTwin(sample.twin).catch((e) => {
        if (!(e instanceof TwinExistsError)) throw e;
      });
      const first = sample.demandAt(clock - MINUTE_MS);
      fleets.add(sample.twin.target, {
        capacity:
          state.fleets[sample.twin.id]?.capacity ??
          Math.max(1, Math.ceil(first / sample.capacityPerInstance / 0.6)),
        min: 1,
        max: 60,
        warmupMinutes: 5,
      });
    }
    const source = new TraceMetricSource(new Map(samples.map((x) => [`${x.twin.id}/requests`, x.feed])));
    const planner = new LocalStateMachine(
      'forecast-and-plan',
      localLoopTasks({
        store,
        dynamo: dynamo.client,
        tableName: TABLE,
        target: fleets,
        scheduleMinutes: SCHEDULE_MINUTES,
      }),
    );
    const remediation = idempotentActuate(dynamo.client, TABLE, {
      target: fleets,
      controls: () => store.getControls(),
    });
    const workflows = new LocalWorkflowRuns(store, () => clock, {
      actuation: {
        target: fleets,
        act: (request) => {
          remediation.registerLambdaContext(localLambdaContext('remediate'));
          return remediation.act(request);
        },
      },
    });
    stops.push(() => workflows.drain());
    const http = await startHttpServer({
      api: createApi(
        {
          store,
          workflows,
          now: () => clock,
          ...(s.units ? { units: s.units } : {}),
          // capacity plans are applied to the fleets as the actuator would (their guardrails, the kill switch)
          applyMix: (req) => applyMix(req, { target: fleets, controls: () => store.getControls() }),
        },
        { onError: (e) => console.error('api: unexpected error', e) },
      ),
      files: loadWebAssets(),
      host: s.host,
      port: s.port,
    });
    stops.push(() => http.close());

    const save = () =>
      writeRuntimeState(s.home, {
        ...state,
        clock,
        fleets: Object.fromEntries(
          samples.map((x) => [x.twin.id, { capacity: fleets.state(x.twin.target).capacity }]),
        ),
      });
    save();

    let edgesSynced = false;
    /** One schedule period: the fleets serve each minute, then the collector and the planner run. */
    const tick = async (): Promise<TickReport> => {
      const report = samples.map((x) => ({
        twinId: x.twin.id,
        capacity: 0,
        inService: 0,
        demand: 0,
        breachMinutes: 0,
      }));
      for (let m = 0; m < SCHEDULE_MINUTES; m++) {
        samples.forEach((x, i) => {
          const demand = x.demandAt(clock);
          const { inService, capacity } = fleets.state(x.twin.target, Math.floor(clock / MINUTE_MS));
          Object.assign(report[i], { capacity, inService, demand: Math.max(report[i].demand, demand) });
          if (demand > inService * x.capacityPerInstance) report[i].breachMinutes++;
        });
        clock += MINUTE_MS;
      }
      const weekly = weeklySearchBetween(clock - SCHEDULE_MINUTES * MINUTE_MS, clock);
      // as the weekly schedule starts it in AWS: every twin, in the background
      if (weekly) await workflows.start('optimize', `scheduled-${weekly}`, { now: weekly });
      // as the hourly schedule does in AWS: evaluate every twin's policies, remediate after approval
      const hourly = hourlyRemediationBetween(clock - SCHEDULE_MINUTES * MINUTE_MS, clock);
      if (hourly)
        await workflows.start('remediate', `scheduled-${hourly}`, { approval: 'required', now: hourly });
      // the first run loads the week of history in one window: the traces are local, so the
      // collector's usual cap on a run's window (GetMetricData volume in AWS) has no reason here
      const history = HISTORY_DAYS * 24;
      await collectOnce({
        store,
        source,
        now: () => clock,
        settings: { firstRunHours: history, maxWindowHours: history },
      });
      // once there is history to estimate them from: the sample twins' calls as their callees' upstreams
      if (!edgesSynced) {
        for (const x of samples) {
          const twin = await store.getTwin(x.twin.id);
          if (twin) await syncCallerEdges(store, twin, [], clock);
        }
        edgesSynced = true;
      }
      const out = (await planner.run({ now: new Date(clock).toISOString() })) as {
        batches: { twins: number; failed: number }[];
      };
      save();
      return {
        clock,
        fleets: report,
        decisions: out.batches.reduce((n, b) => n + b.twins, 0),
        failed: out.batches.reduce((n, b) => n + b.failed, 0),
      };
    };

    let stopping = false;
    const loop = (async () => {
      const started = performance.now();
      const from = clock;
      while (!stopping) {
        // a failed cycle is reported and the next one runs: collection rereads its overlap, plans are remade
        await tick().then(onTick, onCycleError);
        // hold the clock to `speed` × real time; a slow cycle just makes the replay slower
        const due = started + (clock - from) / s.speed;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 60_000)));
      }
    })();

    return {
      url: http.url,
      store,
      /** The DynamoDB client under the store (the cost benchmark meters it). */
      client: dynamo.client,
      samples: samples as readonly LoadedSample[],
      /** The scenario, optimize and remediate runs (the load benchmark counts those under way). */
      workflows,
      /** Trace time now. */
      now: () => clock,
      /** Finishes the cycle under way, saves, and closes everything. */
      async stop() {
        stopping = true;
        await loop.catch(() => {});
        save();
        await stopAll();
      },
      /** Rejects if the clock loop failed. */
      loop,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
export type Runtime = Awaited<ReturnType<typeof startRuntime>>;

/** The weekly policy search's time (Sunday 03:00 UTC, as the deployment's schedule) in (from, to], if any. */
export function weeklySearchBetween(from: number, to: number): string | undefined {
  // 1970-01-04 was a Sunday
  return scheduledBetween(from, to, 7 * DAY_MS, Date.UTC(1970, 0, 4, 3));
}

/** The hourly remediate run's time (on the hour, as the deployment's default schedule) in (from, to], if any. */
export const hourlyRemediationBetween = (from: number, to: number): string | undefined =>
  scheduledBetween(from, to, 60 * MINUTE_MS, 0);

/** A schedule's time in (from, to], if any: `first` and every `period` after it. */
function scheduledBetween(from: number, to: number, period: number, first: number): string | undefined {
  const at = first + Math.floor((to - first) / period) * period;
  return at > from && at <= to ? new Date(at).toISOString() : undefined;
}

/** Creates the table on a fresh home; true if it did. */
async function ensureTable(client: import('@aws-sdk/client-dynamodb').DynamoDBClient): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: TABLE }));
    return false;
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e;
    await createTwinTable(client, TABLE);
    return true;
  }
}

export const HISTORY_MS = HISTORY_DAYS * DAY_MS;
