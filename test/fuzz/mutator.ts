// A small seeded mutator (no dependency): xorshift128+ randomness and the
// byte-level mutations AFL-style fuzzers use. Every case derives its own
// generator from (seed, target, case index), so one failing case reruns alone.

export class Rng {
  private a: bigint;
  private b: bigint;

  constructor(seed: string) {
    // FNV-1a over the seed text, twice with different offsets, as the state.
    let h1 = 0xcbf29ce484222325n;
    let h2 = 0x84222325cbf29ce4n;
    for (const c of Buffer.from(seed)) {
      h1 = ((h1 ^ BigInt(c)) * 0x100000001b3n) & 0xffffffffffffffffn;
      h2 = ((h2 ^ BigInt(c)) * 0x100000001b3n) & 0xffffffffffffffffn;
    }
    this.a = h1 || 1n;
    this.b = h2 || 2n;
  }

  /** A uniform 32-bit value. */
  next(): number {
    let s1 = this.a;
    const s0 = this.b;
    this.a = s0;
    s1 ^= (s1 << 23n) & 0xffffffffffffffffn;
    this.b = s1 ^ s0 ^ (s1 >> 17n) ^ (s0 >> 26n);
    return Number(((this.b + s0) >> 16n) & 0xffffffffn);
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }
}

/** Values that find off-by-ones, sign and width bugs. */
const INTERESTING = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** Ranges of the input that matter most (headers, records); mutations land there half the time. */
export type Focus = Array<[start: number, end: number]>;

function offset(rng: Rng, length: number, focus: Focus | undefined): number {
  if (focus !== undefined && focus.length > 0 && rng.below(2) === 0) {
    const [start, end] = rng.pick(focus);
    return Math.min(length - 1, start + rng.below(Math.max(1, end - start)));
  }
  return rng.below(length);
}

/** 1 to 4 mutations of a copy of `input`. */
export function mutate(input: Buffer, rng: Rng, focus?: Focus): Buffer {
  let data = Buffer.from(input);
  const count = 1 + rng.below(4);
  for (let i = 0; i < count; i++) {
    if (data.length === 0) {
      data = Buffer.from([rng.below(256)]);
      continue;
    }
    const at = offset(rng, data.length, focus);
    switch (rng.below(9)) {
      case 0: // flip a bit
        data[at] = (data[at] ?? 0) ^ (1 << rng.below(8));
        break;
      case 1: // a random byte
        data[at] = rng.below(256);
        break;
      case 2: // an interesting 8/16/32-bit value, either byte order
      case 3: {
        const value = rng.pick(INTERESTING);
        const width = rng.pick([1, 2, 4]);
        if (at + width > data.length) break;
        if (width === 1) data.writeUInt8(value & 0xff, at);
        else if (width === 2) (rng.below(2) ? data.writeUInt16LE : data.writeUInt16BE).call(data, value & 0xffff, at);
        else (rng.below(2) ? data.writeUInt32LE : data.writeUInt32BE).call(data, value >>> 0, at);
        break;
      }
      case 4: // truncate
        data = data.subarray(0, at);
        break;
      case 5: {
        // insert random bytes
        const extra = Buffer.alloc(1 + rng.below(16));
        for (let j = 0; j < extra.length; j++) extra[j] = rng.below(256);
        data = Buffer.concat([data.subarray(0, at), extra, data.subarray(at)]);
        break;
      }
      case 6: {
        // delete a range
        const len = 1 + rng.below(Math.min(64, data.length - at));
        data = Buffer.concat([data.subarray(0, at), data.subarray(at + len)]);
        break;
      }
      case 7: {
        // copy a chunk over another place
        const from = rng.below(data.length);
        const len = 1 + rng.below(Math.min(32, data.length - from));
        data.copy(data, at, from, from + len);
        break;
      }
      default: {
        // a run of one byte
        const len = 1 + rng.below(Math.min(64, data.length - at));
        data.fill(rng.pick([0, 0xff, 0x20, 0x30]), at, at + len);
      }
    }
  }
  return data;
}
