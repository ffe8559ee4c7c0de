/**
 * A seeded pseudo-random generator (xorshift32) and the byte patterns built
 * on it: every stress run with the same seed makes the same sizes, bytes
 * and schedule, and a receiver regenerates what the sender sent instead of
 * keeping a copy.
 *
 * @module
 */

/** xorshift32 (Marsaglia 2003): fast, 2^32-1 period, plenty for picking sizes and bytes. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 0x9e3779b9;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    let x = this.#s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.u32() % (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  /** Fills `b` with the next bytes of the stream. */
  fill(b: Uint8Array): Uint8Array {
    let i = 0;
    for (; i + 4 <= b.length; i += 4) {
      const x = this.u32();
      b[i] = x;
      b[i + 1] = x >>> 8;
      b[i + 2] = x >>> 16;
      b[i + 3] = x >>> 24;
    }
    if (i < b.length) {
      const x = this.u32();
      for (let k = 0; i < b.length; i++, k += 8) b[i] = x >>> k;
    }
    return b;
  }
}

/**
 * A message size: mostly small, some mid-sized, a few up to `max` (as real
 * traffic is), so short reads, short writes and full socket buffers all happen.
 */
export function messageSize(rng: Rng, max: number): number {
  const r = rng.u32() % 100;
  if (r < 60) return rng.int(1, Math.min(256, max));
  if (r < 95) return rng.int(1, Math.min(8192, max));
  return rng.int(1, max);
}

/** Byte `i` of lane `lane`'s endless stream: a receiver checks any position without a copy. */
export function streamByte(lane: number, i: number): number {
  return (i ^ (i >>> 8) ^ (i >>> 16) ^ (lane * 151)) & 255;
}

/** Fills `b` with lane `lane`'s stream from position `from`. */
export function fillStream(lane: number, from: number, b: Uint8Array): Uint8Array {
  for (let k = 0; k < b.length; k++) b[k] = streamByte(lane, from + k);
  return b;
}

/** The first position in `b` (holding lane's stream from `from`) with a wrong byte, or -1. */
export function checkStream(lane: number, from: number, b: Uint8Array): number {
  for (let k = 0; k < b.length; k++) if (b[k] !== streamByte(lane, from + k)) return from + k;
  return -1;
}
