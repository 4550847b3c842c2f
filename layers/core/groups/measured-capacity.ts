import { median } from '../stats.js';
import { familyOfTwin, type Twin } from '../twin/twin.js';
import { INSTANCE_TYPE_TAG, type InstanceCatalog } from './catalog.js';

/**
 * Relative capacity measured on the fleet's own twins (issue 10: "measured or declared").
 *
 * A twin's capacity per instance is in its own load units (requests per minute of its own
 * service), so two twins' capacities only compare when they serve the same kind of load: the same
 * family (`familyOfTwin`: the same deployable unit in another environment or tenant) *and* the
 * same load metric (namespace, metric name, statistic: a family counting ALB requests in one place
 * and queue messages in another is still not comparable). Within such a set, twins on two instance
 * types give a ratio; an anchor type's relative capacity is known (the reference type: its declared
 * value, else 1; or a type whose relative capacity is declared) and the other's follows:
 * value(anchor) × median(capacity on the type) ÷ median(capacity on the anchor). Each comparable
 * set gives one estimate (the median over its anchors); a type's measurement is the median over
 * sets. One step only: a type measured against a type that is itself only measured is not
 * chained, so every measurement rests on the reference or a declaration.
 *
 * Only fitted capacity models count: a model with its line (`utilizationPerLoad`, fitted from the
 * twin's own load and CPU by capacity.ts), not one set by hand, whose number may be anyone's guess.
 * A twin's instance type is its `twinscale:instance-type` tag (a type the catalog lists); a twin
 * without it is left out rather than assumed to run on the reference type.
 */

/** One twin's fitted capacity per instance on a known instance type. */
export interface CapacityObservation {
  twinId: string;
  family: string;
  /** `namespace/metricName stat` of the twin's load metric. */
  loadMetric: string;
  instanceType: string;
  capacityPerInstance: number;
}

/** A type's relative capacity as measured, with the twins and families it rests on. */
export interface RelativeCapacityMeasurement {
  relativeCapacity: number;
  /** The twins on the type and on its anchors, in the comparable sets used. */
  twins: string[];
  families: string[];
  /** The types it was measured against (the reference, or declared types). */
  against: string[];
}

/** The twins that can take part in a measurement: family, known type, load metric and a fitted model. */
export function capacityObservations(
  twins: readonly Twin[],
  catalog: Pick<InstanceCatalog, 'types'>,
): CapacityObservation[] {
  const names = new Set(catalog.types.map((t) => t.name));
  return twins.flatMap((twin) => {
    const family = familyOfTwin(twin);
    const instanceType = twin.tags?.[INSTANCE_TYPE_TAG];
    const load = twin.metrics.find((m) => m.role === 'load');
    const model = twin.capacityModel;
    if (!family || !instanceType || !names.has(instanceType) || !load || !model) return [];
    if (model.utilizationPerLoad === undefined) return [];
    return [
      {
        twinId: twin.id,
        family,
        loadMetric: `${load.namespace}/${load.metricName} ${load.stat}`,
        instanceType,
        capacityPerInstance: model.capacityPerInstance,
      },
    ];
  });
}

/**
 * Each catalog type that the observations measure (the reference type never: it is the unit),
 * declared types included, so a declaration can be shown beside what the fleet says.
 */
export function measureRelativeCapacities(
  catalog: InstanceCatalog,
  observations: readonly CapacityObservation[],
): Map<string, RelativeCapacityMeasurement> {
  const ref = catalog.types.find((t) => t.name === catalog.referenceType) ?? catalog.types[0];
  const anchors = new Map<string, number>(
    catalog.types.flatMap((t) => (t.relativeCapacity !== undefined ? [[t.name, t.relativeCapacity]] : [])),
  );
  anchors.set(ref.name, ref.relativeCapacity ?? 1);
  // comparable set → instance type → its twins there
  const sets = new Map<string, { family: string; byType: Map<string, CapacityObservation[]> }>();
  for (const o of observations) {
    const key = `${o.family}\u0000${o.loadMetric}`;
    const set = sets.get(key) ?? { family: o.family, byType: new Map() };
    sets.set(key, set);
    set.byType.set(o.instanceType, [...(set.byType.get(o.instanceType) ?? []), o]);
  }
  const out = new Map<string, RelativeCapacityMeasurement>();
  for (const type of catalog.types) {
    if (type.name === ref.name) continue;
    const estimates: number[] = [];
    const twins = new Set<string>();
    const families = new Set<string>();
    const against = new Set<string>();
    for (const set of sets.values()) {
      const on = set.byType.get(type.name);
      if (!on) continue;
      const mine = median(on.map((o) => o.capacityPerInstance));
      const perAnchor: number[] = [];
      for (const [anchor, value] of anchors) {
        const there = anchor === type.name ? undefined : set.byType.get(anchor);
        if (!there) continue;
        perAnchor.push((value * mine) / median(there.map((o) => o.capacityPerInstance)));
        for (const o of there) twins.add(o.twinId);
        against.add(anchor);
      }
      if (perAnchor.length === 0) continue;
      estimates.push(median(perAnchor));
      for (const o of on) twins.add(o.twinId);
      families.add(set.family);
    }
    if (estimates.length === 0) continue;
    out.set(type.name, {
      // the catalog's bounds on a declared value (0.001 keeps a rounded ratio positive)
      relativeCapacity: Math.min(1000, Math.max(0.001, Number(median(estimates).toFixed(3)))),
      twins: [...twins].sort(),
      families: [...families].sort(),
      against: [...against].sort(),
    });
  }
  return out;
}

/** The fleet's measurements for a catalog, from its twins. */
export const measureFromTwins = (
  catalog: InstanceCatalog,
  twins: readonly Twin[],
): Map<string, RelativeCapacityMeasurement> =>
  measureRelativeCapacities(catalog, capacityObservations(twins, catalog));
