import { codecModeOf, decodeSamples, encodeSamples } from '../../layers/core/series/codec.js';
import { splitByDay } from '../../layers/core/series/merge.js';
import type { Sample } from '../../layers/core/series/read-trace.js';
import { median } from '../../layers/core/stats.js';
import { loadTrace, type ManifestEntry } from './trace-set.js';

interface CodecRow {
  trace: string;
  samples: number;
  chunks: number;
  bytesPerSample: number;
  decimalChunks: number;
  xorChunks: number;
}

/** Each trace cut into per-day chunks as the store keeps them, encoded, decoded and compared. */
export function runCodecTrack(dir: string, entries: ManifestEntry[]) {
  const rows: CodecRow[] = entries.map((entry) => {
    const { grid } = loadTrace(dir, entry);
    const samples0: Sample[] = [];
    grid.values.forEach((v, i) => {
      if (!Number.isNaN(v)) samples0.push({ t: grid.t0 + i * grid.stepMs, v });
    });
    const days = splitByDay(samples0);
    let bytes = 0;
    let samples = 0;
    let decimal = 0;
    for (const chunk of days.values()) {
      const encoded = encodeSamples(chunk);
      const back = decodeSamples(encoded);
      if (back.some((s, i) => s.t !== chunk[i].t || !Object.is(s.v, chunk[i].v))) {
        throw new Error(`codec round trip failed on ${entry.id}`);
      }
      bytes += encoded.length;
      samples += chunk.length;
      if (codecModeOf(encoded) === 'decimal') decimal++;
    }
    return {
      trace: entry.id,
      samples,
      chunks: days.size,
      bytesPerSample: bytes / samples,
      decimalChunks: decimal,
      xorChunks: days.size - decimal,
    };
  });
  const med = median(rows.map((r) => r.bytesPerSample));
  const markdown = [
    '# Codec track (bytes per stored sample, one chunk per day)',
    '',
    '| trace | samples | chunks | bytes/sample | decimal chunks | xor chunks |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.trace} | ${r.samples} | ${r.chunks} | ${r.bytesPerSample.toFixed(3)} | ${r.decimalChunks} | ${r.xorChunks} |`,
    ),
    '',
    `Median bytes per sample: ${med.toFixed(3)}`,
    '',
  ].join('\n');
  return { json: { rows, medianBytesPerSample: med }, markdown };
}
