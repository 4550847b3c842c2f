import type { DecisionReason } from './types.js';

/** What the guardrails need besides the planned capacity (ARCHITECTURE.md, "Safety rules"). */
export interface GuardrailInput {
  planned: number;
  /** What the reactive rule asks for now: the last observed demand at the target utilization. */
  reactiveFloor: number;
  /** The largest capacity asked for (plan or floor) within the stabilization window, this one excluded. */
  recentAsk: number;
  /** The previous decision, undefined for the first. */
  previous: number | undefined;
  maxStep: number;
  minInstances: number;
  maxInstances: number;
}

export interface Guarded {
  desired: number;
  boundBy: DecisionReason['boundBy'];
}

/**
 * The safety rules, in order of precedence (later ones win): the reactive floor, the
 * stabilization window (scale in only after the ask stayed low for the whole window), the max
 * step per decision, then the bounds. Each decision says which rule set its number.
 */
export function applyGuardrails(g: GuardrailInput): Guarded {
  const previous = Number.isFinite(g.previous) ? g.previous : undefined;
  // A NaN plan (a NaN forecast, a capacity per instance of 0) says nothing: hold where the fleet
  // is. ±Infinity keeps its direction: the max step and the bounds cut it down.
  let desired = Number.isNaN(g.planned) ? (previous ?? g.minInstances) : g.planned;
  let boundBy: Guarded['boundBy'] = 'plan';
  // a NaN floor or ask compares false, so it is ignored
  if (g.reactiveFloor > desired) {
    desired = g.reactiveFloor;
    boundBy = 'reactive-floor';
  }
  if (previous !== undefined && desired < previous && g.recentAsk > desired) {
    desired = Math.min(previous, g.recentAsk);
    boundBy = 'stabilization';
  }
  if (previous !== undefined && Math.abs(desired - previous) > g.maxStep) {
    desired = previous + Math.sign(desired - previous) * g.maxStep;
    boundBy = 'max-step';
  }
  // whole instances; a fraction rounds up, still within the step (previous + maxStep is whole); no -0
  desired = Math.ceil(desired) + 0;
  if (desired < g.minInstances) return { desired: g.minInstances, boundBy: 'min-instances' };
  if (desired > g.maxInstances) return { desired: g.maxInstances, boundBy: 'max-instances' };
  return { desired, boundBy };
}
