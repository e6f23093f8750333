// Datasets: the map-style contract (`length`, `get(i)`), iterable datasets, and the wrappers
// TensorDataset, Subset and ConcatDataset, plus randomSplit. Depends on core and tensor only.

import {
  arrayOf,
  checkArity,
  instanceOf,
  int,
  num,
  opt,
  parseArgs,
  showValue,
  signature,
  unchecked,
} from "../core/args.ts";
import { ShapeError, ValueError } from "../core/errors.ts";
import { defaultGenerator, Generator } from "../core/rng.ts";
import { randperm } from "../ops/creation.ts";
import { Tensor } from "../tensor/tensor.ts";

const SUBSET = signature("Subset", { dataset: unchecked, indices: arrayOf(int) });
const RANDOM_SPLIT = signature("randomSplit", {
  dataset: unchecked,
  lengths: arrayOf(num),
  generator: opt(instanceOf(Generator, "a Generator"), defaultGenerator),
});

import { checkIndex } from "./check-index.ts";
import type { Collated } from "./collate.ts";
import { gatherRows } from "./gather.ts";
import type { WorkerSpec } from "./worker-spec.ts";

/**
 * What a DataLoader needs from a map-style dataset. `getBatch(indices)`, when present, must
 * return exactly `defaultCollate(indices.map(get))`; the DataLoader uses it (with the default
 * collate) so that in-memory datasets gather rows in one copy instead of building per-sample
 * tensors (the role of PyTorch's `__getitems__`). `workerSpec()` lets `numWorkers > 0` rebuild
 * the dataset inside worker threads.
 */
export interface MapDataset<T> {
  readonly length: number;
  get(index: number): T;
  getBatch?(indices: readonly number[]): Collated<T>;
  workerSpec?(): WorkerSpec;
}

/**
 * A map-style dataset, as torch.utils.data.Dataset: subclasses define `length` and `get(i)`.
 *
 * @example class Squares extends Dataset<number> { length = 10; get(i: number) { return i * i; } }
 */
export abstract class Dataset<T> implements MapDataset<T> {
  /** The number of items, PyTorch's `__len__`. */
  abstract readonly length: number;
  /** The item at `index`, PyTorch's `__getitem__`. */
  abstract get(index: number): T;
}

/**
 * A dataset that is a stream, as torch.utils.data.IterableDataset: subclasses define
 * `[Symbol.iterator]`. The DataLoader batches consecutive items; it cannot shuffle or sample.
 * With `numWorkers > 0` (which needs a `workerSpec()`) every worker iterates its own copy, so,
 * as in PyTorch, the iterator should take its share of the stream from `getWorkerInfo()`, or
 * every item arrives once per worker. An optional numeric `length` gives the loader a `length`.
 */
export abstract class IterableDataset<T> implements Iterable<T> {
  /** Takes no arguments, as torch's; a subclass's constructor takes its own and calls `super()`. */
  constructor() {
    checkArity("IterableDataset", arguments, 0);
  }
  /** Yields the items of the stream, PyTorch's `__iter__`. */
  abstract [Symbol.iterator](): Iterator<T>;
}

export function isIterableDataset<T>(ds: unknown): ds is IterableDataset<T> {
  return ds instanceof IterableDataset;
}

/**
 * The item type of a `TensorDataset` of tensors `T`: one `Tensor` per wrapped tensor, of any dtype,
 * so that datasets of float and int tensors fit the same `DataLoader<[Tensor, Tensor]>`.
 */
export type TensorRow<T extends Tensor[]> = { [K in keyof T]: Tensor };

/**
 * Rows of tensors that share their first dimension, as torch.utils.data.TensorDataset:
 * `get(i)` is `[t0[i], t1[i], ...]`, and a batch is one row gather (`indexSelect(0, idx)`) per tensor.
 *
 * @example const ds = new TensorDataset(x, y); const [xi, yi] = ds.get(0);
 */
export class TensorDataset<T extends Tensor[] = Tensor[]> extends Dataset<TensorRow<T>> {
  /** The wrapped tensors, all with `length` rows. */
  readonly tensors: T;
  /** The number of rows, the tensors' shared first dimension. */
  readonly length: number;

  /** Wraps one or more tensors that share their first dimension (no copy). */
  constructor(...tensors: T) {
    super();
    if (tensors.length === 0) throw new ValueError("TensorDataset: needs at least one tensor");
    const bad = tensors.findIndex((t) => !(t instanceof Tensor));
    if (bad >= 0) {
      throw new ValueError(
        `TensorDataset: takes tensors only (as torch's TensorDataset(*tensors)); argument ${bad} is ${showValue(tensors[bad])}`,
      );
    }
    const n = tensors[0]!.shape[0];
    if (n === undefined)
      throw new ShapeError("TensorDataset: tensors must have at least one dimension");
    tensors.forEach((t, k) => {
      if (t.shape[0] !== n) {
        throw new ShapeError(
          `TensorDataset: Size mismatch between tensors: tensor 0 has ${n} rows, tensor ${k} has ${t.shape[0]}`,
        );
      }
    });
    this.tensors = tensors;
    this.length = n;
  }

  /** Row `index` of each tensor (negative counts from the end). */
  get(index: number): TensorRow<T> {
    const i = checkIndex("TensorDataset.get", index, this.length);
    return this.tensors.map((t) => t.index(i)) as TensorRow<T>;
  }

  /**
   * The rows at `indices` of each tensor, gathered in one `indexSelect` per tensor: the batch
   * `defaultCollate` would build.
   */
  getBatch(indices: readonly number[]): Collated<TensorRow<T>> {
    return this.tensors.map((t) => gatherRows("TensorDataset.getBatch", t, indices)) as Collated<
      TensorRow<T>
    >;
  }

  /**
   * How a worker thread rebuilds this dataset (module, export name, constructor arguments) when
   * `numWorkers > 0`.
   */
  workerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: "TensorDataset", args: this.tensors };
  }
}

/** The items of `dataset` at `indices`, in that order, as torch.utils.data.Subset. */
export class Subset<T> extends Dataset<T> {
  /** The wrapped dataset. */
  readonly dataset: MapDataset<T>;
  /** The indices into `dataset` that this subset exposes, in order. */
  readonly indices: readonly number[];

  /** Wraps `dataset` restricted to `indices` (no copy). */
  constructor(dataset: MapDataset<T>, indices: readonly number[], ...extra: never[]) {
    super();
    const o = parseArgs(SUBSET, [dataset, indices, ...extra]);
    this.dataset = o.dataset as MapDataset<T>;
    this.indices = o.indices;
  }

  /** The number of indices. */
  get length(): number {
    return this.indices.length;
  }

  /** The item `dataset.get(indices[index])`. */
  get(index: number): T {
    return this.dataset.get(this.indices[checkIndex("Subset.get", index, this.length)]!);
  }

  /**
   * The batch at `indices` of this subset, from the wrapped dataset's getBatch (throws when it has
   * none).
   */
  getBatch(indices: readonly number[]): Collated<T> {
    const inner = indices.map((i) => this.indices[checkIndex("Subset.getBatch", i, this.length)]!);
    if (this.dataset.getBatch) return this.dataset.getBatch(inner);
    throw new ValueError("Subset.getBatch: the wrapped dataset has no getBatch");
  }

  /**
   * How a worker thread rebuilds this dataset (module, export name, constructor arguments) when
   * `numWorkers > 0`.
   */
  workerSpec(): WorkerSpec {
    return {
      module: import.meta.url,
      exportName: "Subset",
      args: [this.dataset, [...this.indices]],
    };
  }
}

/** Several datasets one after another, as torch.utils.data.ConcatDataset. */
export class ConcatDataset<T> extends Dataset<T> {
  /** The concatenated datasets, in order. */
  readonly datasets: readonly MapDataset<T>[];
  /** Running totals of the lengths (PyTorch's `cumulative_sizes`). */
  readonly cumulativeSizes: readonly number[];

  /** Concatenates a non-empty array of map-style datasets. */
  constructor(datasets: readonly MapDataset<T>[]) {
    super();
    checkArity("ConcatDataset", arguments, 1);
    if (!Array.isArray(datasets)) {
      throw new ValueError(
        `ConcatDataset: expected an array of datasets, got ${showValue(datasets)}`,
      );
    }
    if (datasets.length === 0)
      throw new ValueError("ConcatDataset: datasets should not be an empty iterable");
    if (datasets.some((d) => d instanceof IterableDataset)) {
      throw new ValueError("ConcatDataset: does not support IterableDataset");
    }
    this.datasets = datasets;
    let total = 0;
    this.cumulativeSizes = datasets.map((d) => (total += d.length));
  }

  /** The total number of items. */
  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1]!;
  }

  /** Item `index` of the concatenation (negative counts from the end). */
  get(index: number): T {
    const i = checkIndex("ConcatDataset.get", index, this.length);
    // First dataset whose running total exceeds i (bisect_right, as PyTorch).
    let lo = 0;
    let hi = this.cumulativeSizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulativeSizes[mid]! <= i) lo = mid + 1;
      else hi = mid;
    }
    const before = lo === 0 ? 0 : this.cumulativeSizes[lo - 1]!;
    return this.datasets[lo]!.get(i - before);
  }

  /**
   * How a worker thread rebuilds this dataset (module, export name, constructor arguments) when
   * `numWorkers > 0`.
   */
  workerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: "ConcatDataset", args: [this.datasets] };
  }
}

/**
 * Splits a dataset into non-overlapping random subsets, as torch.utils.data.random_split.
 * `lengths` are counts summing to the dataset length, or fractions summing to 1 (each gets
 * floor(fraction · n) and the remainder is dealt one by one from the first subset on).
 *
 * @example const [trainDs, valDs] = randomSplit(ds, [0.9, 0.1], new Generator().manualSeed(42));
 */
export function randomSplit<T>(
  dataset: MapDataset<T>,
  lengths: readonly number[],
  generator: Generator = defaultGenerator,
): Subset<T>[] {
  ({ dataset, lengths, generator } = parseArgs(RANDOM_SPLIT, arguments) as {
    dataset: MapDataset<T>;
    lengths: readonly number[];
    generator: Generator;
  });
  const n = dataset.length;
  let sizes = [...lengths];
  const total = lengths.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) < 1e-9 && total <= 1 + 1e-9) {
    sizes = lengths.map((f) => {
      if (f < 0 || f > 1) throw new ValueError(`randomSplit: Fraction ${f} is not between 0 and 1`);
      return Math.floor(n * f);
    });
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length]! += 1;
  }
  if (sizes.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new ValueError(
      `randomSplit: lengths must be non-negative integers or fractions (got [${lengths.join(", ")}])`,
    );
  }
  if (sizes.reduce((a, b) => a + b, 0) !== n) {
    throw new ValueError(
      `randomSplit: Sum of input lengths (${sizes.reduce((a, b) => a + b, 0)}) does not equal the length of the input dataset (${n})!`,
    );
  }
  const perm = Array.from(randperm(n, { generator }).dataSync());
  const out: Subset<T>[] = [];
  let offset = 0;
  for (const s of sizes) {
    out.push(new Subset(dataset, perm.slice(offset, offset + s)));
    offset += s;
  }
  return out;
}
