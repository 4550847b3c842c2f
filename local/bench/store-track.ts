import { paginateScan } from '@aws-sdk/client-dynamodb';
import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { createTwinTable } from '../../layers/aws/dynamo/table.js';
import { DAY_MS } from '../../layers/core/series/grid.js';
import type { Sample } from '../../layers/core/series/read-trace.js';
import { startEmbeddedDynamo } from '../dynamo/embedded-dynamo.js';
import type { Progress } from './progress.js';
import { loadTrace, type ManifestEntry } from './trace-set.js';

const MINUTE = 60_000;

export interface StoreTrackOptions {
  twins: number;
  concurrency: number;
}

/**
 * One day of 1-minute samples for N twins × 3 metrics appended through the DynamoDB store into
 * an in-process dynalite. Values come from a real 1-minute trace (WorldCup98 requests), each
 * twin a different stretch of it: request counts, a CPU percentage to 0.001 following them,
 * and bytes sent with the per-request size varying.
 */
export async function runStoreTrack(
  dir: string,
  entry: ManifestEntry,
  o: StoreTrackOptions,
  progress: Progress,
) {
  const { grid } = loadTrace(dir, entry);
  if (grid.stepMs !== MINUTE) throw new Error(`${entry.id}: the store track needs a 1-minute trace`);
  const values = Array.from(grid.values, (v) => (Number.isNaN(v) ? 0 : v));
  const peak = Math.max(...values);
  const day0 = Math.floor(grid.t0 / DAY_MS) * DAY_MS + DAY_MS;
  const metricsOf = (twin: number): [string, Sample[]][] => {
    const offset = (twin * 997) % Math.max(1, values.length - 1440);
    const requests = Array.from({ length: 1440 }, (_, i) => ({
      t: day0 + i * MINUTE,
      v: values[offset + i],
    }));
    return [
      ['requests', requests],
      ['cpu', requests.map((s) => ({ t: s.t, v: Math.round((100_000 * s.v) / peak) / 1000 }))],
      ['bytes', requests.map((s, i) => ({ t: s.t, v: Math.round(s.v * (1400 + ((i * 37 + twin) % 300))) }))],
    ];
  };

  const dynamo = await startEmbeddedDynamo();
  const client = dynamo.client;
  try {
    await createTwinTable(client, 'twins-bench');
    const store = new DynamoTwinStore(client, { tableName: 'twins-bench' });
    let next = 0;
    let done = 0;
    let samples = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < o.twins) {
        const twin = next++;
        for (const [metric, s] of metricsOf(twin)) {
          // read after the await: `samples += await …` would add to a stale total
          const { added } = await store.appendSamples(`twin-${twin}`, metric, s);
          samples += added;
        }
        progress.tick(++done, o.twins);
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;

    let dataBytes = 0;
    let itemBytes = 0;
    let items = 0;
    for await (const page of paginateScan({ client }, { TableName: 'twins-bench' }))
      for (const item of page.Items ?? []) {
        items++;
        dataBytes += item.data?.B?.length ?? 0;
        // DynamoDB's item size: attribute names plus values (numbers approximated by digits)
        for (const [name, v] of Object.entries(item))
          itemBytes += name.length + (v.B?.length ?? v.S?.length ?? Math.ceil((v.N?.length ?? 0) / 2) + 1);
      }
    const row = {
      twins: o.twins,
      metrics: 3,
      samples,
      chunks: items,
      seconds,
      samplesPerSecond: samples / seconds,
      dataBytesPerSample: dataBytes / samples,
      itemBytesPerSample: itemBytes / samples,
    };
    progress.done(`${samples} samples in ${seconds.toFixed(1)} s`);
    const markdown = [
      `Store: ${o.twins} twins × 3 metrics × one day of 1-minute samples (${entry.id}), appended into dynalite with ${o.concurrency} writers`,
      '',
      '| samples | chunk items | seconds | samples/s | data bytes/sample | item bytes/sample |',
      '|---|---|---|---|---|---|',
      `| ${samples} | ${items} | ${seconds.toFixed(1)} | ${Math.round(row.samplesPerSecond)} | ${row.dataBytesPerSample.toFixed(3)} | ${row.itemBytesPerSample.toFixed(3)} |`,
      '',
    ].join('\n');
    return { json: row, markdown };
  } finally {
    await dynamo.stop();
  }
}
