// Samplers: the order in which a DataLoader visits dataset indices, as torch.utils.data's
// samplers, plus the ratio-balanced sampler of the book's `--balanced` option. Each pass over a
// sampler is one epoch. Depends on core (Generator) and creation ops only.

import {
  arrayOf,
  bool,
  checkArity,
  either,
  instanceOf,
  int,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  unchecked,
  type WithOptions,
} from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { defaultGenerator, Generator } from "../core/rng.ts";
import { randperm } from "../ops/creation.ts";
import { Tensor } from "../tensor/tensor.ts";

const gen = opt(nullable(instanceOf(Generator, "a Generator")));
const RANDOM_SAMPLER = signature("RandomSampler", {
  dataSource: unchecked,
  replacement: opt(bool, false),
  numSamples: opt(nullable(num)),
  generator: gen,
});
const SUBSET_RANDOM_SAMPLER = signature("SubsetRandomSampler", {
  indices: arrayOf(int),
  generator: gen,
});
const WEIGHTED_SAMPLER = signature("WeightedRandomSampler", {
  weights: either(arrayOf(num), instanceOf(Tensor, "a Tensor")),
  numSamples: num,
  replacement: opt(bool, true),
  generator: gen,
});
const BATCH_SAMPLER = signature("BatchSampler", {
  sampler: unchecked,
  batchSize: num,
  dropLast: bool,
});

/** An iterable of indices (or of index lists, for batch samplers) with a known length. */
export interface Sampler<I = number> extends Iterable<I> {
  /** The number of items one pass yields (PyTorch's `__len__`). */
  readonly length: number;
}

function checkPositiveInt(op: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) {
    throw new ValueError(`${op}: ${name} should be a positive integer value, but got ${name}=${v}`);
  }
}

/** The generator of one epoch: the user's, or a fresh one seeded from the default generator (as PyTorch). */
function epochGenerator(g: Generator | undefined): Generator {
  return g ?? new Generator(defaultGenerator.nextUint32());
}

function permutation(n: number, g: Generator): Int32Array {
  return randperm(n, { generator: g }).storage.data as Int32Array;
}

/** 0, 1, ..., n-1, as torch.utils.data.SequentialSampler. */
export class SequentialSampler implements Sampler {
  readonly #source: { readonly length: number };
  /** Creates the sampler over anything with a `length` (a dataset). */
  constructor(dataSource: { readonly length: number }) {
    checkArity("SequentialSampler", arguments, 1);
    this.#source = dataSource;
  }
  get length(): number {
    return this.#source.length;
  }
  /** Yields 0, 1, ..., length − 1. */
  *[Symbol.iterator](): Iterator<number> {
    const n = this.#source.length;
    for (let i = 0; i < n; i++) yield i;
  }
}

/** Options of RandomSampler after the data source. */
export interface RandomSamplerOptions {
  /** Draw with replacement (default false). */
  replacement?: boolean;
  /** Indices per epoch (default: the dataset length). */
  numSamples?: number;
  generator?: Generator;
}

/**
 * A random order of the indices, as torch.utils.data.RandomSampler. Without replacement each
 * epoch is a permutation (numSamples larger than n chains whole permutations, then a partial one);
 * with replacement, numSamples independent uniform draws. The same generator seed gives the same
 * orders; without a generator each epoch seeds a fresh one from the default generator.
 */
export class RandomSampler implements Sampler {
  readonly #source: { readonly length: number };
  /** Whether indices are drawn with replacement (default false). */
  readonly replacement: boolean;
  /** The source of randomness, or undefined to seed each epoch from the default generator. */
  readonly generator: Generator | undefined;
  readonly #numSamples: number | undefined;

  /**
   * Creates the sampler from `(dataSource, replacement?, numSamples?, generator?)`, positional or
   * as options.
   */
  constructor(
    dataSource: { readonly length: number },
    ...rest: WithOptions<
      [replacement: boolean, numSamples: number | null, generator: Generator | null],
      RandomSamplerOptions
    >
  ) {
    const o = parseArgs(RANDOM_SAMPLER, [dataSource, ...rest]);
    const options = {
      ...o,
      numSamples: o.numSamples ?? undefined,
      generator: o.generator ?? undefined,
    };
    this.#source = dataSource;
    this.replacement = options.replacement ?? false;
    this.generator = options.generator;
    this.#numSamples = options.numSamples;
    if (this.#numSamples !== undefined)
      checkPositiveInt("RandomSampler", "num_samples", this.#numSamples);
  }

  get length(): number {
    return this.#numSamples ?? this.#source.length;
  }

  /**
   * Yields one epoch's indices: chained permutations without replacement, uniform draws with it.
   */
  *[Symbol.iterator](): Iterator<number> {
    const n = this.#source.length;
    const total = this.length;
    const g = epochGenerator(this.generator);
    if (this.replacement) {
      for (let i = 0; i < total; i++) yield g.randint(0, n);
      return;
    }
    for (let k = 0; k < Math.floor(total / n); k++) yield* permutation(n, g);
    const rest = total % n;
    if (rest > 0) yield* permutation(n, g).subarray(0, rest);
  }
}

/** A random permutation of the given indices each epoch, as torch.utils.data.SubsetRandomSampler. */
export class SubsetRandomSampler implements Sampler {
  /** The indices permuted each epoch. */
  readonly indices: readonly number[];
  /** The source of randomness, or undefined to seed each epoch from the default generator. */
  readonly generator: Generator | undefined;
  /** Creates the sampler from `(indices, generator?)`, the generator positional or as an option. */
  constructor(
    indices: readonly number[],
    ...rest: WithOptions<[generator: Generator | null], { generator?: Generator | null }>
  ) {
    const o = parseArgs(SUBSET_RANDOM_SAMPLER, [indices, ...rest]);
    const options = { generator: o.generator ?? undefined };
    this.indices = indices;
    this.generator = options.generator;
  }
  get length(): number {
    return this.indices.length;
  }
  /** Yields `indices` in a fresh random order. */
  *[Symbol.iterator](): Iterator<number> {
    for (const p of permutation(this.indices.length, epochGenerator(this.generator)))
      yield this.indices[p]!;
  }
}

function toNumbers(x: readonly number[] | Tensor): number[] {
  return x instanceof Tensor ? Array.from(x.dataSync(), Number) : [...x];
}

/**
 * Index i drawn with probability weights[i] / Σ weights, as torch.utils.data.WeightedRandomSampler
 * (torch.multinomial). Without replacement the draws are successive, each among the indices not
 * yet drawn (Efraimidis-Spirakis keys u^(1/w), which give that distribution).
 */
export class WeightedRandomSampler implements Sampler {
  /** The non-negative, finite weight of each index (need not sum to 1). */
  readonly weights: readonly number[];
  /** Indices drawn per epoch. */
  readonly numSamples: number;
  /** Whether indices are drawn with replacement (default true, as PyTorch's). */
  readonly replacement: boolean;
  /** The source of randomness, or undefined for the default generator. */
  readonly generator: Generator | undefined;
  readonly #cumulative: Float64Array;

  /**
   * Creates the sampler from `(weights, numSamples, replacement?, generator?)`, positional or as
   * options.
   */
  constructor(
    weights: readonly number[] | Tensor,
    numSamples: number,
    ...rest: WithOptions<
      [replacement: boolean, generator: Generator | null],
      { replacement?: boolean; generator?: Generator | null }
    >
  ) {
    const o = parseArgs(WEIGHTED_SAMPLER, [weights, numSamples, ...rest]);
    const options = { replacement: o.replacement, generator: o.generator ?? undefined };
    checkPositiveInt("WeightedRandomSampler", "num_samples", numSamples);
    this.weights = toNumbers(weights);
    this.numSamples = numSamples;
    this.replacement = options.replacement ?? true;
    this.generator = options.generator;
    let total = 0;
    this.#cumulative = Float64Array.from(this.weights, (w) => {
      if (!(w >= 0) || !Number.isFinite(w)) {
        throw new ValueError(
          `WeightedRandomSampler: probability tensor contains either inf, nan or element < 0 (got ${w})`,
        );
      }
      return (total += w);
    });
    if (!(total > 0))
      throw new ValueError(
        "WeightedRandomSampler: invalid multinomial distribution (sum of probabilities <= 0)",
      );
    const nonzero = this.weights.filter((w) => w > 0).length;
    if (!this.replacement && numSamples > nonzero) {
      throw new ValueError(
        `WeightedRandomSampler: cannot sample n_sample > prob_dist.size(-1) samples without replacement (${numSamples} > ${nonzero} nonzero weights)`,
      );
    }
  }

  get length(): number {
    return this.numSamples;
  }

  /** Yields `numSamples` indices drawn by weight. */
  *[Symbol.iterator](): Iterator<number> {
    const g = epochGenerator(this.generator);
    const cum = this.#cumulative;
    const total = cum[cum.length - 1]!;
    if (this.replacement) {
      for (let k = 0; k < this.numSamples; k++) {
        const u = g.random() * total;
        let lo = 0;
        let hi = cum.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cum[mid]! > u) hi = mid;
          else lo = mid + 1;
        }
        yield lo;
      }
      return;
    }
    const keyed = this.weights
      .map((w, i) => ({ i, key: w > 0 ? Math.log(g.random()) / w : Number.NEGATIVE_INFINITY }))
      .sort((a, b) => b.key - a.key);
    for (let k = 0; k < this.numSamples; k++) yield keyed[k]!.i;
  }
}

/** Options of BalancedSampler; defaults ratio 1, numSamples the number of labels, shuffle true. */
export interface BalancedSamplerOptions {
  /** Negatives per positive (the book's `ratio_int`, default 1): every (ratio+1)-th sample is positive. */
  ratio?: number;
  /** Indices per epoch (default: the number of labels; the book uses 200,000). */
  numSamples?: number;
  /** Reshuffle the positive and the negative list at the start of each epoch (default true). */
  shuffle?: boolean;
  generator?: Generator;
}

// Kiln's own (the book's --balanced LunaDataset): the labels, then the options.
const BALANCED = signature(
  "BalancedSampler",
  {
    labels: either(arrayOf(either(num, bool)), instanceOf(Tensor, "a Tensor")),
  },
  {
    ratio: opt(num),
    numSamples: opt(num),
    shuffle: opt(bool),
    generator: opt(instanceOf(Generator, "a Generator")),
  },
);

/**
 * Balances a binary dataset with few positives, as the book's `--balanced` LunaDataset: sample k
 * is positive when k % (ratio+1) == 0 (positive number ⌊k/(ratio+1)⌋, cycling through the
 * positives), otherwise the next negative (number k - 1 - ⌊k/(ratio+1)⌋, cycling). Both lists are
 * reshuffled every epoch. `labels[i]` is truthy for positive samples.
 *
 * @example new DataLoader(ds, { batchSize: 32, sampler: new BalancedSampler(labels, { ratio: 1 }) })
 */
export class BalancedSampler implements Sampler {
  /** Indices of the positive samples. */
  readonly positives: readonly number[];
  /** Indices of the negative samples. */
  readonly negatives: readonly number[];
  /** Negatives per positive (default 1). */
  readonly ratio: number;
  /** Whether both lists are reshuffled each epoch (default true). */
  readonly shuffle: boolean;
  /** The source of randomness, or undefined to seed each epoch from the default generator. */
  readonly generator: Generator | undefined;
  readonly #numSamples: number;

  /**
   * Creates the sampler from per-sample labels (truthy for positive) and options; both classes must
   * occur.
   */
  constructor(
    labels: readonly (number | boolean)[] | Tensor,
    options: BalancedSamplerOptions = {},
  ) {
    parseArgs(BALANCED, arguments);
    const flags =
      labels instanceof Tensor
        ? Array.from(labels.dataSync(), (v) => v !== 0)
        : labels.map((v) => Boolean(v));
    this.positives = flags.flatMap((p, i) => (p ? [i] : []));
    this.negatives = flags.flatMap((p, i) => (p ? [] : [i]));
    this.ratio = options.ratio ?? 1;
    checkPositiveInt("BalancedSampler", "ratio", this.ratio);
    this.#numSamples = options.numSamples ?? flags.length;
    checkPositiveInt("BalancedSampler", "num_samples", this.#numSamples);
    this.shuffle = options.shuffle ?? true;
    this.generator = options.generator;
    if (this.positives.length === 0 || this.negatives.length === 0) {
      throw new ValueError(
        `BalancedSampler: needs both classes (got ${this.positives.length} positive and ${this.negatives.length} negative labels)`,
      );
    }
  }

  get length(): number {
    return this.#numSamples;
  }

  /** Yields one epoch: a positive, then `ratio` negatives, cycling through each list. */
  *[Symbol.iterator](): Iterator<number> {
    let pos = this.positives;
    let neg = this.negatives;
    if (this.shuffle) {
      const g = epochGenerator(this.generator);
      pos = Array.from(permutation(pos.length, g), (p) => this.positives[p]!);
      neg = Array.from(permutation(neg.length, g), (p) => this.negatives[p]!);
    }
    const period = this.ratio + 1;
    for (let k = 0; k < this.#numSamples; k++) {
      const posNdx = Math.floor(k / period);
      if (k % period === 0) yield pos[posNdx % pos.length]!;
      else yield neg[(k - 1 - posNdx) % neg.length]!;
    }
  }
}

/**
 * Groups another sampler's indices into lists of `batchSize`, as torch.utils.data.BatchSampler;
 * the last short batch is dropped when `dropLast`.
 */
export class BatchSampler implements Sampler<number[]> {
  /** The sampler whose indices are grouped. */
  readonly sampler: Sampler;
  /** Indices per batch. */
  readonly batchSize: number;
  /** Whether a short last batch is dropped. */
  readonly dropLast: boolean;
  /**
   * Creates the sampler from `(sampler, batchSize, dropLast)`, all three required as in PyTorch.
   */
  constructor(sampler: Sampler, batchSize: number, dropLast: boolean, ...extra: never[]) {
    const o = parseArgs(BATCH_SAMPLER, [sampler, batchSize, dropLast, ...extra]);
    checkPositiveInt("BatchSampler", "batch_size", o.batchSize);
    this.sampler = o.sampler as Sampler;
    this.batchSize = o.batchSize;
    this.dropLast = o.dropLast;
  }
  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
  /**
   * Yields lists of `batchSize` indices in the sampler's order (the last one shorter unless
   * `dropLast`).
   */
  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const i of this.sampler) {
      batch.push(i);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }
}
