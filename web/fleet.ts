import { type Controls, callApi, type Drift, type Graph, type Violation } from './api.js';
import { byId, fillTable, formatNumber, formatTime, h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const NODE_W = 150;
const NODE_H = 34;
const COLUMN_GAP = 70;
const ROW_GAP = 18;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Each node's column: callers left of what they call (the longest chain of callers before it).
 * A cycle stops growing after as many rounds as there are nodes.
 */
export function graphColumns(graph: Graph): Map<string, number> {
  const column = new Map(graph.nodes.map((n) => [n.id, 0]));
  for (let round = 0; round < graph.nodes.length; round++) {
    let moved = false;
    for (const e of graph.edges) {
      const next = (column.get(e.from) ?? 0) + 1;
      if (next > (column.get(e.to) ?? 0) && next < graph.nodes.length) {
        column.set(e.to, next);
        moved = true;
      }
    }
    if (!moved) break;
  }
  return column;
}

/** The dependency graph as an SVG (a caller's arrow points at what it calls) and as a list of edges. */
export function drawGraph(graph: Graph, selected: string | undefined, select: (id: string) => void): void {
  const columns = graphColumns(graph);
  const rows = new Map<number, number>();
  const at = new Map<string, { x: number; y: number }>();
  for (const n of [...graph.nodes].sort((a, b) => a.id.localeCompare(b.id))) {
    const c = columns.get(n.id) ?? 0;
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    at.set(n.id, { x: 10 + c * (NODE_W + COLUMN_GAP), y: 10 + r * (NODE_H + ROW_GAP) });
  }
  const width =
    20 + Math.max(1, ...[...columns.values()].map((c) => c + 1)) * (NODE_W + COLUMN_GAP) - COLUMN_GAP;
  const height = 20 + Math.max(1, ...rows.values()) * (NODE_H + ROW_GAP) - ROW_GAP;

  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img' });
  root.append(
    svg('title', {}, `Dependency graph: ${graph.nodes.length} services, ${graph.edges.length} dependencies`),
  );
  const defs = svg('defs', {});
  const arrow = svg('marker', {
    id: 'arrow',
    viewBox: '0 0 10 10',
    refX: 10,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto-start-reverse',
  });
  arrow.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow' }));
  defs.append(arrow);
  root.append(defs);
  for (const e of graph.edges) {
    const [a, b] = [at.get(e.from), at.get(e.to)];
    if (!a || !b) continue;
    root.append(
      svg('line', {
        x1: a.x + NODE_W,
        y1: a.y + NODE_H / 2,
        x2: b.x,
        y2: b.y + NODE_H / 2,
        class: 'edge',
        'marker-end': 'url(#arrow)',
      }),
    );
  }
  for (const n of graph.nodes) {
    const p = at.get(n.id) as { x: number; y: number };
    const classes = ['node', n.known ? 'known' : 'unknown', n.id === selected ? 'selected' : ''].join(' ');
    const g = svg('g', { class: classes, 'data-node': n.id, transform: `translate(${p.x},${p.y})` });
    g.append(svg('rect', { width: NODE_W, height: NODE_H, rx: 6 }));
    g.append(svg('text', { x: NODE_W / 2, y: NODE_H / 2 + 5, 'text-anchor': 'middle' }, n.id));
    if (n.known) {
      g.setAttribute('tabindex', '0');
      g.setAttribute('role', 'button');
      g.setAttribute('aria-label', `show ${n.id}`);
      g.addEventListener('click', () => select(n.id));
      g.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') select(n.id);
      });
    } else {
      g.append(svg('title', {}, `${n.id}: named as a dependency, not a twin`));
    }
    root.append(g);
  }
  byId('graph').replaceChildren(root);
  const edges = byId('graph-edges');
  edges.replaceChildren(
    ...(graph.edges.length
      ? graph.edges.map((e) => h('li', {}, `${e.from} calls ${e.to}`))
      : [h('li', { class: 'none' }, 'No dependencies between the twins.')]),
  );
}

export function fillDrift(items: Drift[]): void {
  const rows = items.map((d) =>
    h(
      'tr',
      {},
      h('td', {}, formatTime(d.at, false)),
      h('td', {}, d.twinId),
      h('td', {}, d.metric),
      h('td', { class: 'num' }, formatNumber(d.score, 2)),
      h('td', {}, d.status),
      h('td', {}, d.message),
    ),
  );
  fillTable(byId<HTMLTableSectionElement>('drift-body'), rows, 'None: every twin behaves like its service.');
}

export function fillViolations(items: Violation[]): void {
  const rows = items.map((v) =>
    h(
      'tr',
      {},
      h('td', {}, formatTime(v.at, false)),
      h('td', {}, v.twinId),
      h('td', { class: `severity ${v.severity}` }, v.severity),
      h('td', {}, v.rule),
      h('td', {}, v.message),
    ),
  );
  fillTable(byId<HTMLTableSectionElement>('violations-body'), rows, 'None: no policy rule was broken.');
}

/** The kill switch's state in the header, and the button that flips it. */
export function showKillSwitch(c: Controls): void {
  const state = byId('killswitch-state');
  state.dataset.paused = String(c.actuationPaused);
  state.textContent = c.actuationPaused
    ? `Actuation paused${c.reason ? `: ${c.reason}` : ''}`
    : 'Actuation live';
  byId('killswitch-toggle').textContent = c.actuationPaused ? 'Resume actuation' : 'Pause actuation';
}

export async function toggleKillSwitch(): Promise<Controls> {
  const now = await callApi<Controls>('GET', '/killswitch');
  const next = now.actuationPaused
    ? { actuationPaused: false }
    : { actuationPaused: true, reason: 'paused from the dashboard' };
  return callApi<Controls>('PUT', '/killswitch', next);
}
