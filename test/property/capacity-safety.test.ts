import fc from 'fast-check';
import { actuate, clampToSafety } from '../../layers/core/act/actuate.js';
import { applyMix } from '../../layers/core/act/mixed-instances.js';
import type { ScalingTarget, TargetState } from '../../layers/core/act/scaling-target.js';
import { applyGuardrails } from '../../layers/core/policy/guardrails.js';
import { type LiveOutlook, planWithPolicy } from '../../layers/core/policy/live-plan.js';
import { Planner, TwinPolicySettingsSchema } from '../../layers/core/policy/twin-policy.js';
import type { PolicyView } from '../../layers/core/policy/types.js';
import { DEFAULT_PHYSICS } from '../../layers/core/simulate/physics.js';
import { TwinPolicyConfigSchema } from '../../layers/core/twin/twin.js';

/**
 * The safety rules (ARCHITECTURE.md) under every path that turns a number into capacity, fed the
 * numbers a broken forecast, metric or caller can produce: whatever comes in, capacity is a whole
 * number inside both sets of bounds and within the max step of where the fleet is, or exactly on
 * a bound when the fleet starts outside them.
 */

/** Numbers a forecaster, a metric or a caller may produce when something upstream is wrong. */
const adversarial = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    0,
    1e308,
    -1e308,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.EPSILON,
    -1,
  ),
  fc.double(),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.integer({ min: -1000, max: 1000 }),
);

/** Bounds that allow something, a policy's inside or across a target's, and a fleet anywhere (even outside). */
const fleet = fc
  .record({
    targetMin: fc.integer({ min: 0, max: 50 }),
    targetSpan: fc.integer({ min: 0, max: 200 }),
    policyMin: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
    policyMax: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
    capacity: fc.integer({ min: 0, max: 400 }),
    maxStep: fc.integer({ min: 1, max: 50 }),
  })
  .map((f) => ({ ...f, targetMax: f.targetMin + f.targetSpan }))
  .map((f) => ({
    ...f,
    lo: Math.max(f.targetMin, f.policyMin ?? 0),
    hi: Math.min(f.targetMax, f.policyMax ?? Number.POSITIVE_INFINITY),
  }))
  .filter((f) => f.lo <= f.hi);
type Fleet = typeof fleet extends fc.Arbitrary<infer F> ? F : never;

/** The safety property: a whole number, inside [lo, hi], within maxStep of `from` or exactly a bound. */
function expectSafe(to: number, f: Pick<Fleet, 'lo' | 'hi' | 'maxStep'>, from: number | undefined) {
  expect(Number.isInteger(to)).toBe(true);
  expect(Object.is(to, -0)).toBe(false);
  expect(to).toBeGreaterThanOrEqual(f.lo);
  expect(to).toBeLessThanOrEqual(f.hi);
  if (from === undefined) return;
  if (from < f.lo) expect(to - from <= f.maxStep || to === f.lo).toBe(true);
  else if (from > f.hi) expect(from - to <= f.maxStep || to === f.hi).toBe(true);
  else expect(Math.abs(to - from)).toBeLessThanOrEqual(f.maxStep);
}

const state = (f: Fleet): TargetState => ({
  capacity: f.capacity,
  running: f.capacity,
  min: f.targetMin,
  max: f.targetMax,
  managed: true,
});
const target = { kind: 'asg' as const, autoScalingGroupName: 'web' };
const request = (f: Fleet, desired: number) => ({
  twinId: 'web',
  decisionId: 'web:1',
  target,
  desired,
  maxStep: f.maxStep,
  ...(f.policyMin === undefined ? {} : { minInstances: f.policyMin }),
  ...(f.policyMax === undefined ? {} : { maxInstances: f.policyMax }),
});

/** A scaling target that records what it was asked to set. */
function recordingTarget(s: TargetState) {
  const set: number[] = [];
  const t: ScalingTarget = {
    describe: async () => ({ ...s, mixedInstances: [{ instanceType: 'm7g.large' }] }),
    setCapacity: async (_ref, n) => {
      set.push(n);
    },
    setMixedInstances: async (_ref, _w, n) => {
      set.push(n);
    },
  } as ScalingTarget;
  return { t, set };
}
const controls = async () => ({ actuationPaused: false });

describe('the safety rules under adversarial numbers', () => {
  test('applyGuardrails: any plan, floor or recent ask gives a whole number within the bounds and the max step', () => {
    fc.assert(
      fc.property(
        fleet,
        adversarial,
        adversarial,
        adversarial,
        fc.boolean(),
        (f, planned, reactiveFloor, recentAsk, first) => {
          const previous = first ? undefined : f.capacity;
          const { desired } = applyGuardrails({
            planned,
            reactiveFloor,
            recentAsk,
            previous,
            maxStep: f.maxStep,
            minInstances: f.lo,
            maxInstances: f.hi,
          });
          expectSafe(desired, f, previous);
        },
      ),
    );
  });

  test('planWithPolicy (live and shadow planning): any forecast, capacity per instance or observed demand', () => {
    const quantile = fc.double({ min: 0.5, max: 0.99, noNaN: true });
    fc.assert(
      fc.property(
        fleet,
        fc.array(adversarial, { minLength: 1, maxLength: 12 }),
        fc.array(adversarial, { minLength: 1, maxLength: 12 }),
        adversarial,
        adversarial,
        fc.array(adversarial, { maxLength: 3 }),
        quantile,
        (f, p50, p90, k, last, recentAsks, q) => {
          const now = 1_800_000_000_000;
          const outlook: LiveOutlook = {
            forecast: { t0: now, stepMs: 300_000, p10: p50, p50, p90: p90.slice(0, p50.length), model: 'x' },
            capacityPerInstance: k,
            lastObservedDemand: last,
          };
          const policy = TwinPolicyConfigSchema.parse({
            quantile: q,
            maxStep: f.maxStep,
            ...(f.policyMin === undefined ? {} : { minInstances: f.policyMin }),
            ...(f.policyMax === undefined ? {} : { maxInstances: f.policyMax }),
          });
          const d = planWithPolicy(outlook, {
            twin: { target },
            policy,
            target: state(f),
            previous: f.capacity,
            recentAsks,
            now,
            scheduleMinutes: 5,
          });
          expectSafe(d.desired, f, f.capacity);
        },
      ),
    );
  });

  test('the simulator’s twin planner: any forecast peak, observed demand or capacity per instance', () => {
    fc.assert(
      fc.property(
        fleet,
        adversarial,
        adversarial,
        adversarial,
        fc.option(fc.constantFrom(0.5, 0.9), { nil: null }),
        (f, peak, observed, k, quantile) => {
          const settings = TwinPolicySettingsSchema.parse({
            maxStep: f.maxStep,
            minInstances: f.lo,
            // a policy maximum is at least 1 (TwinPolicySettingsSchema): a zero one is the target's own
            maxInstances: Number.isFinite(f.hi) && f.hi > 0 ? f.hi : undefined,
          });
          const physics = { ...DEFAULT_PHYSICS, minInstances: f.lo, maxInstances: f.targetMax };
          const planner = new Planner(settings, { targetUtilization: 0.7, quantile });
          const outlook = { peak: () => peak, originFor: () => 0, model: 'x' };
          const view: PolicyView = {
            minute: 10,
            observed: Float64Array.of(1, 2, observed),
            inServiceAt: () => f.capacity,
            inService: f.capacity,
            warming: 0,
            previousDesired: f.capacity,
            capacityPerInstance: k,
            physics,
          };
          const bounds = { ...f, hi: Math.min(f.hi, f.targetMax) };
          expectSafe(planner.decide(view, outlook as never).desired, bounds, f.capacity);
        },
      ),
    );
  });

  test('clampToSafety: any desired capacity, from a fleet inside or outside its bounds', () => {
    fc.assert(
      fc.property(fleet, adversarial, (f, desired) => {
        expectSafe(clampToSafety(request(f, desired), state(f)).to, f, f.capacity);
      }),
    );
  });

  test('actuate (the actuator and the remediation’s scale step): what reaches the target is safe', async () => {
    await fc.assert(
      fc.asyncProperty(fleet, adversarial, async (f, desired) => {
        const { t, set } = recordingTarget(state(f));
        const r = await actuate(request(f, desired), { target: t, controls });
        for (const n of set) expectSafe(n, f, f.capacity);
        if (r.to !== undefined) expectSafe(r.to, f, f.capacity);
      }),
    );
  });

  test('applyMix (a capacity plan applied): what reaches the group is safe', async () => {
    await fc.assert(
      fc.asyncProperty(fleet, adversarial, async (f, desired) => {
        const { t, set } = recordingTarget(state(f));
        await applyMix(
          { ...request(f, desired), weights: [{ instanceType: 'm7g.large', weightedCapacity: 1 }] },
          { target: t, controls },
        );
        for (const n of set) expectSafe(n, f, f.capacity);
      }),
    );
  });
});

describe('the examples that got through before (regressions)', () => {
  const f = { lo: 2, hi: 30, maxStep: 5 };
  const guard = (planned: number, reactiveFloor = 0) =>
    applyGuardrails({
      planned,
      reactiveFloor,
      recentAsk: 0,
      previous: 10,
      maxStep: f.maxStep,
      minInstances: f.lo,
      maxInstances: f.hi,
    });

  test('a NaN plan (a NaN forecast, or a capacity per instance of 0) holds the fleet, it is not passed on as NaN', () => {
    expect(guard(Number.NaN).desired).toBe(10);
    // 0 demand over 0 capacity per instance is NaN: planWithPolicy's fleet held at its capacity
    const d = planWithPolicy(
      {
        forecast: { t0: 0, stepMs: 300_000, p10: [0], p50: [0], p90: [0], model: 'x' },
        capacityPerInstance: 0,
        lastObservedDemand: 0,
      },
      {
        twin: { target },
        policy: TwinPolicyConfigSchema.parse({ maxStep: 5 }),
        target: { capacity: 10, running: 10, min: 2, max: 30, managed: true },
        previous: 10,
        recentAsks: [],
        now: 0,
        scheduleMinutes: 5,
      },
    );
    expect(d.desired).toBe(10);
  });

  test('a NaN reactive floor is ignored; a fraction rounds up to whole instances', () => {
    expect(guard(12, Number.NaN).desired).toBe(12);
    expect(guard(11.2).desired).toBe(12);
  });

  test('the actuator holds a NaN desired capacity and rounds a fraction up; -0 becomes 0', () => {
    const s: TargetState = { capacity: 10, running: 10, min: 0, max: 30, managed: true };
    const r = (desired: number) => ({ ...request({ maxStep: 50 } as Fleet, desired) });
    expect(clampToSafety(r(Number.NaN), s).to).toBe(10);
    expect(clampToSafety(r(12.5), s).to).toBe(13);
    expect(Object.is(clampToSafety(r(-0), s).to, 0)).toBe(true);
  });
});
