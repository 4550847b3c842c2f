import {
  type InstanceCatalog,
  InstanceCatalogSchema,
  plannedTypes,
} from '../../../layers/core/groups/catalog.js';
import { capacityObservations, measureFromTwins } from '../../../layers/core/groups/measured-capacity.js';
import { type Twin, TwinSchema } from '../../../layers/core/twin/twin.js';
import { REQUEST_COUNT } from '../../../local/fixtures/twins.js';

const catalog = (types: { name: string; vCPU: number; relativeCapacity?: number }[], referenceType: string) =>
  InstanceCatalogSchema.parse({
    referenceType,
    types: types.map((t) => ({ memoryGiB: 4, pricePerHour: 0.05 * t.vCPU, ...t })),
  });

/** c7g.large the reference, nothing declared: every value is measured or from vCPUs. */
const C7G: InstanceCatalog = catalog(
  [
    { name: 'c7g.large', vCPU: 2 },
    { name: 'c7g.xlarge', vCPU: 4 },
    { name: 'c7g.2xlarge', vCPU: 8 },
  ],
  'c7g.large',
);

/** A twin on `type` with a capacity model fitted from its own load and CPU (the line: a slope). */
function twin(
  id: string,
  o: { family?: string; type?: string; capacity: number; fitted?: boolean; metricName?: string },
): Twin {
  return TwinSchema.parse({
    id,
    target: { kind: 'asg', autoScalingGroupName: id },
    metrics: [{ ...REQUEST_COUNT, ...(o.metricName ? { metricName: o.metricName } : {}) }],
    policy: {},
    capacityModel: {
      capacityPerInstance: o.capacity,
      low: o.capacity * 0.9,
      high: o.capacity * 1.1,
      fittedAt: '2026-11-20T00:00:00.000Z',
      ...(o.fitted === false ? {} : { idleUtilization: 5, utilizationPerLoad: 60 / o.capacity }),
    },
    source: 'registered',
    ...(o.family ? { family: o.family } : {}),
    ...(o.type ? { tags: { 'twinscale:instance-type': o.type } } : {}),
    version: 1,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
  });
}

const typeOf = (c: InstanceCatalog, twins: Twin[], name: string) =>
  plannedTypes(c, measureFromTwins(c, twins)).find((t) => t.name === name);

describe('Function: measureRelativeCapacities (relative capacity measured on the fleet)', () => {
  test('two twins of one family on c7g.large and c7g.xlarge, 100 and 190: xlarge measures 1.9', () => {
    // Prepare
    const twins = [
      twin('web-eu', { family: 'web', type: 'c7g.large', capacity: 100 }),
      twin('web-us', { family: 'web', type: 'c7g.xlarge', capacity: 190 }),
    ];

    // Act
    const xlarge = typeOf(C7G, twins, 'c7g.xlarge');
    const large = typeOf(C7G, twins, 'c7g.large');

    // Assess
    expect(xlarge).toMatchObject({
      relativeCapacity: 1.9,
      relativeCapacitySource: 'measured',
      relativeCapacityFrom: 'measured (2 twins in family web, against c7g.large)',
      measured: { twins: ['web-eu', 'web-us'], families: ['web'], against: ['c7g.large'] },
    });
    expect(large).toMatchObject({ relativeCapacity: 1, relativeCapacitySource: 'vcpu' });
  });

  test('different families do not mix: a large twin of one and an xlarge twin of another measure nothing', () => {
    const twins = [
      twin('web', { family: 'web', type: 'c7g.large', capacity: 100 }),
      twin('search', { family: 'search', type: 'c7g.xlarge', capacity: 40 }),
    ];

    expect(typeOf(C7G, twins, 'c7g.xlarge')).toMatchObject({
      relativeCapacity: 2,
      relativeCapacitySource: 'vcpu',
      relativeCapacityFrom: 'vCPU (4 against 2 on c7g.large)',
    });
    expect(typeOf(C7G, twins, 'c7g.xlarge')?.measured).toBeUndefined();
  });

  test('each family gives its own ratio, within it the median twin per type; the type takes the median', () => {
    const twins = [
      // web: large 100 and 110 (median 105), xlarge 210 → 2
      twin('web-1', { family: 'web', type: 'c7g.large', capacity: 100 }),
      twin('web-2', { family: 'web', type: 'c7g.large', capacity: 110 }),
      twin('web-3', { family: 'web', type: 'c7g.xlarge', capacity: 210 }),
      // search, in its own units: 10 → 18, a ratio of 1.8
      twin('search-1', { family: 'search', type: 'c7g.large', capacity: 10 }),
      twin('search-2', { family: 'search', type: 'c7g.xlarge', capacity: 18 }),
    ];

    expect(typeOf(C7G, twins, 'c7g.xlarge')).toMatchObject({
      relativeCapacity: 1.9,
      relativeCapacityFrom: 'measured (5 twins in families search, web, against c7g.large)',
    });
  });

  test('one family on two load metrics is two sets: requests per instance never divide queue messages', () => {
    const twins = [
      twin('a', { family: 'worker', type: 'c7g.large', capacity: 100 }),
      twin('b', {
        family: 'worker',
        type: 'c7g.xlarge',
        capacity: 5,
        metricName: 'ApproximateNumberOfMessagesVisible',
      }),
    ];

    expect(typeOf(C7G, twins, 'c7g.xlarge')?.relativeCapacitySource).toBe('vcpu');
  });

  test('a declared value wins over a measurement, which is still shown beside it', () => {
    const c = catalog(
      [
        { name: 'c7g.large', vCPU: 2 },
        { name: 'c7g.xlarge', vCPU: 4, relativeCapacity: 2.1 },
      ],
      'c7g.large',
    );
    const twins = [
      twin('web-eu', { family: 'web', type: 'c7g.large', capacity: 100 }),
      twin('web-us', { family: 'web', type: 'c7g.xlarge', capacity: 190 }),
    ];

    expect(typeOf(c, twins, 'c7g.xlarge')).toMatchObject({
      relativeCapacity: 2.1,
      relativeCapacitySource: 'declared',
      relativeCapacityFrom: 'declared',
      measured: { relativeCapacity: 1.9 },
    });
  });

  test('a declared type anchors a measurement too: 2xlarge against a declared xlarge, without the reference', () => {
    const c = catalog(
      [
        { name: 'c7g.large', vCPU: 2 },
        { name: 'c7g.xlarge', vCPU: 4, relativeCapacity: 1.9 },
        { name: 'c7g.2xlarge', vCPU: 8 },
      ],
      'c7g.large',
    );
    const twins = [
      twin('api-1', { family: 'api', type: 'c7g.xlarge', capacity: 50 }),
      twin('api-2', { family: 'api', type: 'c7g.2xlarge', capacity: 95 }),
    ];

    expect(typeOf(c, twins, 'c7g.2xlarge')).toMatchObject({
      relativeCapacity: 3.61,
      relativeCapacityFrom: 'measured (2 twins in family api, against c7g.xlarge)',
    });
  });

  test('no data: every undeclared type from vCPUs, said so; the reference is the unit', () => {
    const types = plannedTypes(C7G, measureFromTwins(C7G, []));

    expect(
      types.map((t) => [t.name, t.relativeCapacity, t.relativeCapacitySource, t.relativeCapacityFrom]),
    ).toEqual([
      ['c7g.large', 1, 'vcpu', 'vCPU (the reference type)'],
      ['c7g.xlarge', 2, 'vcpu', 'vCPU (4 against 2 on c7g.large)'],
      ['c7g.2xlarge', 4, 'vcpu', 'vCPU (8 against 2 on c7g.large)'],
    ]);
  });
});

describe('Function: capacityObservations', () => {
  test('only twins with a family, a catalog type tagged and a fitted (not hand-set) capacity model take part', () => {
    const twins = [
      twin('ok', { family: 'web', type: 'c7g.large', capacity: 100 }),
      twin('by-hand', { family: 'web', type: 'c7g.xlarge', capacity: 190, fitted: false }),
      twin('no-type', { family: 'web', capacity: 190 }),
      twin('unknown-type', { family: 'web', type: 'm5.large', capacity: 190 }),
      twin('no-family', { type: 'c7g.xlarge', capacity: 190 }),
    ];

    expect(capacityObservations(twins, C7G).map((o) => o.twinId)).toEqual(['ok']);
  });
});
