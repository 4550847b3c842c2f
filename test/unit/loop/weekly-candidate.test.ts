import {
  beatsOnValidation,
  WEEKLY_SHADOW_ID,
  withWeeklyCandidate,
} from '../../../layers/core/loop/weekly-candidate.js';
import { type Twin, TwinSchema } from '../../../layers/core/twin/twin.js';

const AT = '2026-11-22T03:00:00.000Z';
const twin = (shadows: Twin['shadows'] = []): Twin =>
  TwinSchema.parse({
    id: 'web',
    target: { kind: 'asg', autoScalingGroupName: 'web' },
    metrics: [],
    policy: {},
    source: 'registered',
    shadows,
    version: 1,
    createdAt: AT,
    updatedAt: AT,
  });
const settings = {
  quantile: 0.8,
  targetUtilization: 0.7,
  headroom: 0.05,
  stabilizationMinutes: 20,
  maxStep: 8,
};
const shadow = (id: string) => ({ id, policy: { quantile: 0.95 }, addedAt: AT });

test('the bar on held-out days: cheaper at no more breaches, or fewer breaches at no more cost', () => {
  const current = { instanceHours: 100, breachMinutes: 10 };
  expect(beatsOnValidation({ instanceHours: 90, breachMinutes: 10 }, current)).toBe(true);
  expect(beatsOnValidation({ instanceHours: 100, breachMinutes: 9 }, current)).toBe(true);
  expect(beatsOnValidation({ instanceHours: 90, breachMinutes: 11 }, current)).toBe(false);
  expect(beatsOnValidation({ instanceHours: 101, breachMinutes: 0 }, current)).toBe(false);
  expect(beatsOnValidation(current, current)).toBe(false);
});

test('a result that beat the live policy runs in shadow, replacing last week’s and keeping a person’s candidates', () => {
  const found = {
    settings,
    validation: { instanceHours: 80, breachMinutes: 3 },
    currentValidation: { instanceHours: 100, breachMinutes: 3 },
  };
  const shadows = withWeeklyCandidate(twin([shadow('mine'), shadow(WEEKLY_SHADOW_ID)]), found, AT);
  expect(shadows?.map((s) => s.id)).toEqual(['mine', WEEKLY_SHADOW_ID]);
  expect(shadows?.[1]).toMatchObject({ policy: settings, addedAt: AT, addedBy: 'weekly-optimization' });
  expect(shadows?.[1].note).toMatch(
    /80\.0 instance-hours and 3 breach minutes, against the live policy's 100\.0 and 3/,
  );
  // a result that did not beat it proposes nothing
  expect(
    withWeeklyCandidate(twin(), { ...found, validation: { instanceHours: 80, breachMinutes: 4 } }, AT),
  ).toBeUndefined();
  // no room: five candidates of people's own stay as they are
  expect(withWeeklyCandidate(twin(['a', 'b', 'c', 'd', 'e'].map(shadow)), found, AT)).toBeUndefined();
});
