/**
 * The dashboard: the chosen twin's demand, forecast band, capacity and decisions on one time axis,
 * the what-if form, the dependency graph, drift and violations. It reads only the API, refreshes as
 * the runtime's clock moves, and takes every time from the data (trace time), never the browser.
 */
import type uPlot from 'uplot';
import {
  type Controls,
  callApi,
  type Drift,
  type Graph,
  type Page,
  type Twin,
  type Violation,
} from './api.js';
import { byId, formatTime, h } from './dom.js';
import { clearError, reportError } from './errors.js';
import { drawGraph, fillDrift, fillViolations, showKillSwitch, toggleKillSwitch } from './fleet.js';
import { GroupsPanel } from './groups.js';
import { readTwinData, TwinView } from './twin-view.js';
import { WhatIfPanel } from './what-if.js';

/** The runtime plans every 5 trace minutes; a few seconds keeps up at any replay speed worth watching. */
const TWIN_REFRESH_MS = 3_000;
const FLEET_REFRESH_MS = 5_000;
/** A group view forecasts each member a day ahead (a second or two): it refreshes slowly. */
const GROUPS_REFRESH_MS = 30_000;

/** What a browser test (or a curious person in the console) can read: the live uPlot instances. */
declare global {
  interface Window {
    twinscale: { charts: Record<'demand' | 'capacity' | 'scenario', uPlot>; refreshes: number };
  }
}

let twins: Twin[] = [];
let selected: string | undefined;
let graph: Graph | undefined;

const twinView = new TwinView();
const groups = new GroupsPanel();
const whatIf = new WhatIfPanel(() => selected);
window.twinscale = {
  charts: { demand: twinView.demand, capacity: twinView.capacity, scenario: whatIf.chart },
  refreshes: 0,
};

function select(id: string): void {
  const twin = twins.find((t) => t.id === id);
  if (!twin || id === selected) return;
  selected = id;
  byId<HTMLSelectElement>('twin-select').value = id;
  history.replaceState(null, '', `#twin=${encodeURIComponent(id)}`);
  twinView.clear(twin);
  whatIf.reset();
  if (graph) drawGraph(graph, selected, select);
  void refreshTwin();
}

function fillTwinSelect(): void {
  const selectEl = byId<HTMLSelectElement>('twin-select');
  const ids = twins.map((t) => t.id);
  if ([...selectEl.options].map((o) => o.value).join() !== ids.join())
    selectEl.replaceChildren(...ids.map((id) => h('option', { value: id }, id)));
  if (selected) selectEl.value = selected;
}

async function refreshTwins(): Promise<void> {
  try {
    const page = await callApi<Page<Twin>>('GET', '/twins?limit=100');
    twins = page.items;
    clearError('twins');
    fillTwinSelect();
    if (twins.length === 0) byId('twin-summary').textContent = 'No twins registered: POST /twins to add one.';
    const wanted = decodeURIComponent(/twin=([^&]+)/.exec(location.hash)?.[1] ?? '');
    if (!selected && twins.length) select(twins.some((t) => t.id === wanted) ? wanted : twins[0].id);
  } catch (e) {
    reportError('twins', e);
  }
}

let twinRefresh: Promise<void> | undefined;
let refreshAgain = false;

/**
 * One refresh of the chosen twin. Refreshes never overlap: one asked for while another runs (the
 * timer, or a newly chosen twin) runs right after it.
 */
function refreshTwin(): Promise<void> {
  if (twinRefresh) {
    refreshAgain = true;
    return twinRefresh;
  }
  twinRefresh = (async () => {
    const twin = twins.find((t) => t.id === selected);
    if (!twin) return;
    try {
      const data = await readTwinData(twin);
      if (twin.id !== selected) return; // another twin was chosen meanwhile: its refresh follows
      twinView.show(data);
      byId('clock').textContent = `Trace time ${formatTime(data.series.to)}`;
      byId('clock').dataset.t = String(data.series.to);
      clearError('twin');
      window.twinscale.refreshes++;
    } catch (e) {
      reportError('twin', e);
    }
  })().finally(() => {
    twinRefresh = undefined;
    if (refreshAgain) {
      refreshAgain = false;
      void refreshTwin();
    }
  });
  return twinRefresh;
}

/** The fleet-wide panels; each reports its own error so one failing does not blank the others. */
async function refreshFleet(): Promise<void> {
  const panel = async <T>(source: string, path: string, show: (v: T) => void) => {
    try {
      show(await callApi<T>('GET', path));
      clearError(source);
    } catch (e) {
      reportError(source, e);
    }
  };
  await Promise.all([
    refreshTwins(),
    panel<Graph>('graph', '/graph', (g) => {
      graph = g;
      drawGraph(g, selected, select);
    }),
    panel<{ items: Drift[] }>('drift', '/drift?limit=50', (r) => fillDrift(r.items)),
    panel<{ items: Violation[] }>('violations', '/violations?limit=50', (r) => fillViolations(r.items)),
    panel<Controls>('killswitch', '/killswitch', showKillSwitch),
  ]);
}

byId<HTMLSelectElement>('twin-select').addEventListener('change', (e) =>
  select((e.target as HTMLSelectElement).value),
);
byId('killswitch-toggle').addEventListener('click', async () => {
  try {
    showKillSwitch(await toggleKillSwitch());
    clearError('killswitch');
  } catch (e) {
    reportError('killswitch', e);
  }
});

async function refreshGroups(): Promise<void> {
  try {
    await groups.refresh();
    clearError('groups');
  } catch (e) {
    reportError('groups', e);
  }
}

await refreshFleet();
void refreshGroups();
setInterval(() => void refreshTwin(), TWIN_REFRESH_MS);
setInterval(() => void refreshFleet(), FLEET_REFRESH_MS);
setInterval(() => void refreshGroups(), GROUPS_REFRESH_MS);
