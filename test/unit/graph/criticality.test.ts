import {
  criticalFirst,
  criticality,
  directDependantsWeight,
  type GraphEdge,
  scalingOrder,
} from '../../../layers/core/graph/criticality.js';

const declared = (from: string, to: string): GraphEdge => ({
  from,
  to,
  source: 'declared',
  callRatio: null,
  lagMinutes: null,
  confidence: null,
});

describe('Function: criticality', () => {
  // a calls b, b and c call each other (a cycle), d is seen to call c with confidence 0.5
  const graph = {
    nodes: ['a', 'b', 'c', 'd'],
    edges: [
      declared('a', 'b'),
      declared('b', 'c'),
      declared('c', 'b'),
      { ...declared('d', 'c'), source: 'discovered' as const, confidence: 0.5 },
    ],
  };

  it('counts every transitive dependant once through a cycle, and never the twin itself', () => {
    const c = criticality(graph);

    expect(Object.fromEntries([...c].map(([id, v]) => [id, v.dependants]))).toEqual({
      a: 0,
      b: 3,
      c: 3,
      d: 0,
    });
  });

  it('weights a dependant by its strongest path: a discovered edge by its confidence', () => {
    const c = criticality(graph);

    // c: b (1), a through b (1), d (0.5)
    expect(c.get('c')?.weight).toBeCloseTo(2.5, 9);
  });

  it('orders the most depended-on twins first', () => {
    const order = criticalFirst({ nodes: ['a', 'b', 'c'], edges: [declared('a', 'b'), declared('b', 'c')] });

    expect(order).toEqual(['c', 'b', 'a']);
  });
});

describe('the order capacity changes are started in', () => {
  test('a twin counts its direct callers: declared 1, estimated by confidence', () => {
    expect(directDependantsWeight([])).toBe(0);
    expect(
      directDependantsWeight([
        { source: 'declared', confidence: 1 },
        { source: 'estimated', confidence: 0.4 },
      ]),
    ).toBeCloseTo(1.4);
  });

  test('most depended on first; of equal weight scale-outs before scale-ins; then by id', () => {
    const order = scalingOrder([
      { twinId: 'leaf-in', weight: 0, from: 5, to: 3 },
      { twinId: 'leaf-out', weight: 0, from: 3, to: 5 },
      { twinId: 'db', weight: 2.5, from: 8, to: 6 },
      { twinId: 'api', weight: 1, from: 4, to: 6 },
      { twinId: 'another-leaf-in', weight: 0, from: 5, to: 4 },
    ]);
    expect(order.map((c) => c.twinId)).toEqual(['db', 'api', 'leaf-out', 'another-leaf-in', 'leaf-in']);
  });
});
