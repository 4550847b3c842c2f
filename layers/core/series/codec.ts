import { BitReader, BitWriter, bitLength, unzigzag, zigzag } from './bits.js';
import type { Sample } from './read-trace.js';

/**
 * Compression of stored samples (one chunk: a twin's metric over a day).
 *
 * Timestamps: delta-of-delta in variable-width buckets, as in Facebook's Gorilla (Pelkonen et
 * al., VLDB 2015, §4.1.1): a regular series costs one bit per sample.
 * Values, whichever is smaller for the chunk:
 * - `xor`: Gorilla's XOR of consecutive IEEE-754 doubles (§4.1.2), good for arbitrary floats;
 * - `decimal`: metrics with few decimals (request counts, CPU to 0.001 %) become integers
 *   scaled by 10^d, coded as Rice-coded zig-zag deltas; a value whose decimal text is not the
 *   double nearest it (94.79799999999999 stored for 94.798) carries its distance in ULPs, so the
 *   round trip stays bit-exact.
 *
 * Format: byte 0 = mode, then a bit stream. Decoding is exact for every double, NaN payloads
 * excepted (all NaNs decode as the canonical NaN, like JSON would).
 */
export type CodecMode = 'xor' | 'decimal';

const MODE_BYTE: Record<CodecMode, number> = { xor: 1, decimal: 2 };
const MAX_DECIMALS = 10;
const MAX_ULP_CORRECTION = 2 ** 20;
// Quotients past this many unary bits are escaped to a raw 64-bit word.
const RICE_ESCAPE = 24;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE ? 1 : 0;
const LO = LITTLE ? 0 : 1;

function bitsOf(v: number): [number, number] {
  f64[0] = v;
  return [u32[HI], u32[LO]];
}
function fromBits(hi: number, lo: number): number {
  u32[HI] = hi;
  u32[LO] = lo;
  return f64[0];
}

export function encodeSamples(samples: readonly Sample[]): Uint8Array {
  const decimal = planDecimal(samples.map((s) => s.v));
  const w = new BitWriter();
  w.write(samples.length, 32);
  writeTimestamps(w, samples);
  if (decimal) writeDecimal(w, decimal);
  else writeXor(w, samples);
  const body = w.bytes();
  const out = new Uint8Array(body.length + 1);
  out[0] = MODE_BYTE[decimal ? 'decimal' : 'xor'];
  out.set(body, 1);
  return out;
}

export function decodeSamples(bytes: Uint8Array): Sample[] {
  const mode = bytes[0];
  if (mode !== MODE_BYTE.xor && mode !== MODE_BYTE.decimal)
    throw new RangeError(`unknown sample codec mode ${mode}`);
  const r = new BitReader(bytes.subarray(1));
  const n = r.read(32);
  const ts = readTimestamps(r, n);
  const vs = mode === MODE_BYTE.decimal ? readDecimal(r, n) : readXor(r, n);
  return ts.map((t, i) => ({ t, v: vs[i] }));
}

/** Which mode a chunk was written in (for reports). */
export const codecModeOf = (bytes: Uint8Array): CodecMode =>
  bytes[0] === MODE_BYTE.decimal ? 'decimal' : 'xor';

// ---- timestamps: delta-of-delta buckets (Gorilla uses 7/9/12/32 bits for seconds; ours are ms)

const TS_BUCKETS = [7, 12, 20, 32];

function writeTimestamps(w: BitWriter, samples: readonly Sample[]): void {
  if (samples.length === 0) return;
  w.write64(...bitsOf(samples[0].t), 64);
  let prevDelta = 0;
  for (let i = 1; i < samples.length; i++) {
    const delta = samples[i].t - samples[i - 1].t;
    const z = zigzag(delta - prevDelta);
    prevDelta = delta;
    if (z === 0) {
      w.write(0, 1);
      continue;
    }
    const b = TS_BUCKETS.findIndex((bits) => z < 2 ** bits);
    if (b >= 0) {
      w.write((1 << (b + 2)) - 2, b + 2); // b+1 ones then a zero
      w.writeUint(z, TS_BUCKETS[b]);
    } else {
      w.write(0b11111, 5);
      w.write64(...bitsOf(z), 64);
    }
  }
}

function readTimestamps(r: BitReader, n: number): number[] {
  if (n === 0) return [];
  const out = [fromBits(...r.read64(64))];
  let prevDelta = 0;
  for (let i = 1; i < n; i++) {
    let ones = 0;
    while (ones < 5 && r.readBit()) ones++;
    let z = 0;
    if (ones === 5) z = fromBits(...r.read64(64));
    else if (ones > 0) z = r.readUint(TS_BUCKETS[ones - 1]);
    const delta = prevDelta + unzigzag(z);
    out.push(out[i - 1] + delta);
    prevDelta = delta;
  }
  return out;
}

// ---- values: Gorilla XOR

function writeXor(w: BitWriter, samples: readonly Sample[]): void {
  if (samples.length === 0) return;
  let [ph, pl] = bitsOf(samples[0].v);
  w.write64(ph, pl, 64);
  let lead = -1;
  let trail = 0;
  for (let i = 1; i < samples.length; i++) {
    const [h, l] = bitsOf(samples[i].v);
    const xh = (h ^ ph) >>> 0;
    const xl = (l ^ pl) >>> 0;
    ph = h;
    pl = l;
    if (xh === 0 && xl === 0) {
      w.write(0, 1);
      continue;
    }
    w.write(1, 1);
    const lz = Math.min(31, xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl));
    const tz = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    if (lead >= 0 && lz >= lead && tz >= trail) {
      w.write(0, 1);
      w.write64(...shiftRight(xh, xl, trail), 64 - lead - trail);
    } else {
      lead = lz;
      trail = tz;
      const len = 64 - lz - tz;
      w.write(1, 1);
      w.write(lz, 5);
      w.write(len === 64 ? 0 : len, 6);
      w.write64(...shiftRight(xh, xl, tz), len);
    }
  }
}

function readXor(r: BitReader, n: number): number[] {
  if (n === 0) return [];
  let [ph, pl] = r.read64(64);
  const out = [fromBits(ph, pl)];
  let lead = 0;
  let trail = 0;
  for (let i = 1; i < n; i++) {
    if (r.readBit()) {
      if (r.readBit()) {
        lead = r.read(5);
        const len = r.read(6) || 64;
        trail = 64 - lead - len;
      }
      const [mh, ml] = r.read64(64 - lead - trail);
      const [xh, xl] = shiftLeft(mh, ml, trail);
      ph = (ph ^ xh) >>> 0;
      pl = (pl ^ xl) >>> 0;
    }
    out.push(fromBits(ph, pl));
  }
  return out;
}

function ctz32(x: number): number {
  return x === 0 ? 32 : 31 - Math.clz32(x & -x);
}
function shiftRight(hi: number, lo: number, s: number): [number, number] {
  if (s === 0) return [hi, lo];
  if (s >= 32) return [0, hi >>> (s - 32)];
  return [hi >>> s, ((lo >>> s) | (hi << (32 - s))) >>> 0];
}
function shiftLeft(hi: number, lo: number, s: number): [number, number] {
  if (s === 0) return [hi, lo];
  if (s >= 32) return [(lo << (s - 32)) >>> 0, 0];
  return [((hi << s) | (lo >>> (32 - s))) >>> 0, (lo << s) >>> 0];
}

// ---- values: scaled decimals

interface DecimalPlan {
  decimals: number;
  ints: number[];
  corrections: number[] | null;
}

/** The cheapest decimal scaling for these values, or null when none round-trips them. */
function planDecimal(values: readonly number[]): DecimalPlan | null {
  let best: DecimalPlan | null = null;
  let bestBits = Number.POSITIVE_INFINITY;
  for (let d = 0; d <= MAX_DECIMALS; d++) {
    const plan = scaleBy(values, d);
    if (!plan) continue;
    const bits =
      riceBits(deltas(plan.ints)).bits + (plan.corrections ? riceBits(plan.corrections.map(zigzag)).bits : 0);
    if (bits < bestBits) {
      best = plan;
      bestBits = bits;
    }
    if (!plan.corrections) break; // exact at d: more decimals only cost bits
  }
  // Past ~48 bits a sample the XOR coder does as well on arbitrary doubles.
  return best && bestBits < 48 * values.length ? best : null;
}

function scaleBy(values: readonly number[], d: number): DecimalPlan | null {
  const scale = 10 ** d;
  const ints: number[] = new Array(values.length);
  let corrections: number[] | null = null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) return null;
    const n = Math.round(v * scale) + 0; // + 0 turns -0 into +0: a -0 value then fails the sign check
    if (Math.abs(n) > Number.MAX_SAFE_INTEGER) return null;
    const c = n / scale;
    const [vh, vl] = bitsOf(v);
    const [ch, cl] = bitsOf(c);
    if (vh >>> 31 !== ch >>> 31) return null;
    const diff = (vh - ch) * 2 ** 32 + (vl - cl);
    if (Math.abs(diff) > MAX_ULP_CORRECTION) return null;
    if (diff !== 0) {
      corrections ??= new Array(values.length).fill(0);
      corrections[i] = diff;
    }
    ints[i] = n;
  }
  return { decimals: d, ints, corrections };
}

function deltas(ints: readonly number[]): number[] {
  const out: number[] = new Array(Math.max(0, ints.length - 1));
  for (let i = 1; i < ints.length; i++) out[i - 1] = zigzag(ints[i] - ints[i - 1]);
  return out;
}

/** Rice parameter k minimizing the coded size of these non-negative integers. */
function riceBits(zs: readonly number[]): { k: number; bits: number } {
  if (zs.length === 0) return { k: 0, bits: 0 };
  let mean = 0;
  for (const z of zs) mean += z;
  mean /= zs.length;
  const guess = Math.max(0, bitLength(Math.floor(mean * Math.LN2)));
  let best = { k: 0, bits: Number.POSITIVE_INFINITY };
  for (let k = Math.max(0, guess - 2); k <= Math.min(52, guess + 2); k++) {
    let bits = 0;
    const div = 2 ** k;
    for (const z of zs) {
      const q = Math.floor(z / div);
      bits += q < RICE_ESCAPE ? q + 1 + k : RICE_ESCAPE + 64;
    }
    if (bits < best.bits) best = { k, bits };
  }
  return best;
}

function writeRice(w: BitWriter, zs: readonly number[]): void {
  const { k } = riceBits(zs);
  w.write(k, 6);
  const div = 2 ** k;
  for (const z of zs) {
    const q = Math.floor(z / div);
    if (q < RICE_ESCAPE) {
      for (let i = 0; i < q; i++) w.write(1, 1);
      w.write(0, 1);
      w.writeUint(z - q * div, k);
    } else {
      for (let i = 0; i < RICE_ESCAPE; i++) w.write(1, 1);
      w.write64(...bitsOf(z), 64);
    }
  }
}

function readRice(r: BitReader, n: number): number[] {
  const k = r.read(6);
  const div = 2 ** k;
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    let q = 0;
    while (q < RICE_ESCAPE && r.readBit()) q++;
    out[i] = q < RICE_ESCAPE ? q * div + r.readUint(k) : fromBits(...r.read64(64));
  }
  return out;
}

function writeDecimal(w: BitWriter, plan: DecimalPlan): void {
  if (plan.ints.length === 0) return;
  w.write(plan.decimals, 4);
  w.write64(...bitsOf(plan.ints[0]), 64);
  writeRice(w, deltas(plan.ints));
  w.write(plan.corrections ? 1 : 0, 1);
  if (plan.corrections) writeRice(w, plan.corrections.map(zigzag));
}

function readDecimal(r: BitReader, n: number): number[] {
  if (n === 0) return [];
  const scale = 10 ** r.read(4);
  const ints = [fromBits(...r.read64(64))];
  for (const z of readRice(r, n - 1)) ints.push(ints[ints.length - 1] + unzigzag(z));
  const corrections = r.readBit() ? readRice(r, n).map(unzigzag) : null;
  return ints.map((m, i) => {
    const c = m / scale;
    const diff = corrections?.[i] ?? 0;
    if (diff === 0) return c;
    const [ch, cl] = bitsOf(c);
    const lo = cl + diff;
    const carry = Math.floor(lo / 2 ** 32);
    return fromBits(ch + carry, lo - carry * 2 ** 32);
  });
}
