import { ApiCallError } from './api.js';
import { byId, h } from './dom.js';

/**
 * The page's error list: one entry per source (a panel, a refresh), replaced when that source fails
 * again and removed when it next succeeds, so a passing hiccup does not stay on screen.
 */
const current = new Map<string, string>();

function render(): void {
  const list = byId<HTMLUListElement>('errors');
  list.replaceChildren(
    ...[...current].map(([source, message]) => h('li', { 'data-source': source }, message)),
  );
  list.hidden = current.size === 0;
}

/** The message to show: the API's own sentence and, when it named fields, each field's problem. */
export function describeError(e: unknown): string {
  if (e instanceof ApiCallError && e.problems.length > 1)
    return `${e.message} (${e.problems.map((p) => `${p.field}: ${p.message}`).join('; ')})`;
  return e instanceof Error ? e.message : String(e);
}

export function reportError(source: string, e: unknown): void {
  current.set(source, describeError(e));
  render();
}

export function clearError(source: string): void {
  if (current.delete(source)) render();
}
