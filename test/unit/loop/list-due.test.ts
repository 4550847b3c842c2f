import { listDueTwins } from '../../../layers/core/loop/list-due.js';
import type { TwinStore } from '../../../layers/core/store/twin-store.js';

/** A store holding `n` twins with the longest ids allowed, listed a page at a time like the real one. */
function storeOf(n: number): TwinStore {
  const ids = Array.from({ length: n }, (_, i) => `t${String(i).padStart(6, '0')}`.padEnd(128, 'x'));
  return {
    listTwins: async ({ limit = 100, cursor }: { limit?: number; cursor?: string } = {}) => {
      const from = Number(cursor ?? 0);
      const items = ids.slice(from, from + limit).map((id) => ({ id, metrics: [{ role: 'load' }] }));
      return { items, cursor: from + limit < n ? String(from + limit) : undefined };
    },
  } as unknown as TwinStore;
}

test('10,000 twins of 128-character ids fit the state machine’s 256 KB payload many times over', async () => {
  const listed = await listDueTwins(storeOf(10_000), Date.parse('2026-11-23T12:00:00Z'), 5);
  expect(listed.batches).toHaveLength(200);
  expect(listed.batches.reduce((n, b) => n + b.count, 0)).toBe(10_000);
  const bytes = Buffer.byteLength(JSON.stringify(listed));
  expect(bytes).toBeLessThan((256 * 1024) / 3);
});
