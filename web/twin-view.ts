import type uPlot from 'uplot';
import { callApi, type Decision, type Forecast, readPages, type Series, type Twin } from './api.js';
import {
  alignByTime,
  capacityChart,
  demandChart,
  type TimePoints,
  valueCount,
  type XRange,
} from './charts.js';
import { byId, fillTable, formatNumber, formatTime, h } from './dom.js';

/** Decisions listed under the charts; all of the day's are drawn. */
const TABLE_ROWS = 15;

/** What one refresh read for a twin. */
export interface TwinData {
  twin: Twin;
  series: Series;
  forecast: Forecast;
  /** The range's decisions, oldest first. */
  decisions: Decision[];
}

/** The twin's last day: load samples, forecasts and decisions (the API's default range ends at its clock). */
export async function readTwinData(twin: Twin): Promise<TwinData> {
  const id = encodeURIComponent(twin.id);
  const series = await callApi<Series>('GET', `/twins/${id}/series`);
  const range = `from=${series.from}&to=${series.to}`;
  const [forecast, newestFirst] = await Promise.all([
    callApi<Forecast>('GET', `/twins/${id}/forecast?${range}`),
    // the store pages 100 records at a time; a day of 5-minute decisions is 288
    readPages<Decision>(`/twins/${id}/decisions?limit=100`, (page) =>
      page.some((d) => Date.parse(d.at) < series.from),
    ),
  ]);
  const decisions = newestFirst.filter((d) => Date.parse(d.at) >= series.from).reverse();
  return { twin, series, forecast, decisions };
}

/** Demand per minute, as the forecasts count it: a Sum over a longer period is spread over its minutes. */
export function demandPerMinute(series: Series): TimePoints {
  const perMinute = series.stat === 'Sum' ? series.periodSeconds / 60 : 1;
  return series.points.map((p) => ({ t: p.t, v: p.v / perMinute }));
}

/** The capacity a decision left: what it asked for, or what there was when it asked for nothing. */
const capacityAfter = (d: Decision) => d.desired ?? d.previous;

const reasonNumber = (d: Decision, key: string) => {
  const v = d.reason[key];
  return typeof v === 'number' ? v : undefined;
};

const ACTION_LABEL: Record<Decision['action'], string> = {
  scaled: 'scaled',
  none: 'no change',
  'recorded-only': 'recorded only',
  failed: 'failed',
};

/** One sentence for a decision: what happened and why. */
export function describeDecision(d: Decision): string {
  const from = d.previous ?? '?';
  const to = d.desired ?? '?';
  const parts = [`${formatTime(d.at)}: ${ACTION_LABEL[d.action]} (${from} → ${to})`];
  if (typeof d.reason.boundBy === 'string') parts.push(`bound by ${d.reason.boundBy}`);
  if (reasonNumber(d, 'planned') !== undefined) parts.push(`planned ${reasonNumber(d, 'planned')}`);
  if (reasonNumber(d, 'forecastPeak') !== undefined)
    parts.push(`forecast peak ${formatNumber(reasonNumber(d, 'forecastPeak'))}/min`);
  if (reasonNumber(d, 'quantile') !== undefined) parts.push(`quantile ${reasonNumber(d, 'quantile')}`);
  if (d.result) parts.push(d.result);
  return parts.join(' · ');
}

/** The per-twin panel: the two charts on one time axis and the table of the latest decisions. */
export class TwinView {
  private readonly range: XRange = { min: 0, max: 1 };
  readonly demand: uPlot;
  readonly capacity: uPlot;
  private decisions: Decision[] = [];

  constructor() {
    this.demand = demandChart(byId('demand-chart'), this.range);
    this.capacity = capacityChart(byId('capacity-chart'), this.range, (t) => this.showDecisionAt(t));
  }

  /** Empties the charts while another twin loads (its data must not be drawn under this one's name). */
  clear(twin: Twin): void {
    byId('twin-heading').textContent = twin.id;
    byId('twin-summary').textContent = 'loading…';
    this.decisions = [];
    this.demand.setData([[]]);
    this.capacity.setData([[]]);
    for (const id of ['demand-chart', 'capacity-chart']) byId(id).dataset.points = '0';
    fillTable(byId<HTMLTableSectionElement>('decisions-body'), [], 'loading…');
  }

  show({ twin, series, forecast, decisions }: TwinData): void {
    this.decisions = decisions;
    const demand = demandPerMinute(series);
    // the band is what each past slot was planned with; the latest forecast runs an hour ahead
    const quantiles = new Map(forecast.band.map((q) => [q.t, q]));
    for (const q of forecast.latest?.points ?? []) quantiles.set(q.t, q);
    const forecastPoints = [...quantiles.values()].sort((a, b) => a.t - b.t);
    const lastForecast = forecastPoints.at(-1)?.t ?? series.to;
    this.range.min = series.from / 1000;
    this.range.max = Math.max(series.to, lastForecast) / 1000;

    const demandData = alignByTime([
      forecastPoints.map((q) => ({ t: q.t, v: q.p10 })),
      forecastPoints.map((q) => ({ t: q.t, v: q.p90 })),
      forecastPoints.map((q) => ({ t: q.t, v: q.p50 })),
      demand,
    ]);
    this.demand.setData(demandData);
    const demandChartEl = byId('demand-chart');
    demandChartEl.dataset.points = String(valueCount(demandData, 4));
    demandChartEl.dataset.forecastPoints = String(valueCount(demandData, 3));

    const capacityData = alignByTime(capacitySeries(twin, series, demand, decisions));
    this.capacity.setData(capacityData);
    const capacityChartEl = byId('capacity-chart');
    capacityChartEl.dataset.points = String(valueCount(capacityData, 1));
    capacityChartEl.dataset.markers = String(
      valueCount(capacityData, 3) + valueCount(capacityData, 4) + valueCount(capacityData, 5),
    );

    const perInstance = twin.capacityModel?.capacityPerInstance;
    const last = decisions.at(-1);
    byId('twin-heading').textContent = twin.id;
    byId('twin-summary').textContent = [
      `mode ${twin.policy.mode}`,
      `target utilization ${twin.policy.targetUtilization}`,
      `quantile ${twin.policy.quantile}`,
      perInstance === undefined
        ? 'no capacity model yet'
        : `${formatNumber(perInstance)} requests/min per instance`,
      last ? `capacity ${capacityAfter(last) ?? '?'}` : 'no decisions yet',
      forecast.latest ? `model ${forecast.latest.model}` : 'no forecast yet',
    ].join(' · ');
    this.fillDecisionTable(decisions.slice(-TABLE_ROWS).reverse());
  }

  private fillDecisionTable(newestFirst: Decision[]): void {
    const cell = (text: string, cls = '') => h('td', cls ? { class: cls } : {}, text);
    const rows = newestFirst.map((d) =>
      h(
        'tr',
        { 'data-testid': 'decision-row', 'data-action': d.action },
        cell(formatTime(d.at, false)),
        cell(ACTION_LABEL[d.action], `action ${d.action}`),
        cell(`${d.previous ?? '—'} → ${d.desired ?? '—'}`, 'num'),
        cell(typeof d.reason.boundBy === 'string' ? d.reason.boundBy : '—'),
        cell(formatNumber(reasonNumber(d, 'planned'), 0), 'num'),
        cell(formatNumber(reasonNumber(d, 'forecastPeak')), 'num'),
        cell(formatNumber(reasonNumber(d, 'quantile'), 3), 'num'),
        cell(formatNumber(reasonNumber(d, 'reactiveFloor'), 0), 'num'),
        cell(d.result ?? ''),
      ),
    );
    fillTable(byId<HTMLTableSectionElement>('decisions-body'), rows, 'No decisions in the last day yet.');
  }

  /** Under the capacity chart: the decision in force at the cursor, and why it was made. */
  private showDecisionAt(t: number | null): void {
    const out = byId('decision-at-cursor');
    if (t === null) {
      out.textContent = 'Point at the capacity chart to see the decision in force and its reasons.';
      return;
    }
    let found: Decision | undefined;
    for (const d of this.decisions) {
      if (Date.parse(d.at) > t) break;
      found = d;
    }
    out.textContent = found ? describeDecision(found) : 'No decision before this time.';
  }
}

/** [capacity, demand in instances, scaled, failed, recorded only] for the capacity chart. */
function capacitySeries(twin: Twin, series: Series, demand: TimePoints, decisions: Decision[]): TimePoints[] {
  const capacity: TimePoints = [];
  const byAction = { scaled: [] as TimePoints, failed: [] as TimePoints, 'recorded-only': [] as TimePoints };
  let held: number | undefined;
  for (const d of decisions) {
    const t = Date.parse(d.at);
    const after = capacityAfter(d);
    if (after !== undefined) {
      held = after;
      capacity.push({ t, v: after });
    }
    if (d.action !== 'none' && held !== undefined) byAction[d.action].push({ t, v: held });
  }
  // the capacity holds until now
  if (held !== undefined && capacity.at(-1)?.t !== series.to) capacity.push({ t: series.to, v: held });
  const perInstance = twin.capacityModel?.capacityPerInstance;
  const needed = perInstance ? demand.map((p) => ({ t: p.t, v: (p.v ?? 0) / perInstance })) : [];
  return [capacity, needed, byAction.scaled, byAction.failed, byAction['recorded-only']];
}
