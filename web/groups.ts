import { type CapacityPlan, callApi, type GroupHour, type GroupList, type GroupView } from './api.js';
import { byId, fillTable, formatNumber, formatTime, h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 480;
const H = 120;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/**
 * The group's band over the next day: p10–p90 shaded, p50 as a line, and the naive band's top
 * (the members' p90s summed) dashed, so the narrowing the dependence gives shows at a glance.
 */
function bandChart(hours: GroupHour[]): SVGSVGElement {
  const top = Math.max(1e-9, ...hours.map((x) => Math.max(x.p90, x.sumOfP90)));
  const x = (i: number) => 4 + (i * (W - 8)) / Math.max(1, hours.length - 1);
  const y = (v: number) => H - 4 - (v / top) * (H - 8);
  const line = (f: (x: GroupHour) => number) => hours.map((p, i) => `${x(i)},${y(f(p))}`).join(' ');
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    width: W,
    height: H,
    role: 'img',
    'data-testid': 'group-band',
  });
  const title = svg('title', {});
  title.textContent =
    'Group forecast for the next day: p10–p90 band, p50, and the sum of the members’ p90s (dashed)';
  root.append(
    title,
    svg('polygon', {
      points: `${line((p) => p.p90)} ${hours
        .map((p, i) => `${x(i)},${y(p.p10)}`)
        .reverse()
        .join(' ')}`,
      class: 'band',
    }),
    svg('polyline', { points: line((p) => p.p50), class: 'median' }),
    svg('polyline', { points: line((p) => p.sumOfP90), class: 'naive' }),
  );
  root.dataset.points = String(hours.length);
  return root;
}

/** Whether the plan's last hour is before the hour the group's forecast starts at (the clock's). */
const planOver = (plan: CapacityPlan, firstHour: string | undefined): boolean => {
  const last = plan.hours.at(-1)?.hour;
  return last !== undefined && firstHour !== undefined && Date.parse(last) < Date.parse(firstHour);
};

/** The plan as hours × instance types, with each hour's capacity and cost. */
function planTable(plan: CapacityPlan): HTMLElement {
  const types = [...new Set(plan.hours.flatMap((x) => Object.keys(x.counts)))].sort();
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col' }, 'hour (UTC)'),
    ...types.map((t) => h('th', { scope: 'col' }, t)),
    h('th', { scope: 'col' }, 'capacity'),
    h('th', { scope: 'col' }, 'needed'),
    h('th', { scope: 'col' }, `cost (${plan.currency})`),
  );
  const body = h('tbody', {});
  fillTable(
    body,
    plan.hours.map((x) =>
      h(
        'tr',
        {},
        h('td', {}, formatTime(x.hour, false)),
        ...types.map((t) => h('td', {}, String(x.counts[t] ?? 0))),
        h('td', {}, formatNumber(x.capacity, 2)),
        h('td', {}, formatNumber(x.required, 2)),
        h('td', {}, formatNumber(x.cost, 3)),
      ),
    ),
    'no hours',
  );
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', { 'data-testid': 'plan-table', 'data-status': plan.status }, h('thead', {}, head), body),
  );
}

function planSummary(plan: CapacityPlan): string {
  const at = plan.check.scenarios.at(-1);
  const single = plan.singleType
    ? `; one type alone (${plan.singleType.type}): ${formatNumber(plan.singleType.cost, 2)}`
    : '';
  return (
    `${plan.status === 'recommended' ? 'Recommended' : 'Failed the simulator check'}: ` +
    `p${Math.round(plan.quantile * 100)} at ${Math.round(plan.targetUtilization * 100)} % utilization, ` +
    `${formatNumber(plan.cost, 2)} ${plan.currency} for the day${single}. ` +
    `Simulated at ${at?.scenario ?? '—'}: ${at?.breachMinutes ?? '—'} breach minutes, least headroom ${formatNumber(at?.minHeadroomPct, 0)} %. ` +
    `Planned ${formatTime(plan.at)}.`
  );
}

function groupBlock(g: GroupView, plan: (tenant: string) => void): HTMLElement {
  const f = g.forecast;
  const corr = f?.correlation;
  const rho = corr && corr.matrix.length > 1 ? corr.matrix.flatMap((row, i) => row.slice(i + 1)) : [];
  const facts = [
    `${g.members.length} member${g.members.length === 1 ? '' : 's'}: ${g.members.map((m) => m.id).join(', ')}`,
    `last day ${formatNumber(g.cost.instanceHours, 1)} instance-hours, ${formatNumber(g.cost.cost, 2)} ${g.cost.currency}`,
    `SLO: ${g.slo.breachMinutes} breach minutes, ${formatNumber(g.slo.unservedPct, 2)} % unserved`,
    rho.length
      ? `residual correlation ${rho.map((r) => formatNumber(r, 2)).join(', ')} (${corr?.method})`
      : '',
  ].filter(Boolean);
  const button = h('button', { type: 'button', 'data-testid': 'plan-button' }, 'Plan the next day');
  button.addEventListener('click', () => plan(g.tenant));
  return h(
    'article',
    { class: 'group', 'data-testid': 'group', 'data-tenant': g.tenant },
    h('h3', {}, g.tenant),
    h('p', { class: 'summary' }, facts.join(' · ')),
    f
      ? h(
          'figure',
          {},
          h(
            'figcaption',
            {},
            `Next day from ${formatTime(f.firstHour)}, hourly peaks in reference instances`,
          ),
          bandChart(f.hours),
        )
      : h('p', { class: 'summary' }, g.forecastProblem ?? 'no forecast yet'),
    button,
    g.latestPlan
      ? h(
          'div',
          {},
          h(
            'p',
            { class: 'summary', 'data-testid': 'plan-summary' },
            planOver(g.latestPlan, f?.firstHour)
              ? `Past: this plan's day is over (plan the next day again). ${planSummary(g.latestPlan)}`
              : planSummary(g.latestPlan),
          ),
          planTable(g.latestPlan),
        )
      : h('p', { class: 'summary' }, 'No capacity plan yet.'),
  );
}

/**
 * The Groups panel: each tenant group's forecast band, cost, SLO and latest capacity plan. A group
 * view forecasts every member a day ahead, so the panel refreshes slowly and after each plan.
 */
export class GroupsPanel {
  private busy = false;

  async refresh(): Promise<void> {
    const list = await callApi<GroupList>('GET', '/groups');
    const root = byId('groups');
    if (list.items.length === 0) {
      root.replaceChildren(
        h(
          'p',
          { class: 'summary' },
          `No tenant groups: tag twins with ${list.tagKey} (PUT /twins/{id}/tags).`,
        ),
      );
      return;
    }
    const views = await Promise.all(
      list.items.map((g) => callApi<GroupView>('GET', `/groups/${encodeURIComponent(g.tenant)}`)),
    );
    root.replaceChildren(...views.map((v) => groupBlock(v, (t) => void this.plan(t))));
  }

  private async plan(tenant: string): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    const status = byId('groups-status');
    status.textContent = `Planning ${tenant}…`;
    try {
      await callApi('POST', `/groups/${encodeURIComponent(tenant)}/capacity-plan`, {});
      status.textContent = '';
      await this.refresh();
    } catch (e) {
      status.textContent = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }
}
