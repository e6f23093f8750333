// Seedable random number generation: torch.Generator's role, with state that can be saved and
// restored for exact resume. xoshiro128** seeded through splitmix32. Depends on nothing.

import { checkArity, showValue } from "./args.ts";
import { ValueError } from "./errors.ts";

/** A seed is an integer, as torch.manual_seed's (a string or a fraction would silently differ). */
function checkSeed(op: string, seed: unknown): void {
  if (!Number.isSafeInteger(seed)) {
    throw new ValueError(`${op}: seed must be an integer, got ${showValue(seed)}`);
  }
}

/** The state of a generator, plain data suitable for a checkpoint. */
export interface GeneratorState {
  seed: number;
  s: [number, number, number, number];
  spare: number | null;
}

/**
 * A random number generator, like `torch.Generator`. Streams differ from PyTorch's, but the
 * same seed always gives the same stream.
 *
 * @example const g = new Generator().manualSeed(1); randn([2, 3], { generator: g });
 */
export class Generator {
  #seed = 0;
  #s = new Uint32Array(4);
  #spare: number | null = null;

  /**
   * A generator seeded with `seed` (an integer; default 0), as
   * `torch.Generator().manual_seed(seed)`.
   */
  constructor(seed = 0) {
    checkSeed("Generator", seed);
    checkArity("Generator", arguments, 1);
    this.manualSeed(seed);
  }

  /** Reseeds and returns the generator, as `torch.Generator().manual_seed` does. */
  manualSeed(seed: number): this {
    checkSeed("manualSeed", seed);
    checkArity("manualSeed", arguments, 1);
    this.#seed = seed;
    // splitmix32 spreads the seed over the 128-bit state (never all zero).
    let x = (Math.trunc(seed) ^ Math.trunc(seed / 2 ** 32)) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    this.#spare = null;
    return this;
  }

  /** The seed last given to the constructor or `manualSeed`, as `torch.Generator.initial_seed`. */
  initialSeed(): number {
    return this.#seed;
  }

  /**
   * A copy of the full state (seed, xoshiro words, cached normal), as `torch.Generator.get_state`.
   */
  getState(): GeneratorState {
    const s = this.#s;
    return { seed: this.#seed, s: [s[0]!, s[1]!, s[2]!, s[3]!], spare: this.#spare };
  }

  /**
   * Restores a state from `getState`, so the stream resumes exactly where it was saved, as
   * `torch.Generator.set_state`; returns this.
   */
  setState(state: GeneratorState): this {
    this.#seed = state.seed;
    this.#s.set(state.s);
    this.#spare = state.spare;
    return this;
  }

  /** A uniformly distributed 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const s = this.#s;
    let s0 = s[0]!;
    let s1 = s[1]!;
    let s2 = s[2]!;
    let s3 = s[3]!;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal by the Box-Muller transform (pairs, the spare cached). */
  normal(): number {
    if (this.#spare !== null) {
      const v = this.#spare;
      this.#spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [low, high), without modulo bias. */
  randint(low: number, high: number): number {
    const range = high - low;
    if (range <= 0x100000000) {
      const limit = 0x100000000 - (0x100000000 % range);
      let x = this.nextUint32();
      while (x >= limit) x = this.nextUint32();
      return low + (x % range);
    }
    return low + Math.floor(this.random() * range);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generator random functions use when none is passed, like PyTorch's default generator. */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator, as `torch.manual_seed`. Returns it. */
export function manualSeed(seed: number): Generator {
  checkArity("manualSeed", arguments, 1);
  return defaultGenerator.manualSeed(seed);
}
