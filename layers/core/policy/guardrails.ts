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
  let desired = g.planned;
  let boundBy: Guarded['boundBy'] = 'plan';
  if (g.reactiveFloor > desired) {
    desired = g.reactiveFloor;
    boundBy = 'reactive-floor';
  }
  if (g.previous !== undefined && desired < g.previous && g.recentAsk > desired) {
    desired = Math.min(g.previous, g.recentAsk);
    boundBy = 'stabilization';
  }
  if (g.previous !== undefined && Math.abs(desired - g.previous) > g.maxStep) {
    desired = g.previous + Math.sign(desired - g.previous) * g.maxStep;
    boundBy = 'max-step';
  }
  if (desired < g.minInstances) return { desired: g.minInstances, boundBy: 'min-instances' };
  if (desired > g.maxInstances) return { desired: g.maxInstances, boundBy: 'max-instances' };
  return { desired, boundBy };
}
