import { z } from 'zod';

/** One timestamped sample: epoch milliseconds, value. */
export const SampleSchema = z.object({ t: z.number().int(), v: z.number() });
export type Sample = z.infer<typeof SampleSchema>;

/** What the reader changed to make a trace usable; every field counts rows. */
export interface TraceRepairs {
  /** Rows whose value was empty, `NaN` or not a number: dropped, the slot becomes missing. */
  emptyValues: number;
  /** Rows whose value was ±Infinity: dropped. */
  nonFiniteValues: number;
  /** Rows below zero; clamped to 0 with `negative: 'clamp'`, else kept and only counted. */
  negativeValues: number;
  /** Rows out of time order: sorted. */
  unsortedRows: number;
  /** Rows repeating an earlier timestamp: averaged into one sample. */
  duplicateTimestamps: number;
  /** Rows whose timestamp is not ISO-8601: dropped, as the benchmark referee drops them. */
  badTimestamps: number;
  /** Blank lines: skipped. */
  blankLines: number;
}

export interface Trace {
  samples: Sample[];
  repairs: TraceRepairs;
}

/** A trace the reader refuses; `line` is 1-based (the header is line 1). */
export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError';
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

export interface ReadTraceOptions {
  /** `keep` leaves negative values as they are (what the benchmark referee scores); `clamp` sets them to 0 (a load cannot be negative). @default 'keep' */
  negative?: 'keep' | 'clamp';
}

// ISO-8601 with an optional zone; a stamp without a zone is UTC, as the referee reads it.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export function parseTimestamp(text: string): number | undefined {
  const s = text.trim();
  if (!ISO_TIME.test(s)) return undefined;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(s) ? s : `${s}Z`;
  const t = Date.parse(zoned.replace(' ', 'T'));
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Reads a `timestamp,value` CSV (extra columns ignored, any column order). Repairs what can be
 * repaired and counts it, dropping rows exactly where the benchmark referee drops them; refuses,
 * naming the line, what cannot be repaired: a header without both columns, or fewer than two
 * usable rows.
 */
export function readTrace(text: string, options: ReadTraceOptions = {}): Trace {
  const negative = options.negative ?? 'keep';
  const repairs: TraceRepairs = {
    emptyValues: 0,
    nonFiniteValues: 0,
    negativeValues: 0,
    unsortedRows: 0,
    duplicateTimestamps: 0,
    badTimestamps: 0,
    blankLines: 0,
  };
  let firstBadTimestamp = '';
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const ti = header.indexOf('timestamp');
  const vi = header.indexOf('value');
  if (ti < 0 || vi < 0) {
    throw new TraceFormatError(
      1,
      `header must name the columns timestamp and value (got "${lines[0] ?? ''}")`,
    );
  }
  const raw: Sample[] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') {
      if (i < lines.length - 1) repairs.blankLines++;
      continue;
    }
    const cells = line.split(',');
    const t = parseTimestamp(cells[ti] ?? '');
    if (t === undefined) {
      if (repairs.badTimestamps++ === 0) firstBadTimestamp = `line ${i + 1}: "${(cells[ti] ?? '').trim()}"`;
      continue;
    }
    const cell = (cells[vi] ?? '').trim();
    const v = cell === '' ? Number.NaN : Number(cell);
    if (Number.isNaN(v)) {
      repairs.emptyValues++;
      continue;
    }
    if (!Number.isFinite(v)) {
      repairs.nonFiniteValues++;
      continue;
    }
    if (t < last) repairs.unsortedRows++;
    last = Math.max(last, t);
    if (v < 0) repairs.negativeValues++;
    raw.push({ t, v: v < 0 && negative === 'clamp' ? 0 : v });
  }
  if (raw.length < 2) {
    const why = firstBadTimestamp
      ? ` (timestamps must be ISO-8601 such as 2014-04-10T00:04:00Z; first bad one ${firstBadTimestamp})`
      : '';
    throw new TraceFormatError(lines.length, `fewer than two usable rows${why}`);
  }
  const samples = mergeDuplicates(raw, repairs);
  if (samples.length < 2)
    throw new TraceFormatError(
      lines.length,
      `fewer than two usable rows (all ${raw.length} share the timestamp ${new Date(samples[0].t).toISOString()})`,
    );
  return { samples, repairs };
}

/** Sorts by time (stable) and averages samples that share a timestamp. */
function mergeDuplicates(raw: Sample[], repairs: TraceRepairs): Sample[] {
  const sorted = repairs.unsortedRows > 0 ? [...raw].sort((a, b) => a.t - b.t) : raw;
  const out: Sample[] = [];
  let count = 1;
  for (const s of sorted) {
    const prev = out[out.length - 1];
    if (prev && prev.t === s.t) {
      repairs.duplicateTimestamps++;
      const sum = prev.v * count + s.v;
      // near Number.MAX_VALUE the sum overflows: then the mean by parts, which cannot
      prev.v = Number.isFinite(sum) ? sum / (count + 1) : prev.v * (count / (count + 1)) + s.v / (count + 1);
      count++;
    } else {
      out.push({ ...s });
      count = 1;
    }
  }
  return out;
}

/** A one-line human summary of the repairs, empty when nothing was repaired. */
export function describeRepairs(r: TraceRepairs): string {
  const parts = Object.entries(r)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}`);
  return parts.join(', ');
}
