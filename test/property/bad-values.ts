import fc from 'fast-check';

/**
 * Bad inputs for property tests: values of the wrong type, numbers at and past every edge, text
 * that parses as something else, keys that pollute prototypes. Shared by the API, document and
 * series properties so each tries the same hostile vocabulary.
 */

/** Keys that change an object's prototype or shadow its methods when copied carelessly. */
export const POLLUTING_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

/** Numbers past the edges a schema usually draws: huge, tiny, negative zero, fractions. */
export const edgeNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1,
    0.5,
    1.5,
    -1.5,
    1e9,
    1e21,
    -1e21,
    2 ** 53,
    2 ** 31,
    5e-324,
    1.7976931348623157e308,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Strings that look like numbers, times, paths or markup; and plain random text (any Unicode). */
export const trickyString = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e309',
    '-0',
    '0x10',
    'null',
    'true',
    'undefined',
    '2026-13-45T25:61:00Z',
    '99999999999999999999',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    '%00',
    '\u0000',
    '\uFEFF',
    '\uD800',
    '𝕏'.repeat(40),
    '*',
    ...POLLUTING_KEYS,
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** Any JSON value, a little deep. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  fc.jsonValue({ maxDepth: 3 }),
  edgeNumber,
  trickyString,
  fc.constant(null),
  fc.boolean(),
);

/** An object whose keys include prototype-polluting ones. */
export const pollutingObject = fc.dictionary(
  fc.oneof(fc.constantFrom(...POLLUTING_KEYS), fc.string({ maxLength: 10 })),
  anyJson,
  { maxKeys: 4 },
);

/** `[[[[…]]]]` or `{"a":{"a":…}}`, `depth` levels deep. */
export const nested = (depth: number, kind: 'array' | 'object') =>
  kind === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** A YAML "billion laughs": each anchor an alias list of the one before, `levels` deep. */
export function yamlBomb(levels: number): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < levels; i++)
    lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(', ')}]`);
  return lines.join('\n');
}
