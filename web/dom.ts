/** Small DOM and formatting helpers the panels share. */

/** An element the page's HTML must have: a missing id is a bug in index.html, said at once. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html has no element with id "${id}"`);
  return found as T;
}

/** An element with text or children; attributes as given. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** `2026-11-04 09:40 UTC`: trace time, as the runtime's clock keeps it. */
export function formatTime(t: number | string, withZone = true): string {
  const ms = typeof t === 'string' ? Date.parse(t) : t;
  if (!Number.isFinite(ms)) return '—';
  const text = new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  return withZone ? `${text} UTC` : text;
}

/** A number for a table cell: `—` when absent, at most `digits` decimals. */
export function formatNumber(v: unknown, digits = 1): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** A table body from rows of cells, or one row saying there is nothing. */
export function fillTable(tbody: HTMLTableSectionElement, rows: HTMLTableRowElement[], empty: string): void {
  if (rows.length === 0) {
    const columns = tbody.closest('table')?.querySelectorAll('thead th').length ?? 1;
    rows = [h('tr', { class: 'none' }, h('td', { colspan: String(columns) }, empty))];
  }
  tbody.replaceChildren(...rows);
}
