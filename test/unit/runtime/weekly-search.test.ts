import { weeklySearchBetween } from '../../../local/runtime/runtime.js';

const at = (iso: string) => Date.parse(iso);

test('the local runtime starts the weekly policy search when its clock passes Sunday 03:00 UTC, once', () => {
  // 2026-11-08 is a Sunday
  expect(weeklySearchBetween(at('2026-11-08T02:55:00Z'), at('2026-11-08T03:00:00Z'))).toBe(
    '2026-11-08T03:00:00.000Z',
  );
  expect(weeklySearchBetween(at('2026-11-08T03:00:00Z'), at('2026-11-08T03:05:00Z'))).toBeUndefined();
  expect(weeklySearchBetween(at('2026-11-07T03:00:00Z'), at('2026-11-07T03:05:00Z'))).toBeUndefined();
  expect(weeklySearchBetween(at('2026-11-15T02:58:00Z'), at('2026-11-15T03:03:00Z'))).toBe(
    '2026-11-15T03:00:00.000Z',
  );
});
