import { criticalFirst, criticality, type GraphEdge } from '../../../layers/core/graph/criticality.js';

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
