import { CapacityFitError, fitCapacityModel, planningCapacity } from '../../../layers/core/twin/capacity.js';

/** A fleet with known capacity: CPU = idle + (100 − idle) × load per instance / k, bending at a knee. */
function syntheticFleet(o: { k: number; idle: number; knee?: number; n?: number; outliers?: number }) {
  let seed = 11;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const n = o.n ?? 2000;
  const load = new Float64Array(n);
  const instances = new Float64Array(n);
  const cpu = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    instances[i] = 2 + Math.floor(rand() * 9);
    const perInstance = o.k * (0.05 + 0.9 * rand());
    load[i] = perInstance * instances[i];
    let u = o.idle + ((100 - o.idle) * perInstance) / o.k;
    if (o.knee !== undefined && u > o.knee) u = o.knee + 0.15 * (u - o.knee);
    cpu[i] = u + (rand() - 0.5) * 4;
  }
  for (let j = 0; j < (o.outliers ?? 0); j++) cpu[Math.floor(rand() * n)] = 100 * rand();
  return { load, instances, cpu };
}

describe('Function: fitCapacityModel', () => {
  it('recovers capacity and idle cost of a linear fleet, with an interval that covers the truth', () => {
    const f = syntheticFleet({ k: 50, idle: 8 });
    const m = fitCapacityModel(f.load, f.instances, f.cpu);
    expect(m.capacityPerInstance).toBeGreaterThan(49);
    expect(m.capacityPerInstance).toBeLessThan(51);
    expect(m.interval[0]).toBeLessThan(50);
    expect(m.interval[1]).toBeGreaterThan(50);
    expect(m.idleUtilization).toBeCloseTo(8, 0);
    expect(m.kneeUtilization).toBeNull();
  });

  it('finds the knee where utilization stops following load, and is not fooled by outliers', () => {
    const f = syntheticFleet({ k: 120, idle: 5, knee: 80, outliers: 60 });
    const m = fitCapacityModel(f.load, f.instances, f.cpu);
    expect(Math.abs(m.capacityPerInstance - 120) / 120).toBeLessThan(0.04);
    expect(m.kneeUtilization).not.toBeNull();
    expect(Math.abs((m.kneeUtilization ?? 0) - 80)).toBeLessThan(8);
  });

  it('says why when the metrics cannot tell capacity', () => {
    const flat = syntheticFleet({ k: 50, idle: 8 });
    flat.load.fill(100);
    flat.instances.fill(4);
    expect(() => fitCapacityModel(flat.load, flat.instances, flat.cpu)).toThrow(CapacityFitError);
    expect(() => fitCapacityModel([1, 2], [1, 1], [3, 4])).toThrow('needs at least 30');
    expect(() => fitCapacityModel([1, 2], [1], [3, 4])).toThrow('aligned');
  });
});

describe('Function: planningCapacity', () => {
  it('plans with the low end of the learned interval, or the configured capacity without a model', () => {
    const m = fitCapacityModel(
      ...(Object.values(syntheticFleet({ k: 50, idle: 8 })) as [Float64Array, Float64Array, Float64Array]),
    );
    expect(planningCapacity(m, 10)).toBe(m.interval[0]);
    expect(planningCapacity(undefined, 10)).toBe(10);
  });
});
