import type uPlot from 'uplot';
import {
  callApi,
  type PolicyOutcome,
  type ScenarioResult,
  type ScenarioRun,
  type Scores,
  type WhatIfRequest,
} from './api.js';
import { scenarioChart, valueCount } from './charts.js';
import { byId, fillTable, formatNumber, formatTime, h } from './dom.js';
import { describeError } from './errors.js';

const POLL_MS = 500;
/** A day's scenario takes well under a second locally; a stuck one is reported rather than polled forever. */
const GIVE_UP_MS = 5 * 60_000;

/** The form's numbers as the API's scenario request; hours become the API's minutes. */
export function scenarioRequest(form: HTMLFormElement): WhatIfRequest {
  const value = (name: string) => {
    const input = form.elements.namedItem(name) as HTMLInputElement;
    return input.value.trim() === '' ? Number.NaN : Number(input.value);
  };
  const minute = (hours: number) => Math.round(hours * 60);
  const factor = value('surgeFactor');
  const lost = value('lostCount');
  return {
    days: value('days'),
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

/** The what-if form: posts a scenario, shows it running, then draws it over the baseline. */
export class WhatIfPanel {
  readonly chart: uPlot;
  private running = false;

  constructor(private readonly twinId: () => string | undefined) {
    this.chart = scenarioChart(byId('scenario-chart'));
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
        this.setStatus('running', `Replaying ${request.days} day(s) of ${twinId}… ${elapsed()}`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } catch (e) {
      this.setStatus('failed', describeError(e));
    } finally {
      this.running = false;
    }
  }

  private draw(result: ScenarioResult): void {
    const { timeline } = result;
    const step = timeline.stepMinutes * 60;
    const xs = timeline.demandAsItWas.map((_, i) => timeline.t0 / 1000 + i * step);
    const data: uPlot.AlignedData = [
      xs,
      timeline.demandAsItWas,
      timeline.demandWhatIf,
      timeline.inServiceAsItWas,
      timeline.inServiceWhatIf,
    ];
    byId('scenario-result').hidden = false;
    this.chart.setSize({ width: Math.max(320, byId('scenario-chart').clientWidth), height: 280 });
    this.chart.setData(data);
    byId('scenario-chart').dataset.points = String(valueCount(data, 2));
    byId('scenario-window').textContent =
      `Replayed from ${formatTime(timeline.t0)}, in ${timeline.stepMinutes}-minute slots.`;
    this.fillScores(result.asItWas, result.whatIf);
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
