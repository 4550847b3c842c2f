import { costReport, runCostTrack } from '../../local/bench/cost-track.js';

const quiet = { tick: () => {}, done: () => {} };

describe('cost benchmark', () => {
  test('meters the runtime’s DynamoDB calls: every cycle writes and reads, and decisions are counted', async () => {
    const { json } = await runCostTrack({ days: 12 / 288, utilizationEveryMinutes: 60 }, quiet);
    expect(json.measured.cycles).toBe(12);
    expect(json.measured.twins).toBe(3);
    // every twin appends its samples every cycle, and writes a forecast and a decision
    expect(json.measured.byCall.chunkWrites.calls).toBe(36);
    expect(json.measured.byCall.otherWrites.perTwinCycle).toBeGreaterThanOrEqual(3);
    expect(json.measured.readUnitsPerTwinCycle).toBeGreaterThan(1);
    expect(Object.values(json.measured.decisions).reduce((a, b) => a + b, 0)).toBe(36);
  }, 120_000);

  test('prices measured units with the list prices: the arithmetic of the README', () => {
    const { json } = costReport({
      o: { days: 1, utilizationEveryMinutes: 60 },
      twins: 2,
      cycles: 10,
      meter: {
        chunkWrites: { calls: 20, units: 24 },
        otherWrites: { calls: 60, units: 60 },
        queries: { calls: 40, units: 50 },
        gets: { calls: 40, units: 50 },
      },
      actions: { none: 15, scaled: 5 },
    });
    // 8,640 load reads and 720 CPU reads a month, at $0.01 per 1,000
    expect(json.perTwinMonthly.GetMetricData).toBeCloseTo(0.0936, 4);
    // (1.2 + 3 + 1.2 / 12) WRU × 8,640 × $0.625 per million
    expect(json.measured.writeUnitsPerTwinCycle).toBeCloseTo(4.3, 4);
    expect(json.perTwinMonthly['DynamoDB writes']).toBeCloseTo(4.3 * 8640 * 0.625e-6, 4);
    expect(json.perTwinMonthly['DynamoDB reads']).toBeCloseTo(5 * 8640 * 0.125e-6, 4);
    expect(json.measured.changedCapacity).toBe(0.25);
    expect(json.fixedMonthly).toBeCloseTo(8.56, 1);
    const [hundred, tenThousand] = json.fleets;
    expect(hundred.monthly).toBeCloseTo(100 * json.perTwin + json.fixedMonthly, 1);
    expect(tenThousand.perTwin).toBeCloseTo(json.perTwin + json.fixedMonthly / 10_000, 3);
  });
});
