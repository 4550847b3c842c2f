import uPlot from 'uplot';

/** The runtime's clock is trace time: every axis and label is in UTC, as the traces are. */
const utc = (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC');

/** Charts with this key share their cursor: the same moment is highlighted on each. */
const SYNC_KEY = 'twin';

export const COLORS = {
  demand: '#1f5fbf',
  demandFill: 'rgba(31, 95, 191, 0.15)',
  forecast: '#d9731a',
  band: 'rgba(217, 115, 26, 0.18)',
  capacity: '#2b7a3d',
  scaled: '#2b7a3d',
  failed: '#c0392b',
  recorded: '#6c757d',
  needed: '#8a8f98',
  whatIf: '#c0392b',
  whatIfInstances: '#7b3fa0',
};

/** A series as points in time (t in ms), as the API gives them. */
export type TimePoints = { t: number; v: number | null }[];

/**
 * Series sampled at different times on one x axis, as uPlot draws them: x in seconds, ascending,
 * and a value slot per series (undefined where a series has no sample, so the line spans it).
 */
export function alignByTime(series: TimePoints[]): uPlot.AlignedData {
  const tables = series.map(
    (points) => [points.map((p) => p.t / 1000), points.map((p) => p.v)] as uPlot.AlignedData,
  );
  if (tables.length === 0) return [[]];
  return uPlot.join(tables);
}

/** How many values a series has in aligned data (the test and the page's data-points read it). */
export function valueCount(data: uPlot.AlignedData, series: number): number {
  const ys = data[series] ?? [];
  let n = 0;
  for (const v of ys) if (v !== null && v !== undefined) n++;
  return n;
}

/** Tick labels in UTC, 24-hour: the time of day, and the date where a day starts. */
const utcTicks = (_: uPlot, splits: number[]) =>
  splits.map((s) => {
    const iso = new Date(s * 1000).toISOString();
    return iso.slice(11, 16) === '00:00' ? iso.slice(5, 10) : iso.slice(11, 16);
  });

const X_AXIS: uPlot.Axis = { values: utcTicks };

/** The legend's time at the cursor, in full. */
const X_SERIES: uPlot.Series = {
  label: 'time (UTC)',
  value: (_, v) => (v === null ? '—' : new Date(v * 1000).toISOString().slice(0, 16).replace('T', ' ')),
};

/** Points only, no line: one marker per value. */
const markers = (label: string, color: string): uPlot.Series => ({
  label,
  stroke: color,
  fill: color,
  paths: () => null,
  points: { show: true, size: 8, stroke: color, fill: color },
});

/** A time chart sized to its container, in UTC, with its cursor synchronised with the others. */
function timeChart(
  el: HTMLElement,
  o: {
    height: number;
    series: uPlot.Series[];
    axes: uPlot.Axis[];
    scales: uPlot.Scales;
    bands?: uPlot.Band[];
    hooks?: uPlot.Hooks.Arrays;
    sync?: boolean;
  },
): uPlot {
  const opts: uPlot.Options = {
    width: Math.max(320, el.clientWidth),
    height: o.height,
    tzDate: utc,
    cursor: o.sync === false ? {} : { sync: { key: SYNC_KEY } },
    series: [X_SERIES, ...o.series],
    axes: [X_AXIS, ...o.axes],
    scales: o.scales,
    bands: o.bands,
    hooks: o.hooks,
  };
  const chart = new uPlot(opts, [[]], el);
  new ResizeObserver(() => chart.setSize({ width: Math.max(320, el.clientWidth), height: o.height })).observe(
    el,
  );
  return chart;
}

const fromZero = (_: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, max > 0 ? max * 1.08 : 1];

/** A shared x range (seconds), set by the page before each setData so the twin's charts line up. */
export interface XRange {
  min: number;
  max: number;
}

/**
 * Demand per minute with the forecast it was planned with: data is
 * [x, p10, p90, p50, demand] (the band is filled between p10 and p90).
 */
export function demandChart(el: HTMLElement, range: XRange): uPlot {
  return timeChart(el, {
    height: 280,
    scales: { x: { time: true, range: () => [range.min, range.max] }, y: { range: fromZero } },
    axes: [{ label: 'requests per minute', size: 70 }],
    series: [
      { label: 'forecast p10', stroke: COLORS.forecast, width: 0.5, spanGaps: true },
      { label: 'forecast p90', stroke: COLORS.forecast, width: 0.5, spanGaps: true },
      { label: 'forecast p50', stroke: COLORS.forecast, width: 1.5, dash: [6, 4], spanGaps: true },
      { label: 'demand', stroke: COLORS.demand, width: 1.5, spanGaps: true },
    ],
    bands: [{ series: [2, 1], fill: COLORS.band }],
  });
}

/**
 * Capacity over time with the decisions as markers: data is
 * [x, capacity, demand in instances, scaled, failed, recorded only].
 */
export function capacityChart(el: HTMLElement, range: XRange, onCursor: (t: number | null) => void): uPlot {
  return timeChart(el, {
    height: 220,
    scales: { x: { time: true, range: () => [range.min, range.max] }, y: { range: fromZero } },
    axes: [{ label: 'instances', size: 70 }],
    series: [
      {
        label: 'capacity',
        stroke: COLORS.capacity,
        width: 2,
        spanGaps: true,
        paths: uPlot.paths.stepped?.({ align: 1 }),
      },
      { label: 'demand in instances', stroke: COLORS.needed, width: 1, dash: [3, 3], spanGaps: true },
      markers('scaled', COLORS.scaled),
      markers('failed', COLORS.failed),
      markers('recorded only', COLORS.recorded),
    ],
    hooks: {
      setCursor: [
        (u) => {
          const idx = u.cursor.idx;
          onCursor(idx === null || idx === undefined ? null : u.data[0][idx] * 1000);
        },
      ],
    },
  });
}

/**
 * A scenario's fleet, as it was and under the what-if: data is
 * [x, demand as it was, demand what-if, in service as it was, in service what-if].
 */
export function scenarioChart(el: HTMLElement): uPlot {
  return timeChart(el, {
    height: 280,
    sync: false,
    scales: { x: { time: true }, demand: { range: fromZero }, instances: { range: fromZero } },
    axes: [
      { scale: 'demand', label: 'requests per minute', size: 70 },
      { scale: 'instances', label: 'instances in service', side: 1, size: 60, grid: { show: false } },
    ],
    series: [
      // the baseline as a filled area, so the what-if line drawn over it leaves it visible
      {
        label: 'demand as it was',
        scale: 'demand',
        stroke: COLORS.demand,
        fill: COLORS.demandFill,
        width: 1,
      },
      { label: 'demand what-if', scale: 'demand', stroke: COLORS.whatIf, width: 1.5 },
      {
        label: 'in service as it was',
        scale: 'instances',
        stroke: COLORS.capacity,
        width: 1.5,
        paths: uPlot.paths.stepped?.({ align: 1 }),
      },
      {
        label: 'in service what-if',
        scale: 'instances',
        stroke: COLORS.whatIfInstances,
        width: 2,
        dash: [6, 3],
        paths: uPlot.paths.stepped?.({ align: 1 }),
      },
    ],
  });
}
