import { actuate, clampToSafety } from '../../../layers/core/act/actuate.js';
import type { ScalingTarget, TargetState } from '../../../layers/core/act/scaling-target.js';

const req = (desired: number, over = {}) => ({
  twinId: 'web',
  decisionId: 'web:1',
  target: { kind: 'asg' as const, autoScalingGroupName: 'web' },
  desired,
  maxStep: 5,
  ...over,
});
const state: TargetState = { capacity: 10, running: 10, min: 2, max: 30, managed: true };

describe('clampToSafety', () => {
  test.each([
    [12, {}, 12, undefined],
    [40, {}, 15, 'max-step'],
    [0, {}, 5, 'max-step'],
    [12, { maxInstances: 11 }, 11, 'max'],
    [8, { minInstances: 9 }, 9, 'min'],
  ])('desired %d with %j → %d (%s)', (desired, over, to, boundBy) => {
    expect(clampToSafety(req(desired, over), state)).toEqual({ to, boundBy });
  });

  test('bounds that leave nothing allowed are refused, naming both', () => {
    expect(() => clampToSafety(req(8, { minInstances: 31 }), state)).toThrow(
      /lower bound 31 is above the upper bound 30[\s\S]*lower the policy’s minInstances/,
    );
  });

  test('the target’s own bounds win over a wider policy', () => {
    expect(clampToSafety(req(33, { maxStep: 100, maxInstances: 50 }), state)).toEqual({
      to: 30,
      boundBy: 'max',
    });
    expect(clampToSafety(req(0, { maxStep: 100 }), state)).toEqual({ to: 2, boundBy: 'min' });
  });
});

describe('actuate', () => {
  const calls: string[] = [];
  const target = (s: TargetState): ScalingTarget => ({
    describe: async () => {
      calls.push('describe');
      return s;
    },
    setCapacity: async (_, c) => {
      calls.push(`set ${c}`);
    },
  });
  beforeEach(() => calls.splice(0));

  test('sets the clamped capacity, or nothing when it is already there', async () => {
    const ports = { target: target(state), controls: async () => ({ actuationPaused: false }) };
    await expect(actuate(req(13), ports)).resolves.toEqual({
      action: 'scaled',
      from: 10,
      to: 13,
      message: '10 → 13',
    });
    await expect(actuate(req(10), ports)).resolves.toMatchObject({ action: 'none' });
    expect(calls).toEqual(['describe', 'set 13', 'describe']);
  });

  test('refuses an untagged target and calls nothing that changes it', async () => {
    const ports = {
      target: target({ ...state, managed: false }),
      controls: async () => ({ actuationPaused: false }),
    };
    await expect(actuate(req(13), ports)).rejects.toThrow('not tagged twinscale:managed=true');
    expect(calls).toEqual(['describe']);
  });
});
