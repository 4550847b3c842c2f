import fc from 'fast-check';
import { z } from 'zod';
import { anyJson, edgeNumber, POLLUTING_KEYS, trickyString } from './bad-values.js';

/** The part of JSON Schema that zod writes for our request schemas. */
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  maxItems?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
}

/** A zod schema as the JSON Schema of what it accepts. */
export const jsonSchemaOf = (schema: z.ZodType): JsonSchema =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

/** Numbers on and just past a schema's bounds, and the usual suspects. */
function numbersNear(s: JsonSchema): fc.Arbitrary<unknown> {
  const edges = [s.minimum, s.maximum, s.exclusiveMinimum, s.exclusiveMaximum]
    .filter((x): x is number => x !== undefined)
    .flatMap((x) => [x, x - 1, x + 1, x - 1e-9, x + 1e-9]);
  return fc.oneof(
    edges.length ? fc.constantFrom(...edges) : edgeNumber,
    edgeNumber,
    fc.constantFrom('1', '0', 'NaN', '1e309'),
  );
}

/** Strings around a schema's lengths, its enum, and hostile text. */
function stringsNear(s: JsonSchema): fc.Arbitrary<unknown> {
  const long = (n: number) => fc.constant('a'.repeat(n));
  return fc.oneof(
    trickyString,
    ...(s.maxLength !== undefined ? [long(s.maxLength), long(s.maxLength + 1)] : []),
    ...(s.minLength ? [long(s.minLength - 1)] : []),
    fc.stringMatching(/^[a-z0-9-]{1,20}$/),
  );
}

/**
 * Values shaped like a JSON Schema, but wrong somewhere: every node is sometimes a value of the
 * wrong type, numbers sit on and past their bounds, arrays run one past their maximum, objects
 * carry unknown and prototype-polluting keys. Mostly near-valid, so handlers are reached too.
 */
export function badValueOf(s: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const wrong = depth > 4 ? anyJson : fc.oneof(anyJson, fc.constant(undefined));
  const shaped = shapedOf(s, depth);
  return shaped ? fc.oneof({ weight: 1, arbitrary: wrong }, { weight: 4, arbitrary: shaped }) : wrong;
}

function shapedOf(s: JsonSchema, depth: number): fc.Arbitrary<unknown> | undefined {
  if (depth > 6) return undefined;
  const branches = s.anyOf ?? s.oneOf ?? s.allOf;
  if (branches?.length) return fc.oneof(...branches.map((b) => badValueOf(b, depth + 1)));
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const props = Object.entries(s.properties ?? {});
      const known = fc.record(Object.fromEntries(props.map(([k, v]) => [k, badValueOf(v, depth + 1)])), {
        requiredKeys: [],
      });
      const extra =
        typeof s.additionalProperties === 'object'
          ? fc.dictionary(
              fc.oneof(fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/), fc.constantFrom(...POLLUTING_KEYS)),
              badValueOf(s.additionalProperties, depth + 1),
              { maxKeys: 3 },
            )
          : fc.dictionary(fc.constantFrom(...POLLUTING_KEYS, 'unknownField'), anyJson, { maxKeys: 1 });
      // with JSON.parse's semantics: "__proto__" an own key, as a body read from the wire has it
      return fc.tuple(known, extra).map(([a, b]) => JSON.parse(JSON.stringify({ ...b, ...a })));
    }
    case 'array': {
      const item = s.items ? badValueOf(s.items, depth + 1) : anyJson;
      // one past the maximum; past 10 items of cheap values, so a long list costs little to make
      const over =
        s.maxItems !== undefined && s.maxItems < 200
          ? [
              fc.array(s.maxItems > 10 ? fc.constantFrom(1, 'a', null) : item, {
                minLength: s.maxItems + 1,
                maxLength: s.maxItems + 1,
              }),
            ]
          : [];
      return fc.oneof(fc.array(item, { maxLength: 3 }), ...over);
    }
    case 'string':
      return stringsNear(s);
    case 'number':
    case 'integer':
      return numbersNear(s);
    case 'boolean':
      return fc.oneof(fc.boolean(), fc.constantFrom('true', 0, 1));
    default:
      return undefined;
  }
}
