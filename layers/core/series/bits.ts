/** Bit-level writer and reader for the sample codec; values of up to 32 bits at a time, MSB first. */
export class BitWriter {
  private buf = new Uint8Array(64);
  private bitLen = 0;

  write(value: number, nbits: number): void {
    if (nbits === 0) return;
    this.ensure(nbits);
    for (let i = nbits - 1; i >= 0; i--) {
      if ((value >>> i) & 1) this.buf[this.bitLen >>> 3] |= 0x80 >>> (this.bitLen & 7);
      this.bitLen++;
    }
  }

  writeBit(bit: boolean): void {
    this.write(bit ? 1 : 0, 1);
  }

  /** The low `nbits` (≤ 64) of the 64-bit word hi:lo. */
  write64(hi: number, lo: number, nbits: number): void {
    if (nbits > 32) {
      this.write(hi, nbits - 32);
      this.write(lo, 32);
    } else {
      this.write(lo, nbits);
    }
  }

  /** A non-negative integer below 2^53, in `nbits` ≤ 53 bits. */
  writeUint(value: number, nbits: number): void {
    const hi = Math.floor(value / 2 ** 32);
    this.write64(hi, value >>> 0, nbits);
  }

  get bits(): number {
    return this.bitLen;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, (this.bitLen + 7) >>> 3);
  }

  private ensure(nbits: number): void {
    const need = (this.bitLen + nbits + 7) >>> 3;
    if (need <= this.buf.length) return;
    const next = new Uint8Array(Math.max(need, this.buf.length * 2));
    next.set(this.buf);
    this.buf = next;
  }
}

export class BitReader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  read(nbits: number): number {
    if (this.pos + nbits > this.buf.length * 8) throw new RangeError('truncated sample chunk');
    let v = 0;
    for (let i = 0; i < nbits; i++) {
      v = (v << 1) | ((this.buf[this.pos >>> 3] >>> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v >>> 0;
  }

  readBit(): boolean {
    return this.read(1) === 1;
  }

  read64(nbits: number): [number, number] {
    if (nbits > 32) {
      const hi = this.read(nbits - 32);
      return [hi, this.read(32)];
    }
    return [0, this.read(nbits)];
  }

  readUint(nbits: number): number {
    const [hi, lo] = this.read64(nbits);
    return hi * 2 ** 32 + lo;
  }
}

/** Zig-zag: small magnitudes of either sign become small non-negative integers (exact below 2^52). */
export const zigzag = (n: number): number => (n >= 0 ? 2 * n : -2 * n - 1);
export const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

/** Number of bits needed for a non-negative integer below 2^53. */
export function bitLength(n: number): number {
  if (n < 2 ** 32) return 32 - Math.clz32(n);
  return 32 + bitLength(Math.floor(n / 2 ** 32));
}
