import { applyGuardrails, type GuardrailInput } from '../../../layers/core/policy/guardrails.js';

const base: GuardrailInput = {
  planned: 10,
  reactiveFloor: 5,
  recentAsk: 0,
  previous: 10,
  maxStep: 100,
  minInstances: 1,
  maxInstances: 400,
};

describe('Function: applyGuardrails', () => {
  it('passes the plan through when no rule binds', () => {
    expect(applyGuardrails(base)).toEqual({ desired: 10, boundBy: 'plan' });
  });

  it('never goes below what the reactive rule asks now', () => {
    expect(applyGuardrails({ ...base, planned: 8, reactiveFloor: 14 })).toEqual({
      desired: 14,
      boundBy: 'reactive-floor',
    });
  });

  it('scales in only after the ask stayed low for the stabilization window', () => {
    // asked 9 within the window: hold there rather than drop to 6
    expect(applyGuardrails({ ...base, planned: 6, recentAsk: 9 })).toEqual({
      desired: 9,
      boundBy: 'stabilization',
    });
    // the window's asks were all low: scale in
    expect(applyGuardrails({ ...base, planned: 6, recentAsk: 6 })).toEqual({ desired: 6, boundBy: 'plan' });
    // never holds above the previous decision
    expect(applyGuardrails({ ...base, planned: 6, recentAsk: 30 })).toEqual({
      desired: 10,
      boundBy: 'stabilization',
    });
  });

  it('moves at most maxStep per decision, both ways', () => {
    expect(applyGuardrails({ ...base, planned: 50, maxStep: 5 })).toEqual({
      desired: 15,
      boundBy: 'max-step',
    });
    expect(applyGuardrails({ ...base, planned: 2, reactiveFloor: 1, maxStep: 3 })).toEqual({
      desired: 7,
      boundBy: 'max-step',
    });
  });

  it('keeps the bounds above every other rule', () => {
    expect(applyGuardrails({ ...base, planned: 500, reactiveFloor: 600, maxStep: 1000 })).toEqual({
      desired: 400,
      boundBy: 'max-instances',
    });
    expect(
      applyGuardrails({ ...base, planned: 0, reactiveFloor: 0, previous: undefined, minInstances: 2 }),
    ).toEqual({
      desired: 2,
      boundBy: 'min-instances',
    });
  });
});
