import uPlot from 'uplot';
import {
  callApi,
  type PolicyOutcome,
  type ScenarioDocumentText,
  type ScenarioResult,
  type ScenarioRun,
  type Scores,
  type Verdict,
  type WhatIfRequest,
} from './api.js';
import { scenarioChart, valueCount } from './charts.js';
import { byId, fillTable, formatNumber, formatTime, h } from './dom.js';
import { describeError } from './errors.js';

const POLL_MS = 500;
/** A day's scenario takes well under a second locally; a stuck one is reported rather than polled forever. */
const GIVE_UP_MS = 5 * 60_000;

/** What "Insert an example" writes: every kind the language has, placed in the forecast. */
export const EXAMPLE_DOCUMENT = `# Minutes count from the start of the replayed days; with forecastHours,
# the twin's forecast follows them from minute days × 1440 (here 1440).
days: 1
forecastHours: 6
whatIf:
  demand:
    - { kind: flash-crowd, atMinute: 1500, peak: 3, riseMinutes: 5, decayMinutes: 60 }
    - { kind: surge, fromMinute: 600, toMinute: 720, factor: 1.5 }
  failures:
    - { kind: zone-loss, atMinute: 1510, fraction: 0.33 }
    - { atMinute: 900, count: 2 }
  warmupChanges:
    - { atMinute: 1440, warmupMinutes: 10 }
  metricOutages:
    - { fromMinute: 1500, toMinute: 1515 }
policies:
  - name: twin
  - name: cautious
    settings: { headroom: 0.2, targetUtilization: 0.5 }
slo: { maxBreachPct: 1 }
`;

/**
 * The form as the API's scenario request: the typed document when there is one (sent as it is),
 * else the fields' numbers, hours becoming the API's minutes.
 */
export function scenarioRequest(form: HTMLFormElement): WhatIfRequest | ScenarioDocumentText {
  const document = (form.elements.namedItem('document') as HTMLTextAreaElement | null)?.value ?? '';
  if (document.trim() !== '') return { yaml: document };
  const value = (name: string) => {
    const input = form.elements.namedItem(name) as HTMLInputElement;
    return input.value.trim() === '' ? Number.NaN : Number(input.value);
  };
  const minute = (hours: number) => Math.round(hours * 60);
  const factor = value('surgeFactor');
  const lost = value('lostCount');
  return {
    days: value('days'),
    forecastHours: value('forecastHours'),
    whatIf: {
      // a factor of 1 and no lost instances are "as it was": not sent
      demand:
        factor === 1
          ? []
          : [
              {
                kind: 'surge',
                fromMinute: minute(value('surgeFromHour')),
                toMinute: minute(value('surgeToHour')),
                factor,
              },
            ],
      failures: lost === 0 ? [] : [{ atMinute: minute(value('lostAtHour')), count: lost }],
      warmupChanges: [],
    },
  };
}

/** A verdict as a sentence: holds, or what would make it hold and at what cost, or why nothing does. */
export function verdictText(v: Verdict): string {
  const head = `${v.policy}: ${v.holds ? 'holds' : 'does not hold'} the SLO (${formatNumber(v.breachMinutes, 0)} breach minutes, at most ${formatNumber(v.budgetMinutes, 0)})`;
  if (v.holds) return head;
  const fix = v.fix;
  if (!fix) return `${head}. ${v.unfixable ?? 'Nothing tried holds.'}`;
  const change =
    fix.setting === 'headroom'
      ? `+${Math.round((fix.value - fix.from) * 100)} % headroom (headroom ${fix.value})`
      : `target utilization ${fix.value} instead of ${fix.from}`;
  return (
    `${head}. Would hold with ${change}: ${formatNumber(fix.breachMinutes, 0)} breach minutes, ` +
    `${formatNumber(fix.instanceHours, 1)} instance-hours (+${formatNumber(fix.extraInstanceHours, 1)}).`
  );
}

/** The scores shown; `worseWhenHigher` marks a what-if that costs more or serves less than the baseline. */
const SCORE_ROWS: { key: keyof Scores; label: string; digits: number; worseWhenHigher: boolean }[] = [
  { key: 'breachMinutes', label: 'breach minutes', digits: 0, worseWhenHigher: true },
  { key: 'breachPct', label: 'breach %', digits: 2, worseWhenHigher: true },
  { key: 'unservedPct', label: 'unserved demand %', digits: 2, worseWhenHigher: true },
  { key: 'instanceHours', label: 'instance hours', digits: 1, worseWhenHigher: true },
  { key: 'costVsOracle', label: 'cost vs oracle', digits: 2, worseWhenHigher: true },
  { key: 'scaleEvents', label: 'scale events', digits: 0, worseWhenHigher: false },
  { key: 'maxDesired', label: 'most instances asked', digits: 0, worseWhenHigher: false },
];

/** Series the scenario chart always has: x, then demand and the first policy's fleet, each as it was and what-if. */
const FIXED_SERIES = 5;
/** Colours of the other policies' fleets under the what-if, in turn. */
const POLICY_COLORS = ['#d9731a', '#0f8b8d', '#8a5a00', '#b0407a', '#4b5563'];
const FORECAST_SHADE = 'rgba(217, 115, 26, 0.08)';

/** The what-if form: posts a scenario, shows it running, then draws it over the baseline with the verdicts. */
export class WhatIfPanel {
  readonly chart: uPlot;
  private running = false;
  /** Where the drawn scenario's forecast starts (seconds), shaded on the chart. */
  private forecastFrom: number | undefined;

  constructor(private readonly twinId: () => string | undefined) {
    this.chart = scenarioChart(byId('scenario-chart'));
    // charts.ts built the chart; uPlot reads its hooks at each draw, so one added now is called
    const hooks = this.chart.hooks;
    hooks.draw = [...(hooks.draw ?? []), (u) => this.shadeForecast(u)];
    byId<HTMLTextAreaElement>('whatif-document').placeholder = EXAMPLE_DOCUMENT;
    byId('whatif-example').addEventListener('click', () => {
      byId<HTMLTextAreaElement>('whatif-document').value = EXAMPLE_DOCUMENT;
    });
    byId<HTMLFormElement>('whatif-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.run();
    });
  }

  /** Another twin was chosen: the previous twin's result no longer belongs on screen. */
  reset(): void {
    if (this.running) return;
    this.setStatus('idle', 'No scenario run yet for this twin.');
    byId('scenario-result').hidden = true;
    byId('scenario-chart').dataset.points = '0';
  }

  private setStatus(state: 'idle' | 'running' | 'succeeded' | 'failed', text: string): void {
    const status = byId('scenario-status');
    status.dataset.state = state;
    status.textContent = text;
    byId('scenario-progress').hidden = state !== 'running';
    byId<HTMLButtonElement>('whatif-run').disabled = state === 'running';
  }

  async run(): Promise<void> {
    const twinId = this.twinId();
    if (!twinId || this.running) return;
    const request = scenarioRequest(byId<HTMLFormElement>('whatif-form'));
    const what = 'yaml' in request ? 'the scenario document' : `${request.days} day(s)`;
    this.running = true;
    const started = performance.now();
    const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
    this.setStatus('running', `Starting a scenario on ${twinId}…`);
    try {
      const start = await callApi<{ id: string; location: string }>(
        'POST',
        `/twins/${encodeURIComponent(twinId)}/scenarios`,
        request,
      );
      for (;;) {
        const run = await callApi<ScenarioRun>('GET', start.location);
        if (run.status === 'failed')
          throw new Error(`scenario ${run.id} failed: ${run.error ?? 'no reason given'}`);
        if (run.status === 'succeeded' && run.result) {
          this.draw(run.result);
          this.setStatus('succeeded', `Scenario ${run.id} on ${twinId} done in ${elapsed()}.`);
          return;
        }
        if (performance.now() - started > GIVE_UP_MS)
          throw new Error(`scenario ${run.id} still running after ${elapsed()}: stopped waiting`);
        this.setStatus('running', `Replaying ${what} of ${twinId}… ${elapsed()}`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } catch (e) {
      this.setStatus('failed', describeError(e));
      // an earlier run's result under this error would read as this run's
      byId('scenario-result').hidden = true;
    } finally {
      this.running = false;
    }
  }

  private draw(result: ScenarioResult): void {
    const { timeline } = result;
    const step = timeline.stepMinutes * 60;
    const xs = timeline.demandAsItWas.map((_, i) => timeline.t0 / 1000 + i * step);
    const others = (timeline.policies ?? []).slice(1);
    this.showPolicySeries(others.map((p) => p.policy));
    const data: uPlot.AlignedData = [
      xs,
      timeline.demandAsItWas,
      timeline.demandWhatIf,
      timeline.inServiceAsItWas,
      timeline.inServiceWhatIf,
      ...others.map((p) => p.inServiceWhatIf),
    ];
    this.forecastFrom = timeline.forecastFrom === undefined ? undefined : timeline.forecastFrom / 1000;
    const chartEl = byId('scenario-chart');
    byId('scenario-result').hidden = false;
    this.chart.setSize({ width: Math.max(320, chartEl.clientWidth), height: 280 });
    this.chart.setData(data);
    chartEl.dataset.points = String(valueCount(data, 2));
    chartEl.dataset.policies = String(1 + others.length);
    if (timeline.forecastFrom === undefined) delete chartEl.dataset.forecastFrom;
    else chartEl.dataset.forecastFrom = String(timeline.forecastFrom);
    byId('scenario-window').textContent =
      `Replayed from ${formatTime(timeline.t0)}, in ${timeline.stepMinutes}-minute slots` +
      (timeline.forecastFrom === undefined
        ? '.'
        : `; from ${formatTime(timeline.forecastFrom)} on (shaded), the twin's forecast.`);
    this.fillScores(result.asItWas, result.whatIf);
    this.fillVerdicts(result);
  }

  /** One extra line per policy after the first: its instances in service under the what-if. */
  private showPolicySeries(names: string[]): void {
    for (let i = this.chart.series.length - 1; i >= FIXED_SERIES; i--) this.chart.delSeries(i);
    names.forEach((name, i) => {
      this.chart.addSeries({
        label: `in service what-if: ${name}`,
        scale: 'instances',
        stroke: POLICY_COLORS[i % POLICY_COLORS.length],
        width: 1.5,
        paths: uPlot.paths.stepped?.({ align: 1 }),
      });
    });
  }

  private shadeForecast(u: uPlot): void {
    if (this.forecastFrom === undefined) return;
    const { left, top, width, height } = u.bbox;
    const from = Math.max(left, u.valToPos(this.forecastFrom, 'x', true));
    if (from >= left + width) return;
    u.ctx.save();
    u.ctx.fillStyle = FORECAST_SHADE;
    u.ctx.fillRect(from, top, left + width - from, height);
    u.ctx.restore();
  }

  private fillVerdicts(result: ScenarioResult): void {
    const slo = result.slo;
    byId('scenario-slo').textContent = slo
      ? `SLO: at most ${formatNumber(slo.budgetMinutes, 0)} breach minutes under the what-if` +
        (slo.maxBreachMinutes === undefined && slo.maxBreachPct === undefined
          ? ' (the default: 1 % of the minutes).'
          : '.')
      : 'This scenario was stored before verdicts were made.';
    const list = byId<HTMLUListElement>('scenario-verdicts');
    list.replaceChildren(
      ...(result.verdicts ?? []).map((v) =>
        h(
          'li',
          { 'data-policy': v.policy, 'data-holds': String(v.holds), class: v.holds ? 'holds' : 'fails' },
          verdictText(v),
        ),
      ),
    );
  }

  private fillScores(asItWas: PolicyOutcome[], whatIf: PolicyOutcome[]): void {
    const policies = asItWas.map((o) => o.policy);
    const head = byId('scenario-scores-head');
    head.replaceChildren(
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'score'),
        ...policies.flatMap((p) => [
          h('th', { scope: 'col' }, `${p}: as it was`),
          h('th', { scope: 'col' }, `${p}: what-if`),
        ]),
      ),
    );
    const scoresOf = (list: PolicyOutcome[], policy: string) => list.find((o) => o.policy === policy)?.scores;
    const rows = SCORE_ROWS.map(({ key, label, digits, worseWhenHigher }) =>
      h(
        'tr',
        { 'data-score': key },
        h('th', { scope: 'row' }, label),
        ...policies.flatMap((p) => {
          const before = scoresOf(asItWas, p)?.[key];
          const after = scoresOf(whatIf, p)?.[key];
          const worse =
            worseWhenHigher && typeof before === 'number' && typeof after === 'number' && after > before;
          return [
            h('td', { class: 'num' }, formatNumber(before, digits)),
            h('td', { class: worse ? 'num worse' : 'num' }, formatNumber(after, digits)),
          ];
        }),
      ),
    );
    fillTable(byId<HTMLTableSectionElement>('scenario-scores-body'), rows, 'The scenario gave no scores.');
  }
}
