import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startRuntime } from '../runtime/runtime.js';
import type { Progress } from './progress.js';

/** us-east-1 list prices, November 2026. */
export const PRICES = {
  getMetricDataPerMetric: 0.01 / 1000,
  dynamoWritePerUnit: 0.625 / 1e6,
  dynamoReadPerUnit: 0.125 / 1e6,
  alarmMetric: 0.1,
  customMetric: 0.3,
  dashboard: 3,
  kmsKey: 1,
  stateTransition: 0.025 / 1000,
} as const;

const CYCLES_PER_MONTH = (30 * 24 * 60) / 5;

/**
 * What the measurement does not cover, each with its arithmetic (README, "What it costs"):
 * monthly dollars per twin at the 5-minute cadence.
 */
export const ESTIMATED_PER_TWIN = {
  'DynamoDB storage + PITR': 0.0063 /* ~14 MB: a 0.9 KB forecast and a 0.5 KB decision every 5 min, kept 35 days, at $0.25 + $0.20 per GB-month */,
  Lambda: 0.0127 /* planning ~0.1 s at 1 GB a cycle (864 GB-s) + collector and actuator ~86 GB-s, at $0.0000133334 */,
  'Step Functions': 0.0054 /* 173 Express children a month per 50 twins' share, one parent transition each */,
  Logs: 0.0017 /* ~0.4 KB a cycle at $0.50 per GB */,
} as const;

/**
 * The hourly remediate run with nothing to remediate: 730 runs of ~3 transitions ($0.055) and ~1 s
 * of its 512 MB function ($0.005).
 */
const REMEDIATE_RUNS_MONTHLY = 0.06;

/**
 * Whatever the number of twins: 23 alarm metrics, 3 custom metrics, the dashboard, the key, ~52,000
 * parent transitions, the hourly remediate run.
 */
export const FIXED_MONTHLY =
  PRICES.dashboard +
  23 * PRICES.alarmMetric +
  3 * PRICES.customMetric +
  CYCLES_PER_MONTH * 6 * PRICES.stateTransition +
  PRICES.kmsKey +
  REMEDIATE_RUNS_MONTHLY;

export interface CostTrackOptions {
  /** Trace days to meter (288 cycles each, at least one cycle), after the first cycle, which loads a week of history. */
  days: number;
  /** Utilization (CPU) reads per twin: every this many minutes, one metric. */
  utilizationEveryMinutes: number;
}

interface Units {
  calls: number;
  units: number;
}

/**
 * The local runtime's sample twins, fed by real traces, through collector, forecast-and-plan and
 * actuator cycles on dynalite, with every DynamoDB call asking for its consumed capacity: the
 * write and read units a twin costs per cycle, measured. Priced with the estimated lines into a
 * monthly bill per twin at 100 and 10,000 twins.
 */
export async function runCostTrack(o: CostTrackOptions, progress: Progress) {
  const home = mkdtempSync(join(tmpdir(), 'twinscale-cost-'));
  const target = Math.max(1, Math.round(o.days * 288));
  const meter = { on: false, cycles: 0, from: 0, to: 0 };
  let reached: () => void = () => {};
  const done = new Promise<void>((r) => {
    reached = r;
  });
  // Cycles run one after another and this is called between two: the first one (which loads a week
  // of history) is left out, and the meter is switched at cycle boundaries.
  const onTick = (t: { clock: number }) => {
    if (!meter.on && meter.cycles === 0) {
      Object.assign(meter, { on: true, from: t.clock });
      return;
    }
    if (!meter.on) return;
    progress.tick(++meter.cycles, target);
    if (meter.cycles === target) {
      Object.assign(meter, { on: false, to: t.clock });
      reached();
    }
  };
  const rt = await startRuntime({ home, host: '127.0.0.1', port: 0, speed: 1e9 }, onTick);
  try {
    const totals = meterCapacity(rt.client, () => meter.on);
    await done;
    const { from, to, cycles } = meter;
    const twins = rt.samples.length;
    const actions: Record<string, number> = {};
    for (const s of rt.samples) {
      let cursor: string | undefined;
      do {
        const page = await rt.store.listRecords(s.twin.id, 'decision', { limit: 100, cursor });
        for (const d of page.items) {
          const at = Date.parse(d.at);
          if (at > from && at <= to) actions[d.action] = (actions[d.action] ?? 0) + 1;
        }
        cursor = page.cursor;
      } while (cursor);
    }
    progress.done(`${cycles} cycles metered`);
    return costReport({ o, twins, cycles, meter: totals, actions });
  } finally {
    await rt.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

/** Counts the capacity units of every call made through the client (and the document clients over it). */
function meterCapacity(client: DynamoDBClient, on: () => boolean) {
  const totals = {
    chunkWrites: { calls: 0, units: 0 },
    otherWrites: { calls: 0, units: 0 },
    queries: { calls: 0, units: 0 },
    gets: { calls: 0, units: 0 },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ReturnConsumedCapacity?: string; Item?: { sk?: unknown } };
      if (!on()) return next(args);
      input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const name = (context as { commandName?: string }).commandName ?? '';
      const consumed = [(result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity ?? []].flat() as {
        CapacityUnits?: number;
      }[];
      const units = consumed.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
      const sk = input.Item?.sk;
      const kind = /Put|Update|Delete|BatchWrite/.test(name)
        ? typeof sk === 'string' && sk.startsWith('SERIES#')
          ? totals.chunkWrites
          : totals.otherWrites
        : /Query/.test(name)
          ? totals.queries
          : totals.gets;
      kind.calls++;
      kind.units += units;
      return result;
    },
    { step: 'initialize', name: 'twinscaleCostMeter' },
  );
  return totals;
}

export function costReport(r: {
  o: CostTrackOptions;
  twins: number;
  cycles: number;
  meter: Record<'chunkWrites' | 'otherWrites' | 'queries' | 'gets', Units>;
  actions: Record<string, number>;
}) {
  const per = (u: Units) => u.units / r.cycles / r.twins;
  const chunkWrite = r.meter.chunkWrites.units / Math.max(1, r.meter.chunkWrites.calls);
  // the sample twins have no CPU metric: a twin that has one rewrites its CPU chunk once per read
  const cpuReadsPerCycle = 5 / r.o.utilizationEveryMinutes;
  const writeUnits = per(r.meter.chunkWrites) + per(r.meter.otherWrites) + cpuReadsPerCycle * chunkWrite;
  const readUnits = per(r.meter.queries) + per(r.meter.gets);
  const decisions = Object.values(r.actions).reduce((a, b) => a + b, 0);
  const lines: Record<string, number> = {
    GetMetricData: CYCLES_PER_MONTH * (1 + cpuReadsPerCycle) * PRICES.getMetricDataPerMetric,
    'DynamoDB writes': writeUnits * CYCLES_PER_MONTH * PRICES.dynamoWritePerUnit,
    'DynamoDB reads': readUnits * CYCLES_PER_MONTH * PRICES.dynamoReadPerUnit,
    ...ESTIMATED_PER_TWIN,
  };
  const perTwin = Object.values(lines).reduce((a, b) => a + b, 0);
  const fleets = [100, 10_000].map((twins) => ({
    twins,
    monthly: twins * perTwin + FIXED_MONTHLY,
    perTwin: perTwin + FIXED_MONTHLY / twins,
  }));
  const json = {
    measured: {
      twins: r.twins,
      cycles: r.cycles,
      writeUnitsPerTwinCycle: round(writeUnits),
      chunkWriteUnits: round(chunkWrite),
      readUnitsPerTwinCycle: round(readUnits),
      byCall: Object.fromEntries(
        Object.entries(r.meter).map(([k, u]) => [k, { ...u, perTwinCycle: round(per(u)) }]),
      ),
      decisions: r.actions,
      changedCapacity: round(decisions ? (r.actions.scaled ?? 0) / decisions : 0),
    },
    perTwinMonthly: Object.fromEntries(Object.entries(lines).map(([k, v]) => [k, round(v)])),
    perTwin: round(perTwin),
    fixedMonthly: round(FIXED_MONTHLY),
    fleets: fleets.map((f) => ({ ...f, monthly: round(f.monthly, 2), perTwin: round(f.perTwin, 3) })),
  };
  const m = json.measured;
  const markdown = [
    `Cost: the local runtime's ${r.twins} sample twins over ${r.cycles} five-minute cycles (real traces, dynalite, every call metered)`,
    '',
    '| measured per twin and cycle | units |',
    '|---|---|',
    ...Object.entries(m.byCall).map(([k, u]) => `| ${k} (${u.calls} calls) | ${u.perTwinCycle} |`),
    `| + CPU chunk rewritten every ${r.o.utilizationEveryMinutes} min (${m.chunkWriteUnits} WRU a chunk) | ${round(cpuReadsPerCycle * chunkWrite)} |`,
    `| **writes** | **${m.writeUnitsPerTwinCycle} WRU** |`,
    `| **reads** | **${m.readUnitsPerTwinCycle} RRU** |`,
    '',
    `Decisions: ${Object.entries(r.actions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')} (${(100 * m.changedCapacity).toFixed(0)} % changed capacity)`,
    '',
    '| per twin per month | $ |',
    '|---|---|',
    ...Object.entries(json.perTwinMonthly).map(([k, v]) => `| ${k} | ${v.toFixed(4)} |`),
    `| **per twin** | **${json.perTwin.toFixed(4)}** |`,
    '',
    `Fixed: $${json.fixedMonthly.toFixed(2)} a month.`,
    '',
    '| twins | monthly | per twin |',
    '|---|---|---|',
    ...json.fleets.map((f) => `| ${f.twins} | $${f.monthly.toFixed(2)} | $${f.perTwin.toFixed(3)} |`),
    '',
  ].join('\n');
  return { json, markdown };
}

const round = (v: number, digits = 4) => Number(v.toFixed(digits));
