import { inParallel } from '../../../layers/core/in-parallel.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('inParallel', () => {
  test('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await inParallel([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      most = Math.max(most, ++running);
      await tick();
      running--;
      done.push(n);
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  test('after an error starts nothing new, and throws only once the work under way has finished', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = inParallel([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      if (n === 1) throw new Error('boom');
      await tick();
      finished.push(n);
    });
    await expect(run).rejects.toThrow('boom');
    // item 2 was under way when 1 failed: it finished before the error came out; nothing after started
    expect(started).toEqual([1, 2]);
    expect(finished).toEqual([2]);
  });
});
